"""`train_teacher.py --evaluate-only`: the starting weights' validation logs, nothing trained."""

import argparse
import os
import sys

import keras
import numpy as np

from dczoo.losses import AlignmentLoss, WindowAccuracy

from tests.models.tiny import random_windows, tiny_corrector

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "recipes"))
import training  # noqa: E402


class _Batches(keras.utils.PyDataset):
    def __init__(self, windows, labels, batch_size):
        super().__init__()
        self.windows, self.labels, self.batch_size = windows, labels, batch_size

    def __len__(self):
        return len(self.windows) // self.batch_size

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.windows[part], self.labels[part]


def test_evaluate_start_reports_the_eval_batches_without_training(monkeypatch):
    windows = random_windows(batch=12, seed=3)
    labels = np.random.default_rng(4).integers(0, 5, (12, 100)).astype("int32")
    evaluation = _Batches(windows, labels, 4)
    monkeypatch.setattr(training, "datasets", lambda args: (None, evaluation))
    model = tiny_corrector(active=True, seed=7)
    model.compile(optimizer="adam", loss=AlignmentLoss(), metrics=[WindowAccuracy()])
    before = [np.array(w) for w in model.get_weights()]
    logs = training.evaluate_start(model, argparse.Namespace(eval_batches=2))
    assert sorted(logs) == ["val_loss", "val_window_accuracy"]
    first_two = model.evaluate(windows[:8], labels[:8], batch_size=4, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["val_loss"], first_two["loss"], rtol=1e-5)
    assert logs["val_loss"] > 0
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, np.asarray(new))

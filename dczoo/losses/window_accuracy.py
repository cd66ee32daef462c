"""Exact gap-free window accuracy (the reference's `PerExampleAccuracy`)."""

import keras
from keras import ops

from dczoo.losses.sequence_ops import left_shift_sequence


def window_exact_matches(y_true, y_pred):
    """1.0 for each window whose gap-free prediction equals its gap-free label.

    Gaps are removed ("left shift") from the label and from the argmax
    prediction, and the window counts only if every position then agrees, so
    a prediction that differs from the label by gap placement alone is correct.

    Args:
        y_true: (batch, length) label token ids.
        y_pred: (batch, length, 5) probabilities or logits.

    Returns:
        float32 tensor (batch,) of 0.0 / 1.0.

    Example:
    >>> window_exact_matches(labels, probs)  # e.g. [1., 0., 1.]
    """
    labels = left_shift_sequence(y_true)
    predicted = left_shift_sequence(ops.argmax(y_pred, axis=-1))
    agree = ops.all(ops.equal(labels, predicted), axis=-1)
    return ops.cast(agree, "float32")


@keras.saving.register_keras_serializable(package="dczoo")
class WindowAccuracy(keras.metrics.Mean):
    """Fraction of windows predicted exactly, gaps ignored.

    DeepConsensus picks its best checkpoint by this metric
    (`eval/per_example_accuracy`). Works inside `fit` on every backend.

    Args:
        name: metric name.
        dtype: metric dtype.

    Example:
    >>> model.compile(optimizer, loss=AlignmentLoss(), metrics=[WindowAccuracy()])
    """

    def __init__(self, name="window_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(
            window_exact_matches(y_true, y_pred), sample_weight=sample_weight
        )

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

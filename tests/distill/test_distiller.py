"""Distiller (Eq. 1): loss value, frozen teacher, metrics, a few training steps, presets."""

import numpy as np
import pytest
from keras import ops

from dczoo.distill import Distiller, student_from_teacher
from dczoo.errors import DczooInputError
from dczoo.losses import AlignmentIdentity, AlignmentLoss, DistillationLoss, WindowAccuracy
from dczoo.models import DeepConsensusCorrector
from dczoo.optimizers import make_optimizer

from tests.distill.distill_test_helpers import tiny_batch, tiny_teacher

ALPHA = 50.0


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def data():
    return tiny_batch(batch=16, seed=3)


@pytest.fixture(scope="module")
def trained(data):
    """A 2-layer student distilled for 3 epochs from a 4-layer teacher with dropout."""
    # Heavy teacher dropout: if the teacher ran with training=True, its
    # logits (and the loss) would change from call to call.
    teacher = tiny_teacher(num_layers=4, dropout=0.5, intermediate_dropout=0.5)
    student = student_from_teacher(teacher, 2, init="alternating", dropout=0.0,
                                   intermediate_dropout=0.0)
    distiller = Distiller(teacher, student, alpha=ALPHA, distillation_loss="mse")
    teacher_before = [_np(w).copy() for w in teacher.weights]
    student_before = [_np(w).copy() for w in student.trainable_weights]
    windows, labels = data
    distiller.compile(optimizer=make_optimizer(12, warmup_steps=0, initial_learning_rate=1e-2),
                      metrics=[WindowAccuracy()])
    history = distiller.fit(windows, labels, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return dict(distiller=distiller, teacher=teacher, student=student, history=history.history,
                teacher_before=teacher_before, student_before=student_before)


def test_loss_is_eq1_with_inference_mode_teacher(trained, data):
    distiller, teacher, student = trained["distiller"], trained["teacher"], trained["student"]
    windows, labels = data
    windows, labels = windows[:4], labels[:4]
    total = [float(_np(distiller.compute_loss(windows, labels, training=True))) for _ in range(2)]
    assert total[0] == pytest.approx(total[1], rel=1e-6)  # teacher dropout is off
    student_logits = student.compute_logits(windows)
    alignment = _np(AlignmentLoss(reduction=None)(labels, ops.softmax(student_logits, -1)))
    distill = _np(DistillationLoss("mse", 1.0, reduction=None)(
        teacher.compute_logits(windows, training=False), student_logits))
    assert total[0] == pytest.approx(float(np.mean(alignment + ALPHA * distill)), rel=1e-5)
    assert np.mean(distill) > 0


def test_fit_trains_student_only_and_reports_the_three_losses(trained):
    history = trained["history"]
    for key in ("loss", "total_loss", "student_loss", "distillation_loss", "window_accuracy"):
        assert len(history[key]) == 3, key
    assert history["total_loss"][-1] < history["total_loss"][0]
    for epoch in range(3):
        assert history["total_loss"][epoch] == pytest.approx(
            history["student_loss"][epoch] + ALPHA * history["distillation_loss"][epoch], rel=1e-4)
    for before, after in zip(trained["teacher_before"], trained["teacher"].weights):
        np.testing.assert_array_equal(before, _np(after))
    changed = [not np.array_equal(before, _np(after)) for before, after in
               zip(trained["student_before"], trained["student"].trainable_weights)]
    assert all(changed)
    assert trained["teacher"].trainable is False
    assert all(not w.trainable for w in trained["teacher"].weights)


def test_save_to_preset_writes_the_student_alone(trained, data, tmp_path):
    distiller, student = trained["distiller"], trained["student"]
    distiller.save_to_preset(tmp_path / "student")
    restored = DeepConsensusCorrector.from_preset(str(tmp_path / "student"))
    assert restored.num_layers == 2
    windows = data[0][:2]
    np.testing.assert_allclose(_np(restored(windows)), _np(student(windows)), rtol=1e-5, atol=1e-6)
    # Distiller(x) gives the student's logits.
    np.testing.assert_allclose(_np(ops.softmax(distiller(windows), -1)), _np(student(windows)),
                               rtol=1e-5, atol=1e-6)


def test_plain_training_with_alignment_loss_falls(data):
    model = tiny_teacher(num_layers=2)
    windows, labels = data
    model.compile(optimizer=make_optimizer(12, warmup_steps=0, initial_learning_rate=1e-2),
                  loss=AlignmentLoss(), metrics=[WindowAccuracy(), AlignmentIdentity()])
    history = model.fit(windows, labels, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert 0.0 <= history["alignment_identity"][-1] <= 1.0


def test_bad_arguments(trained):
    teacher, student = trained["teacher"], trained["student"]
    with pytest.raises(DczooInputError, match="student must be"):
        Distiller(teacher, teacher.backbone)
    with pytest.raises(DczooInputError, match="same model"):
        Distiller(student, student)
    with pytest.raises(DczooInputError, match="divergence"):
        Distiller(teacher, student, distillation_loss="l2")

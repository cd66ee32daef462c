"""Window accuracy, alignment identity (vs the reference) and read yield."""

import numpy as np
import pytest
from keras import ops

from dczoo.constants import VOCAB
from dczoo.errors import DczooInputError
from dczoo.losses import (
    AlignmentIdentity,
    WindowAccuracy,
    align_windows,
    alignment_identity,
    batch_identity,
    read_identity,
    read_yield,
    window_exact_matches,
    yield_over_baseline,
)
from dczoo.losses.alignment_identity_metric import alignment_counts
from dczoo.losses.sequence_ops import left_shift_numpy

from tests.losses.loss_test_helpers import load_reference


def encode(strings, length=100):
    out = np.zeros((len(strings), length), np.int32)
    for row, text in enumerate(strings):
        out[row, : len(text)] = [VOCAB.index(c) for c in text]
    return out


def one_hot(tokens):
    return np.eye(5, dtype=np.float32)[tokens]


@pytest.mark.parametrize("source", ["random", "teacher"])
def test_alignment_matches_reference_exactly(source):
    ref = load_reference("alignment_metric.npz")
    stats = align_windows(ref["y_true"], ref[f"y_pred_{source}"].argmax(-1))
    for field in ("num_matches", "num_correct_matches", "num_insertions",
                  "num_deletions", "alignment_length", "pid"):
        np.testing.assert_array_equal(stats[field], ref[f"{field}_{source}"], err_msg=field)
    np.testing.assert_array_equal(stats["score"], ref[f"score_{source}"])
    assert stats["pid"].mean() == pytest.approx(float(ref[f"result_mean_pid_{source}"]), rel=1e-6)


def test_keras_alignment_identity_matches_reference_counts():
    ref = load_reference("alignment_metric.npz")
    labels, probs = ref["y_true"][:16], ref["y_pred_teacher"][:16]
    score, correct, length = (np.asarray(ops.convert_to_numpy(v))
                              for v in alignment_counts(labels, probs))
    np.testing.assert_array_equal(score, ref["score_teacher"][:16])
    np.testing.assert_array_equal(correct, ref["num_correct_matches_teacher"][:16])
    np.testing.assert_array_equal(length, ref["alignment_length_teacher"][:16])
    metric = AlignmentIdentity()
    metric.update_state(labels, probs)
    assert float(metric.result()) == pytest.approx(float(ref["pid_teacher"][:16].mean()), rel=1e-6)
    empty = encode(["", "AT"], length=4)
    metric.reset_state()
    metric.update_state(empty, one_hot(encode(["", ""], length=4)))
    assert float(metric.result()) == pytest.approx(0.5)  # both empty: 1; all deleted: 0


def test_alignment_identity_spec_cases():
    truth = "ATCGGA"
    labels = encode([truth] * 6)
    predictions = encode(["ATGGTA", "ATCGA", "ATCCGGA", "", "ATC GGA", "ATCGGA"])
    pid = alignment_identity(labels, one_hot(predictions))
    np.testing.assert_allclose(pid, [4 / 6, 5 / 6, 6 / 7, 0.0, 1.0, 1.0], rtol=1e-6)
    both_empty = align_windows(encode([""]), encode([""]))
    assert both_empty["pid"][0] == 1.0 and both_empty["alignment_length"][0] == 0
    stats = align_windows(labels[:2], predictions[:2])
    assert batch_identity(stats) == pytest.approx((4 + 5) / (6 + 6))


def test_window_accuracy_ignores_gap_placement():
    labels = encode(["AT CG", "ATCG", "ATCG", ""])
    predictions = encode(["A TCG ", "ATCG", "ATGG", "  "])
    probs = one_hot(predictions) * 0.9 + 0.02
    exact = ops.convert_to_numpy(window_exact_matches(labels, probs))
    np.testing.assert_array_equal(exact, [1, 1, 0, 1])
    metric = WindowAccuracy()
    metric.update_state(labels, probs)
    metric.update_state(labels[2:3], probs[2:3])
    assert float(metric.result()) == pytest.approx(3 / 5)


def test_window_accuracy_on_teacher_predictions_matches_numpy():
    ref = load_reference("alignment_metric.npz")
    probs = ref["y_pred_teacher"]
    shifted_pred = left_shift_numpy(probs.argmax(-1))
    expected = (left_shift_numpy(ref["y_true"]) == shifted_pred).all(-1)
    exact = ops.convert_to_numpy(window_exact_matches(ref["y_true"], probs))
    np.testing.assert_array_equal(exact, expected.astype(np.float32))


def test_read_yield():
    identities = read_identity([999, 9990, 990, 5], [1, 10, 9, 0], [0, 0, 1, 0], [0, 0, 0, 0])
    np.testing.assert_allclose(identities, [0.999, 0.999, 0.99, 1.0])
    lengths = [1000, 10000, 1000, 5]
    assert read_yield(identities, lengths) == {20: 12005, 30: 11005, 40: 5}
    filtered = read_yield(identities, lengths, predicted_qualities=[25, 19.9, 30, 40])
    assert filtered == {20: 2005, 30: 1005, 40: 5}
    relative = yield_over_baseline({30: 150}, {30: 100})
    assert relative[30] == pytest.approx(150.0)
    with pytest.raises(DczooInputError, match="lengths"):
        read_yield([0.9], [1, 2])

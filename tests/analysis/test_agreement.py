import numpy as np
import pytest

from dczoo.analysis import agreement, agreement_from_predictions

from tests.models.tiny import random_windows, tiny_corrector


def _tokens(*strings, length=20):
    table = {" ": 0, "A": 1, "T": 2, "C": 3, "G": 4}
    return np.array([[table[c] for c in s.ljust(length)] for s in strings])


def test_known_cases():
    labels = _tokens("ACGTACGTAC", "ACGTACGTAC", "ACGTACGTAC", "ACGTACGTAC")
    # window 0: both right (agree); 1: Y right, X wrong; 2: X right, Y wrong;
    # 3: same bases with different gap placement: they agree.
    x = _tokens("ACGTACGTAC", "ACGTTCGTAC", "ACGTACGTAC", "ACG TACGTAC")
    y = _tokens("ACGTACGTAC", "ACGTACGTAC", "ACGTTCGTAC", "ACGTACGT AC")
    result = agreement_from_predictions(x, y, labels)
    assert result["windows"] == 4
    assert result["disagreements"] == 2
    assert result["p_y_better"] == pytest.approx(0.5)
    assert result["p_x_better"] == pytest.approx(0.5)
    assert result["p_tie"] == 0.0


def test_ties_count_for_neither():
    labels = _tokens("ACGTACGTAC")
    x = _tokens("ACGTTCGTAC")  # one mismatch
    y = _tokens("ACGTAGGTAC")  # another single mismatch
    result = agreement_from_predictions(x, y, labels)
    assert result["disagreements"] == 1
    assert result["p_tie"] == 1.0 and result["p_y_better"] == 0.0


def test_identical_models_never_disagree():
    model = tiny_corrector()
    windows = random_windows(batch=4)
    labels = windows[:, 80]
    result = agreement(model, model, windows, labels)
    assert result["disagreements"] == 0
    assert np.isnan(result["p_y_better"])
    assert result["identity_x"] == result["identity_y"]

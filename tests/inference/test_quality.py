"""Qualities from probabilities, calibration and averages."""

import numpy as np
import pytest

from dczoo.errors import DczooInputError
from dczoo.inference.quality import (
    QualityCalibration,
    average_phred,
    finish_qualities,
    probabilities_to_calls,
)

RELEASED = "0,1.197654,-0.99781"


def test_reference_qualities_and_argmax_are_reproduced(teacher_probs):
    calibration = QualityCalibration.parse(RELEASED)
    tokens, qualities = probabilities_to_calls(teacher_probs["probs"], calibration)
    np.testing.assert_array_equal(tokens, teacher_probs["argmax"])
    np.testing.assert_array_equal(qualities, teacher_probs["quality"])


def test_calibration_parsing():
    assert QualityCalibration.parse(RELEASED) == QualityCalibration(0, 1.197654, -0.99781)
    for disabled in (None, "", "skip"):
        assert QualityCalibration.parse(disabled) is None
    for bad in ("1,2", "a,b,c", "0,1,2,3", "0,nan,1"):
        with pytest.raises(DczooInputError, match="threshold,w,b"):
            QualityCalibration.parse(bad, "--dc-calibration")


def test_calibration_threshold_applies_only_above_it():
    q = np.array([10.0, 20.0, 30.0], np.float32)
    everywhere = QualityCalibration(0, 2, 1).apply(q)
    above_15 = QualityCalibration(15, 2, 1).apply(q)
    np.testing.assert_array_equal(everywhere, [21, 41, 61])
    np.testing.assert_array_equal(above_15, [10, 41, 61])


def test_certain_prediction_is_capped_and_negative_floored():
    probs = np.zeros((1, 3, 5), np.float32)
    probs[0, 0, 2] = 1.0                 # error 0 -> inf -> cap
    probs[0, 1, :] = 0.2                 # q = 0.97 -> calibrated below 0
    probs[0, 2, 1], probs[0, 2, 3] = 0.9, 0.1
    tokens, q = probabilities_to_calls(probs, QualityCalibration.parse(RELEASED), 93)
    assert tokens.tolist() == [[2, 0, 1]]
    assert q.tolist() == [[93, 0, 11]]
    _, capped = probabilities_to_calls(probs, None, 40)
    assert capped[0, 0] == 40


def test_rounding_is_half_to_even():
    assert finish_qualities(np.array([20.5, 21.5, 0.49], np.float32)).tolist() == [20, 22, 0]


def test_average_phred_is_in_probability_space():
    assert average_phred([30, 30, 30]) == pytest.approx(30)
    # mean of 1e-2 and 1e-4 -> 5.05e-3 -> 22.97, not the arithmetic 30
    assert average_phred([20, 40]) == pytest.approx(-10 * np.log10(5.05e-3))
    assert average_phred([20, 40, -1, -1]) == average_phred([20, 40])
    assert average_phred([]) == 0
    assert average_phred([-1, -1]) == 0
    rows = average_phred(np.array([[30, -1], [-1, -1]]), axis=1)
    np.testing.assert_allclose(rows, [30, 0])

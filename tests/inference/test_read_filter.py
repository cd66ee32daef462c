"""Read outcomes and quality filters."""

import numpy as np

from dczoo.inference.read_filter import ReadFilter, passes_quality, read_quality


def test_reference_threshold_case():
    assert not passes_quality([39, 39, 41, 41], 40)
    assert passes_quality([40, 40], 40)


def test_rounding_to_five_decimals():
    # Average just below 20 by less than 5e-6 rounds up to 20 and passes.
    q = np.array([20] * 1_000_000 + [19])
    assert read_quality(q, None) < 20
    assert passes_quality(q, 20)


def test_outcomes_in_reference_order():
    read_filter = ReadFilter(min_quality=20, min_length=5)
    assert read_filter.outcome(None, None) == "empty_sequence"
    assert read_filter.outcome("", []) == "only_gaps"
    assert read_filter.outcome("ACG", [5, 5, 5]) == "failed_quality_filter"  # before length
    assert read_filter.outcome("ACG", [30, 30, 30]) == "failed_length_filter"
    assert read_filter.outcome("ACGTA", [30] * 5) == "success"
    assert dict(read_filter.counts) == {
        "empty_sequence": 1, "only_gaps": 1, "failed_quality_filter": 1,
        "failed_length_filter": 1, "success": 1,
    }

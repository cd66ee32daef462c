"""Windows whose draft is already good keep the draft."""

import numpy as np

from dczoo.inference.window_skipping import draft_calls, skip_mask, window_average_quality


def test_reference_skips_538_of_1593_windows(reference_windows):
    mask = skip_mask(reference_windows["ccs_base_quality_scores"], 45)
    assert mask.sum() == 538
    assert not skip_mask(reference_windows["ccs_base_quality_scores"], 0).any()


def test_strictly_above_and_gaps_ignored():
    ccs_bq = np.array([[45, 45, -1], [46, 46, -1], [93, 0, 93], [-1, -1, -1]])
    averages = window_average_quality(ccs_bq)
    np.testing.assert_allclose(averages[:2], [45, 46])
    assert skip_mask(ccs_bq, 45).tolist() == [False, True, False, False]


def test_draft_calls_cap_and_keep_tokens():
    tokens, q = draft_calls(np.array([[1, 0, 4]]), np.array([[95, -1, 30]]))
    assert tokens.tolist() == [[1, 0, 4]]
    assert q[0, 0] == 93 and q[0, 2] == 30

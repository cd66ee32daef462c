"""Stitching reference window calls reproduces the reference's FASTQ files."""

import numpy as np
import pytest

from dczoo.inference.stitching import remove_gaps, stitch_read, windows_are_complete
from dczoo.inference.window_skipping import draft_calls, skip_mask


def _stitch_reference(windows, probs, skip_above):
    tokens = probs["argmax"].astype(np.uint8)
    quality = probs["quality"].copy()
    skip = skip_mask(windows["ccs_base_quality_scores"], skip_above)
    draft_row = windows["subreads/encoded"][skip, 80, :, 0]
    tokens[skip], quality[skip] = draft_calls(draft_row, windows["ccs_base_quality_scores"][skip])
    reads = []
    names = windows["name"]
    for name in dict.fromkeys(names):
        rows = np.flatnonzero(names == name)
        sequence, q = stitch_read(windows["window_pos"][rows], tokens[rows], quality[rows], 100)
        reads.append((name, sequence, (q + 33).tobytes().decode()))
    return reads


@pytest.mark.parametrize("stem,skip_above", [("teacher_mq0", 45), ("teacher_mq0_noskip", 0)])
def test_reference_calls_stitch_into_reference_reads(
    reference_windows, teacher_probs, reference_fastq, stem, skip_above
):
    assert _stitch_reference(reference_windows, teacher_probs, skip_above) == reference_fastq[stem]


def test_gaps_are_removed_with_their_qualities():
    sequence, q = remove_gaps(np.array([[0, 1, 2], [3, 0, 4]]), np.array([[9, 10, 11], [12, 13, 14]]))
    assert sequence == "ATCG"
    assert q.tolist() == [10, 11, 12, 14]


def test_missing_window_fails_the_stitch():
    assert windows_are_complete([0, 90, 180], 100)
    assert not windows_are_complete([0, 150], 100)  # window 1 cannot start at 150
    assert not windows_are_complete([], 100)
    tokens = np.ones((2, 100), np.uint8)
    assert stitch_read([0, 150], tokens, tokens, 100) is None
    assert stitch_read([0, 100], tokens, tokens, 100)[0] == "A" * 200

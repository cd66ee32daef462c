"""Which windows skip the model and keep the draft unchanged.

A window whose draft bases already have a high average quality is left as
the draft (bases and qualities), which saves the model's time where it would
rarely change anything. DeepConsensus 1.2 skips a window when the
probability-space average of its draft qualities (ignoring the -1 of gap and
padding columns) is strictly above `skip_windows_above` (45 by default; 0
turns skipping off).
"""

import numpy as np

from dczoo.constants import MAX_BASE_QUALITY, VOCAB
from dczoo.inference.quality import average_phred, finish_qualities

DEFAULT_SKIP_WINDOWS_ABOVE = 45


def window_average_quality(ccs_bq):
    """Average draft quality of each window.

    Args:
        ccs_bq: int `(n_windows, window_length)`, -1 at gaps and padding.

    Returns:
        float64 `(n_windows,)`; 0 for a window without draft bases.
    """
    ccs_bq = np.asarray(ccs_bq)
    if ccs_bq.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    return average_phred(ccs_bq, axis=1)


def skip_mask(ccs_bq, skip_windows_above=DEFAULT_SKIP_WINDOWS_ABOVE):
    """Which windows pass the draft through instead of running the model.

    Args:
        ccs_bq: int `(n_windows, window_length)` draft qualities.
        skip_windows_above: float. Threshold on the window's average draft
            quality (strictly above skips); 0 or None turns skipping off.

    Returns:
        bool `(n_windows,)`, True where the draft is kept.

    Example:
    >>> skip_mask(np.array([[50, 50, -1], [20, 50, 50]]), 45)
    array([ True, False])
    """
    n = np.asarray(ccs_bq).shape[0]
    mask = np.zeros(n, dtype=bool)
    if skip_windows_above:
        mask |= window_average_quality(ccs_bq) > skip_windows_above
    return mask


def draft_calls(draft_row, ccs_bq, calibration=None, max_quality=MAX_BASE_QUALITY):
    """The draft's own bases and qualities, as calls of passed-through windows.

    Args:
        draft_row: integer `(n, window_length)` draft token ids (0 at gaps).
        ccs_bq: int `(n, window_length)` draft qualities, -1 at gaps.
        calibration: optional `QualityCalibration` of draft qualities
            (`--ccs-calibration`; none by default).
        max_quality: int. Cap (93).

    Returns:
        `(tokens, qualities)`: uint8 and int32 `(n, window_length)`; the
        qualities of gap columns are meaningless (gaps are dropped).
    """
    tokens = np.asarray(draft_row).astype(np.uint8)
    if tokens.size and tokens.max() >= len(VOCAB):
        raise ValueError("draft row holds token ids outside the vocabulary")
    quality = np.asarray(ccs_bq)
    if calibration is None:
        return tokens, np.minimum(quality, max_quality).astype(np.int32)
    return tokens, finish_qualities(quality, calibration, max_quality)

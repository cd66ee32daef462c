"""Stitching a ZMW's window calls into one corrected read.

Windows of a ZMW are consecutive pieces of its spaced alignment, so the read
is the concatenation of the windows' calls in order with the gap tokens (and
their qualities) removed. As in DeepConsensus 1.2, a ZMW whose windows are
not all present cannot be stitched: window `k` must start at a draft position
no later than `k * window_length` (each window holds at most
`window_length` draft bases), otherwise a window is missing and the read is
reported as `empty_sequence`.
"""

import numpy as np

from dczoo.constants import GAP_ID, VOCAB

# Token id -> ASCII letter; the gap maps to a space but is always removed.
_LETTERS = np.frombuffer(VOCAB.encode("ascii"), dtype=np.uint8)


def windows_are_complete(window_pos, window_length):
    """Whether no window is missing (the reference's stitching rule).

    Args:
        window_pos: int `(n,)` draft position of each window's first base,
            in window order.
        window_length: int.

    Returns:
        bool. False for zero windows.
    """
    window_pos = np.asarray(window_pos)
    if window_pos.size == 0:
        return False
    starts = np.arange(window_pos.size, dtype=np.int64) * window_length
    return bool(np.all(window_pos <= starts))


def remove_gaps(tokens, qualities):
    """Concatenates calls and drops gap positions.

    Args:
        tokens: uint8 token ids, any shape (flattened in C order).
        qualities: int qualities, same shape.

    Returns:
        `(sequence, qualities)`: str of A/T/C/G and uint8 array of the same
        length.

    Example:
    >>> seq, q = remove_gaps(np.array([[1, 0, 2]]), np.array([[30, 5, 40]]))
    >>> seq, q.tolist()
    ('AT', [30, 40])
    """
    tokens = np.asarray(tokens).reshape(-1)
    qualities = np.asarray(qualities).reshape(-1)
    keep = tokens != GAP_ID
    sequence = _LETTERS[tokens[keep]].tobytes().decode("ascii")
    return sequence, qualities[keep].astype(np.uint8)


def stitch_read(window_pos, tokens, qualities, window_length):
    """Stitches the calls of all windows of one ZMW.

    Args:
        window_pos: int `(n,)` draft start of each window, in window order.
        tokens: uint8 `(n, window_length)` called token ids.
        qualities: int `(n, window_length)` qualities.
        window_length: int.

    Returns:
        `(sequence, qualities)` as `remove_gaps`, or None when a window is
        missing (nothing can be stitched).
    """
    if not windows_are_complete(window_pos, window_length):
        return None
    return remove_gaps(tokens, qualities)


def stitched_draft_positions(window_pos, tokens, ccs_bq):
    """The draft position of every base of a stitched read.

    A called base in a column that holds a draft base sits on that draft
    base; a base called in an insertion column (no draft base) has none.
    Draft bases whose column was called as a gap are not in the read.

    Args:
        window_pos: int `(n,)` draft position of each window's first draft
            base (`ZmwWindows.window_pos`).
        tokens: uint8 `(n, window_length)` called token ids, as stitched.
        ccs_bq: int `(n, window_length)` draft qualities, -1 where a column
            has no draft base (`ZmwWindows.ccs_bq`).

    Returns:
        int64 array, one per base of `remove_gaps(tokens, ...)`: its draft
        position, or -1.

    Example:
    >>> stitched_draft_positions([0], np.array([[1, 2, 0, 3]]), np.array([[30, -1, 30, 30]])).tolist()
    [0, -1, 2]
    """
    on_draft = np.asarray(ccs_bq) >= 0
    positions = np.asarray(window_pos, dtype=np.int64)[:, None] + np.cumsum(on_draft, axis=1) - 1
    positions = np.where(on_draft, positions, -1).reshape(-1)
    return positions[np.asarray(tokens).reshape(-1) != GAP_ID]

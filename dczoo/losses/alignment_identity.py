"""Alignment identity: hard affine-gap global alignment of label and prediction (numpy).

This is the reference's `AlignmentMetric`, an approximation of how pbmm2 would
align a corrected window to the truth: a Needleman-Wunsch alignment of the
gap-free label against the gap-free argmax prediction that *maximises*

    +matching_score per equal pair, -mismatch_penalty per unequal pair,
    -(gap_open_penalty + gap_extend_penalty) for the first position of a gap,
    -gap_extend_penalty for each further position,

with three states (match, insertion = extra predicted base, deletion = label
base missing from the prediction). Identity (pid) = correct matches /
alignment length, where alignment length = matches + insertions + deletions;
it is 1.0 when both sequences are empty.

The DP is vectorised over the batch and over anti-diagonals, and so is the
backtrace, so a batch of 100-column windows takes milliseconds. Ties are broken
in the order match, insertion, deletion, which reproduces the reference's
integer counts exactly on its test windows.
"""

import numpy as np

from dczoo.constants import GAP_ID
from dczoo.losses.sequence_ops import left_shift_numpy

MATCH, INSERTION, DELETION = 0, 1, 2


def _prepare(tokens):
    tokens = left_shift_numpy(tokens)
    return tokens, (tokens != GAP_ID).sum(-1)


def align_windows(y_true, predicted_tokens, matching_score=2.0, mismatch_penalty=5.0,
                  gap_open_penalty=5.0, gap_extend_penalty=4.0):
    """Aligns each gap-free label to its gap-free predicted sequence.

    Args:
        y_true: int array (batch, m), label tokens with gaps anywhere.
        predicted_tokens: int array (batch, n), predicted tokens (for example
            the argmax of the probabilities) with gaps anywhere.
        matching_score, mismatch_penalty, gap_open_penalty,
        gap_extend_penalty: floats, the reference defaults 2, 5, 5, 4.

    Returns:
        dict of per-example arrays: `num_matches`, `num_correct_matches`,
        `num_insertions`, `num_deletions`, `alignment_length` (int32),
        `pid` (float32) and `score` (float32, the optimal score).

    Example:
    >>> stats = align_windows(labels, probs.argmax(-1))
    >>> stats["pid"].mean()
    """
    truth, truth_len = _prepare(y_true)
    pred, pred_len = _prepare(predicted_tokens)
    batch, m = truth.shape
    n = pred.shape[1]
    open_cost = gap_open_penalty + gap_extend_penalty
    # Tables are laid out [i, j, state, example] so fancy indexing on (i, j)
    # keeps the state and batch axes in place.
    pair = np.where(truth.T[:, None, :] == pred.T[None, :, :], matching_score,
                    -mismatch_penalty)
    scores = np.full((m + 1, n + 1, 3, batch), -np.inf)
    pointers = np.zeros((m + 1, n + 1, 3, batch), np.int8)
    scores[0, 0, MATCH] = 0.0
    ins_from = np.array([open_cost, gap_extend_penalty, open_cost])[:, None]
    del_from = np.array([open_cost, open_cost, gap_extend_penalty])[:, None]
    for d in range(1, m + n + 1):
        i = np.arange(max(0, d - n), min(m, d) + 1)
        j = d - i
        has_i, has_j = i > 0, j > 0
        both = has_i & has_j
        if both.any():
            bi, bj = i[both], j[both]
            previous = scores[bi - 1, bj - 1]
            pointers[bi, bj, MATCH] = previous.argmax(1)
            scores[bi, bj, MATCH] = previous.max(1) + pair[bi - 1, bj - 1]
        if has_j.any():
            gi, gj = i[has_j], j[has_j]
            previous = scores[gi, gj - 1] - ins_from
            pointers[gi, gj, INSERTION] = previous.argmax(1)
            scores[gi, gj, INSERTION] = previous.max(1)
        if has_i.any():
            di, dj = i[has_i], j[has_i]
            previous = scores[di - 1, dj] - del_from
            pointers[di, dj, DELETION] = previous.argmax(1)
            scores[di, dj, DELETION] = previous.max(1)

    rows = np.arange(batch)
    end_scores = scores[truth_len, pred_len, :, rows]  # (batch, 3)
    state = end_scores.argmax(1)
    best = end_scores.max(1)
    counts = np.zeros((3, batch), np.int64)
    correct = np.zeros(batch, np.int64)
    i, j = truth_len.copy(), pred_len.copy()
    while True:
        active = (i > 0) | (j > 0)
        if not active.any():
            break
        b = rows[active]
        s, bi, bj = state[active], i[active], j[active]
        counts[s, b] += 1
        is_match = s == MATCH
        correct[b[is_match]] += (
            truth[b[is_match], bi[is_match] - 1] == pred[b[is_match], bj[is_match] - 1]
        )
        state[active] = pointers[bi, bj, s, b]
        i[active] = bi - (s != INSERTION)
        j[active] = bj - (s != DELETION)

    length = counts.sum(0)
    pid = np.where(length > 0, correct / np.maximum(length, 1), 1.0)
    return {
        "num_matches": counts[MATCH].astype(np.int32),
        "num_correct_matches": correct.astype(np.int32),
        "num_insertions": counts[INSERTION].astype(np.int32),
        "num_deletions": counts[DELETION].astype(np.int32),
        "alignment_length": length.astype(np.int32),
        "pid": pid.astype(np.float32),
        "score": best.astype(np.float32),
    }


def alignment_identity(y_true, y_pred, **penalties):
    """Per-example alignment identity (pid) of predicted probabilities.

    Args:
        y_true: array (batch, m) of label tokens.
        y_pred: array (batch, n, 5) of probabilities (or logits); the argmax
            over the last axis is the predicted token.
        **penalties: scoring overrides passed to `align_windows`.

    Returns:
        float32 array (batch,).
    """
    predicted = np.asarray(y_pred).argmax(-1)
    return align_windows(np.asarray(y_true), predicted, **penalties)["pid"]


def batch_identity(stats):
    """Sum of correct matches over sum of alignment lengths (1.0 if empty).

    Args:
        stats: dict returned by `align_windows`.

    Returns:
        float, the reference's `per_batch_identity`.
    """
    total = int(stats["alignment_length"].sum())
    return 1.0 if total == 0 else float(stats["num_correct_matches"].sum()) / total

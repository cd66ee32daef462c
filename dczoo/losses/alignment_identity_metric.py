"""Alignment identity as a Keras metric (keras.ops, runs inside `fit` on every backend).

Same alignment as `dczoo.losses.alignment_identity` (the reference's affine-gap
`AlignmentMetric`), but without a backtrace: each DP cell carries, next to its
score, the correct-match count and alignment length of the path that reaches
it, taken from the predecessor a backtrace would pick (first maximum in the
order match, insertion, deletion). Reading the counts at the end cell therefore
gives the backtrace's counts, in one forward anti-diagonal sweep that
`jax.jit`, `tf.function` (with or without XLA; no gradient is needed) and torch
all run. The numpy version stays the faster choice for offline evaluation.
"""

import functools

import keras
from keras import ops

from dczoo.losses.alignment_loss import _skew
from dczoo.losses.sequence_ops import left_shift_sequence, sequence_lengths

_NEG = -1e9  # "minus infinity" for impossible cells (finite: no inf arithmetic)


def _pick_first_max(candidates):
    """Index-free first-maximum selection over a list of (score, correct, length)."""
    best_score = candidates[0][0]
    for score, _, _ in candidates[1:]:
        best_score = ops.maximum(best_score, score)
    chosen = candidates[-1]
    for score, correct, length in reversed(candidates[:-1]):
        take = ops.equal(score, best_score)
        chosen = tuple(ops.where(take, new, old) for new, old in
                       zip((score, correct, length), chosen))
    return chosen


def alignment_counts(y_true, y_pred, matching_score=2.0, mismatch_penalty=5.0,
                     gap_open_penalty=5.0, gap_extend_penalty=4.0):
    """Score, correct matches and alignment length of the optimal alignment (keras.ops).

    Args:
        y_true: (batch, m) label tokens.
        y_pred: (batch, n, 5) probabilities or logits (argmax is the prediction).
        matching_score, mismatch_penalty, gap_open_penalty,
        gap_extend_penalty: the reference defaults 2, 5, 5, 4.

    Returns:
        tuple of float32 tensors (batch,): `(score, correct_matches,
        alignment_length)`.
    """
    penalties = (float(matching_score), float(mismatch_penalty), float(gap_open_penalty),
                 float(gap_extend_penalty))
    if keras.config.backend() == "jax":
        return _jax_alignment_counts(penalties)(y_true, y_pred)
    return _alignment_counts(y_true, y_pred, *penalties)


def _alignment_counts(y_true, y_pred, matching_score, mismatch_penalty, gap_open_penalty,
                      gap_extend_penalty):
    truth = left_shift_sequence(y_true)
    pred = left_shift_sequence(ops.argmax(y_pred, axis=-1))
    truth_len, pred_len = sequence_lengths(truth), sequence_lengths(pred)
    m, n = truth.shape[1], pred.shape[1]
    steps = m + n
    open_cost = float(gap_open_penalty + gap_extend_penalty)
    extend_cost = float(gap_extend_penalty)

    equal = ops.cast(ops.equal(truth[:, :, None], pred[:, None, :]), "float32")
    equal = ops.pad(equal, [[0, 0], [0, 0], [1, 0]])  # column j = prediction j - 1
    # equal_wf[t, b, i - 1] = [truth_i == pred_j] on diagonal d = t + 1, j = d - i.
    equal_wf = ops.moveaxis(_skew(equal), 2, 0)  # (m + n, batch, m)
    answer_diagonal = ops.cast(truth_len + pred_len, "int32")
    answer_row = ops.one_hot(truth_len, m + 1, dtype="float32") > 0

    batch = ops.shape(truth)[0]
    neg = ops.full((batch, m + 1), _NEG, dtype="float32")
    zero = ops.zeros((batch, m + 1), dtype="float32")
    start = ops.concatenate([ops.zeros((batch, 1)), neg[:, 1:]], axis=1)
    empty_state = (neg, zero, zero)
    # Diagonal -1 and diagonal 0 (only the match state at (0, 0) is possible).
    init = (empty_state, empty_state, empty_state,
            (start, zero, zero), empty_state, empty_state,
            ops.zeros((batch,)), ops.zeros((batch,)), ops.zeros((batch,)))

    def shift(state):  # value at i - 1, impossible at i = 0
        return tuple(ops.concatenate([fill[:, :1], x[:, :-1]], axis=1)
                     for x, fill in zip(state, (neg, zero, zero)))

    def body(t, carry):
        m2, i2, d2, m1, i1, d1, score_out, correct_out, length_out = carry
        eq = ops.concatenate([ops.zeros((batch, 1)), equal_wf[t]], axis=1)
        pair = eq * (matching_score + mismatch_penalty) - mismatch_penalty
        # Match: from (i - 1, j - 1) on diagonal d - 2.
        s, c, length = _pick_first_max([shift(m2), shift(i2), shift(d2)])
        new_m = (s + pair, c + eq, length + 1.0)
        new_m = (ops.concatenate([neg[:, :1], new_m[0][:, 1:]], axis=1),) + new_m[1:]
        # Insertion (a predicted base): from (i, j - 1) on diagonal d - 1.
        s, c, length = _pick_first_max([(m1[0] - open_cost,) + m1[1:],
                                        (i1[0] - extend_cost,) + i1[1:],
                                        (d1[0] - open_cost,) + d1[1:]])
        new_i = (s, c, length + 1.0)
        # Deletion (a label base missed): from (i - 1, j) on diagonal d - 1.
        pm, pi, pd = shift(m1), shift(i1), shift(d1)
        s, c, length = _pick_first_max([(pm[0] - open_cost,) + pm[1:],
                                        (pi[0] - open_cost,) + pi[1:],
                                        (pd[0] - extend_cost,) + pd[1:]])
        new_d = (s, c, length + 1.0)
        # Keep impossible cells impossible (j < 0 or j > n).
        j = t + 1 - ops.arange(m + 1)
        valid = ops.logical_and(j >= 0, j <= n)[None, :]
        new_m, new_i, new_d = (tuple(ops.where(valid, x, f) for x, f in
                                     zip(state, (neg, zero, zero)))
                               for state in (new_m, new_i, new_d))
        best = _pick_first_max([new_m, new_i, new_d])
        here = ops.logical_and(answer_row, ops.equal(answer_diagonal, t + 1)[:, None])
        outs = [out + ops.sum(ops.where(here, value, 0.0), axis=1)
                for out, value in zip((score_out, correct_out, length_out), best)]
        return (m1, i1, d1, new_m, new_i, new_d, *outs)

    final = ops.fori_loop(0, steps, body, init)
    return final[6], final[7], final[8]


@functools.lru_cache(maxsize=None)
def _jax_alignment_counts(penalties):
    """`_alignment_counts` under a cached `jax.jit`: eager calls compile once per shape."""
    import jax

    return jax.jit(lambda y_true, y_pred: _alignment_counts(y_true, y_pred, *penalties))


def alignment_pid(y_true, y_pred, **penalties):
    """Per-example identity = correct matches / alignment length (1 if both empty).

    Returns:
        float32 tensor (batch,).
    """
    _, correct, length = alignment_counts(y_true, y_pred, **penalties)
    return ops.where(length > 0, correct / ops.maximum(length, 1.0), 1.0)


@keras.saving.register_keras_serializable(package="dczoo")
class AlignmentIdentity(keras.metrics.Mean):
    """Mean per-window alignment identity (the reference's `AlignmentMetric`).

    Args:
        name: metric name.
        dtype: metric dtype.

    Example:
    >>> model.compile(optimizer, loss=AlignmentLoss(),
    ...               metrics=[WindowAccuracy(), AlignmentIdentity()])
    """

    def __init__(self, name="alignment_identity", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(alignment_pid(y_true, y_pred),
                                    sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


"""The differentiable alignment loss of DeepConsensus, written with keras.ops.

The loss aligns the gap-free label (length `m` after removing gaps) to all `n`
prediction columns with a soft-min dynamic program (a soft Needleman-Wunsch):

    V[0, 0] = 0
    V[i, j] = softmin_gamma( V[i-1, j-1] + S[i, j],   # label base i read from column j
                             V[i, j-1]   + I[j],      # column j emits a gap
                             V[i-1, j]   + delta )    # label base i not covered

with S[i, j] = -log p_j(label_i), I[j] = -log p_j(gap) (probabilities clipped to
[1e-7, 1 - 1e-7] in float32), delta = `del_cost` and
softmin_gamma(a) = -gamma * log(sum(exp(-a / gamma))). The loss of an example is
V[label_length, n]: every prediction column is consumed, the label padding never
is. With `gamma=None` the soft-min becomes a hard min.

The table is filled one anti-diagonal (constant i + j) at a time, so the loop
has m + n vectorised steps instead of m * n scalar ones. How the loop runs
depends on the backend, because each backend differentiates loops differently:

* JAX: `ops.scan` over the per-diagonal costs (a `lax.scan`, fine under `jit`),
  wrapped in a cached `jax.jit` so that eager calls do not recompile it.
* TensorFlow: `ops.while_loop` with `maximum_iterations`, over chunks of 8
  diagonals. The cap is what lets XLA compile the gradient of the loop
  (`ops.scan` and `ops.fori_loop` build uncapped `tf.while_loop`s, whose
  gradients XLA refuses: "XLA compilation requires a fixed tensor list size"),
  so the loss works with `jit_compile=True` as well as in a plain
  `tf.function` graph and eagerly.
* torch: a Python loop over `ops.unstack`-ed diagonals (eager; unstacking once
  keeps the backward pass to one `stack` instead of one full-size scatter per
  step).
"""

import functools

import keras
import numpy as np
from keras import ops

from dczoo.constants import GAP_ID, VOCAB_SIZE
from dczoo.errors import DczooInputError
from dczoo.losses.sequence_ops import left_shift_sequence, sequence_lengths

# Probability clip and "infinity" of the reference implementation.
PROBABILITY_EPSILON = 1e-7
INFINITY_COST = 1e9


def _skew(x):
    """Shift row i of each matrix right by i: out[b, i, e] = x[b, i, e - i].

    Entries where `e - i` falls outside `[0, cols)` are 0. Done with a pad and
    two reshapes, so it is cheap and differentiable on every backend.

    Args:
        x: tensor (batch, rows, cols) with static `rows` and `cols`.

    Returns:
        tensor (batch, rows, cols + rows - 1).
    """
    rows, cols = x.shape[1], x.shape[2]
    x = ops.pad(x, [[0, 0], [0, 0], [0, rows]])
    x = ops.reshape(x, (-1, rows * (cols + rows)))
    x = x[:, : rows * (cols + rows - 1)]
    return ops.reshape(x, (-1, rows, cols + rows - 1))


# exp() arguments below this are clamped: exp(-80) = 1.8e-35 is negligible next
# to the 1 that the minimum contributes, and it keeps every term a normal
# float32 (underflowing exp() takes a slow path on some CPUs).
_EXP_FLOOR = -80.0


def _logaddexp(x, y):
    """log(exp(x) + exp(y)) from maximum, abs and softplus (see `_softmin3`)."""
    return ops.maximum(x, y) + ops.softplus(-ops.abs(x - y))


def _softmin3(a, b, c, gamma):
    """Elementwise soft minimum of three tensors (a hard min when `gamma` is None).

    softmin(a, b, c) = -gamma * log(exp(-a / gamma) + exp(-b / gamma) + exp(-c / gamma)).

    JAX and TensorFlow compute it as lo - gamma * log(sum_k exp((lo - x_k) / gamma))
    with lo = min(a, b, c) held constant for the gradient (a stable logsumexp
    whose gradient is exactly the softmax weights, ties included), the
    candidates stacked on a leading axis so each step makes one exp and one log.

    torch computes it with two pairwise log-add-exps written as
    max(x, y) + softplus(-|x - y|): torch sends float32 exp and log (also log2,
    log1p, and the backward of `logaddexp`) to MKL vector math split across
    threads from 2048 elements on, which costs milliseconds per call on these
    small tensors when the CPU is oversubscribed, while maximum, abs and
    softplus (forward and backward) stay in ATen's own kernels. The gradient is
    still the softmax weights, split evenly at exact ties.
    """
    if gamma is None:
        return ops.minimum(ops.minimum(a, b), c)
    if keras.config.backend() == "torch":
        return -gamma * _logaddexp(_logaddexp(-a / gamma, -b / gamma), -c / gamma)
    candidates = ops.stack([a, b, c], axis=0)
    lo = ops.stop_gradient(ops.min(candidates, axis=0))
    exponent = ops.maximum((lo - candidates) / gamma, _EXP_FLOOR)
    return lo - gamma * ops.log(ops.sum(ops.exp(exponent), axis=0))


def _diagonal_step(v_prev2, v_prev1, last_column, subs, ins, at_last_column,
                   del_cost, gamma):
    """Compute one anti-diagonal of the DP table.

    Diagonals are indexed by label position i = 0..m with batch first. For
    diagonal d (= t + 1 in loop steps): `v_prev2` is diagonal d - 2,
    `v_prev1` diagonal d - 1, `subs[:, i-1]` = S[i, d - i] for i = 1..m,
    `ins[:, i]` = I[d - i] and `at_last_column[i]` says whether (i, d - i) is in
    the last prediction column.

    Returns:
        (v_prev1, v_new, last_column) for the next step.
    """
    insertion = v_prev1 + ins
    match = v_prev2[:, :-1] + subs
    deletion = v_prev1[:, :-1] + del_cost
    best = _softmin3(match, insertion[:, 1:], deletion, gamma)
    v_new = ops.concatenate([insertion[:, :1], best], axis=1)
    last_column = ops.where(at_last_column, v_new, last_column)
    return v_prev1, v_new, last_column


@functools.lru_cache(maxsize=None)
def _jax_scan(del_cost, gamma):
    """The JAX driver: `ops.scan` over diagonals, wrapped in a cached `jax.jit`.

    Inside an outer `jit` (as in `fit`) the inner jit is simply inlined; the
    cache only spares eager callers a fresh trace and compile of the scan on
    every call (seconds each).
    """
    import jax

    def run(subs_wf, ins_wf, at_last, init):
        def scan_step(carry, xs):
            return _diagonal_step(*carry, *xs, del_cost, gamma), None

        (_, _, last_column), _ = ops.scan(scan_step, init, (subs_wf, ins_wf, at_last))
        return last_column

    return jax.jit(run)


# Diagonals per iteration of the TensorFlow loop (see `_tensorflow_capped_loop`).
TF_DIAGONALS_PER_ITERATION = 8


def _tensorflow_capped_loop(subs_wf, ins_wf, at_last, init, del_cost, gamma):
    """The TensorFlow driver: a capped `ops.while_loop` over chunks of diagonals.

    `maximum_iterations` makes the gradient compile under XLA. Each iteration
    slices one chunk of `TF_DIAGONALS_PER_ITERATION` diagonals and runs them
    unrolled: the gradient of a slice is a full-size tensor, so slicing once per
    chunk instead of once per diagonal makes the non-XLA graph's backward pass
    about 7x faster (measured at batch 32: 0.07 s instead of 0.5 s), while the
    short unroll keeps tracing and XLA compilation quick.
    """
    chunk = TF_DIAGONALS_PER_ITERATION
    steps = subs_wf.shape[0]
    num_chunks = -(-steps // chunk)
    extra = num_chunks * chunk - steps  # padded diagonals never reach the answer

    def chunked(x):
        x = ops.pad(x, [[0, extra], [0, 0], [0, 0]])
        return ops.reshape(x, (num_chunks, chunk, -1, x.shape[-1]))

    subs_c, ins_c = chunked(subs_wf), chunked(ins_wf)
    at_last_c = chunked(at_last)

    def loop_body(k, v2, v1, last):
        carry = (v2, v1, last)
        for xs in zip(ops.unstack(subs_c[k], num=chunk),
                      ops.unstack(ins_c[k], num=chunk),
                      ops.unstack(at_last_c[k], num=chunk)):
            carry = _diagonal_step(*carry, *xs, del_cost, gamma)
        return (k + 1,) + carry

    outputs = ops.while_loop(
        lambda k, *_: k < num_chunks,
        loop_body,
        (ops.convert_to_tensor(0, dtype="int32"),) + tuple(init),
        maximum_iterations=num_chunks,
    )
    return outputs[3]


def alignment_costs(y_true, y_pred):
    """Substitution and insertion costs of the alignment DP.

    Args:
        y_true: tensor (batch, m) of token ids with gaps anywhere.
        y_pred: float tensor (batch, n, 5) of probabilities.

    Returns:
        Tuple `(subs, ins, label_lengths)`: float32 `subs` (batch, m, n) with
        subs[b, i, j] = -log p_j(label_i) on the gap-free label, float32 `ins`
        (batch, n) = -log p_j(gap), int32 `label_lengths` (batch,).
    """
    labels = left_shift_sequence(y_true)
    label_lengths = sequence_lengths(labels)
    y_pred = ops.cast(y_pred, "float32")
    y_pred = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    log_probs = ops.log(
        ops.clip(y_pred, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
    )
    one_hot_labels = ops.one_hot(labels, VOCAB_SIZE, dtype="float32")
    subs = -ops.matmul(one_hot_labels, ops.transpose(log_probs, (0, 2, 1)))
    ins = -log_probs[:, :, GAP_ID]
    return subs, ins, label_lengths


def alignment_dp(subs, ins, label_lengths, del_cost=10.0, gamma=0.1):
    """Run the wavefront DP and read V[label_length, n] per example.

    Args:
        subs: float32 tensor (batch, m, n), substitution costs.
        ins: float32 tensor (batch, n), insertion (gap-emission) costs.
        label_lengths: int tensor (batch,), gap-free label lengths (<= m).
        del_cost: float, deletion cost.
        gamma: float or None, soft-min temperature; None for a hard min.

    Returns:
        float32 tensor (batch,).
    """
    m, n = subs.shape[1], subs.shape[2]
    if m is None or n is None:
        raise DczooInputError(
            f"AlignmentLoss: label and prediction lengths must be static, got "
            f"cost matrix shape {subs.shape}"
        )
    steps = m + n
    # subs_wf[t, b, i-1] = S[i, t - i + 1]; ins_wf[t, b, i] = I[t - i + 1].
    subs_shifted = ops.pad(subs, [[0, 0], [0, 0], [1, 0]])
    subs_wf = ops.moveaxis(_skew(subs_shifted), 2, 0)
    ins_rows = ops.broadcast_to(ins[:, None, :], (ops.shape(ins)[0], m + 1, n))
    ins_wf = ops.moveaxis(_skew(ins_rows), 2, 0)
    rows = np.arange(m + 1)
    at_last = np.arange(1, steps + 1)[:, None] - rows[None, :] == n
    at_last = ops.convert_to_tensor(at_last[:, None, :])  # (steps, 1, m+1)

    batch = ops.shape(ins)[0]
    big = ops.full((batch, m + 1), INFINITY_COST, dtype="float32")
    first_row = ops.convert_to_tensor(
        np.where(rows == 0, 0.0, INFINITY_COST).astype("float32")
    )
    v_prev2 = big
    v_prev1 = big * 0.0 + first_row[None, :]
    last_column = big
    del_cost = float(del_cost)

    backend = keras.config.backend()
    if backend == "jax":
        last_column = _jax_scan(del_cost, gamma)(
            subs_wf, ins_wf, at_last, (v_prev2, v_prev1, last_column)
        )
    elif backend == "tensorflow":
        last_column = _tensorflow_capped_loop(
            subs_wf, ins_wf, at_last, (v_prev2, v_prev1, last_column), del_cost, gamma
        )
    else:
        carry = (v_prev2, v_prev1, last_column)
        for xs in zip(ops.unstack(subs_wf), ops.unstack(ins_wf), ops.unstack(at_last)):
            carry = _diagonal_step(*carry, *xs, del_cost, gamma)
        last_column = carry[2]

    answer_index = ops.expand_dims(ops.cast(label_lengths, "int32"), axis=1)
    return ops.take_along_axis(last_column, answer_index, axis=1)[:, 0]


@keras.saving.register_keras_serializable(package="dczoo")
class AlignmentLoss(keras.losses.Loss):
    """Soft alignment loss between a label window and predicted probabilities.

    The reference's training loss (DeepConsensus `AlignmentLoss`): gaps are
    removed from the label, then a soft-min dynamic program aligns it to all
    prediction columns with costs -log p(base), -log p(gap) and `del_cost` per
    uncovered label base. Computed in float32 whatever the dtype policy.

    Args:
        del_cost: float. Cost of a label base that no prediction column covers.
            The released configuration uses 10.
        gamma: float or None. Soft-min temperature (the reference's
            `loss_reg`); None gives the hard minimum-cost alignment.
        reduction: Keras reduction; None gives one value per example, the
            default is the batch mean (the reference's sum / batch size).
        name: loss name.
        dtype: compute dtype of the result; the DP itself always runs in
            float32.

    Call args:
        y_true: (batch, m) token ids (0 = gap/pad, 1..4 = A, T, C, G).
        y_pred: (batch, n, 5) probabilities (a softmax output, not logits).

    Example:
    >>> loss = AlignmentLoss(reduction=None)
    >>> per_example = loss(labels, corrector(windows))  # shape (batch,)
    """

    def __init__(self, del_cost=10.0, gamma=0.1, reduction="sum_over_batch_size",
                 name="alignment_loss", dtype="float32"):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if gamma is not None and gamma <= 0:
            raise DczooInputError(f"AlignmentLoss: gamma must be > 0 or None, got {gamma}")
        self.del_cost = float(del_cost)
        self.gamma = None if gamma is None else float(gamma)

    def call(self, y_true, y_pred):
        subs, ins, label_lengths = alignment_costs(y_true, y_pred)
        return alignment_dp(subs, ins, label_lengths, self.del_cost, self.gamma)

    def get_config(self):
        config = super().get_config()
        config.update({"del_cost": self.del_cost, "gamma": self.gamma})
        return config

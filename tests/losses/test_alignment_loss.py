"""AlignmentLoss: reference values, hard mode, gradients, compiled modes."""

import keras
import numpy as np
import pytest
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.losses import AlignmentLoss
from dczoo.losses.sequence_ops import left_shift_numpy, left_shift_sequence

from tests.losses.loss_test_helpers import (
    compiled,
    load_reference,
    numpy_alignment_loss,
    value_and_grad,
)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def soft_reference():
    return load_reference("alignment_loss_soft.npz")


@pytest.fixture(scope="module")
def hard_cases():
    return load_reference("alignment_loss_hard_cases.npz")


@pytest.mark.parametrize("source", ["random", "teacher"])
def test_soft_loss_matches_reference(soft_reference, source):
    ref = soft_reference
    loss = AlignmentLoss(del_cost=float(ref["del_cost"]), gamma=float(ref["loss_reg"]),
                         reduction=None)
    per_example = _np(loss(ref["y_true"], ref[f"y_pred_{source}"]))
    assert per_example.shape == (64,)
    np.testing.assert_allclose(per_example, ref[f"loss_per_example_{source}"], rtol=1e-4)
    mean = _np(AlignmentLoss()(ref["y_true"], ref[f"y_pred_{source}"]))
    np.testing.assert_allclose(mean, ref[f"loss_auto_reduction_{source}"], rtol=1e-4)


@pytest.mark.parametrize("prediction", ["onehot", "smooth"])
def test_hard_cases_match_reference(hard_cases, prediction):
    ref = hard_cases
    y_pred = ref[f"y_pred_{prediction}"]
    hard = AlignmentLoss(del_cost=float(ref["hard_del_cost"]), gamma=None, reduction=None)
    soft = AlignmentLoss(del_cost=float(ref["soft_del_cost"]),
                         gamma=float(ref["soft_loss_reg"]), reduction=None)
    np.testing.assert_allclose(_np(hard(ref["y_true"], y_pred)),
                               ref[f"hard_loss_{prediction}"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(soft(ref["y_true"], y_pred)),
                               ref[f"soft_released_loss_{prediction}"], rtol=1e-4, atol=1e-5)


def test_hard_mode_named_cases(hard_cases):
    names = list(hard_cases["case_names"])
    values = dict(zip(names, _np(AlignmentLoss(del_cost=1.0, gamma=None, reduction=None)(
        hard_cases["y_true"], hard_cases["y_pred_onehot"]))))
    # 100 correct columns each cost -log(float32(1 - 1e-7)) = 1.19e-7.
    assert values["identical"] == pytest.approx(1.192e-5, abs=1e-7)
    assert values["missing_base"] == pytest.approx(1.0 + 1.192e-5, rel=1e-6)
    assert values["wrong_base"] == pytest.approx(16.118095, rel=1e-6)
    assert values["label_internal_gaps"] == pytest.approx(values["identical"])


def test_empty_label_costs_every_gap_emission():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(5), size=(2, 9)).astype("float32")
    labels = np.zeros((2, 7), "float32")
    value = _np(AlignmentLoss(reduction=None)(labels, probs))
    expected = -np.log(np.clip(probs[..., 0], 1e-7, 1 - 1e-7)).sum(-1)
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def _small_case(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array([[1, 0, 2, 3, 0, 4], [3, 3, 0, 1, 2, 2]], "float32")
    logits = rng.normal(0, 1.5, (2, 8, 5))
    return labels, logits


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("gamma, del_cost", [(0.5, 2.0), (None, 1.5)])
def test_values_and_gradients_match_finite_differences(gamma, del_cost):
    labels, logits = _small_case(seed=1)
    loss = AlignmentLoss(del_cost=del_cost, gamma=gamma, reduction=None)

    def total(x):
        return ops.sum(loss(labels, ops.softmax(x, axis=-1)))

    value, grad = value_and_grad(total, logits.astype("float32"))
    reference = numpy_alignment_loss(labels, _softmax(logits), del_cost, gamma)
    np.testing.assert_allclose(value, reference.sum(), rtol=1e-5)

    step = 1e-5
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[index] += step
        minus[index] -= step
        numeric[index] = (
            numpy_alignment_loss(labels, _softmax(plus), del_cost, gamma).sum()
            - numpy_alignment_loss(labels, _softmax(minus), del_cost, gamma).sum()
        ) / (2 * step)
    assert np.abs(numeric).max() > 0.1  # the check is not vacuous
    np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=2e-4)


def test_compiled_step_matches_reference_and_eager_gradient(soft_reference):
    """jax.jit / tf.function graph (no XLA) / torch eager, as `fit` runs them."""
    labels = soft_reference["y_true"][:8]
    logits = soft_reference["logits_random"][:8]
    loss = AlignmentLoss(reduction=None)

    def total(x):
        return ops.sum(loss(labels, ops.softmax(x, axis=-1)))

    value, grad = value_and_grad(compiled(total), logits)
    expected = soft_reference["loss_per_example_random"][:8].sum()
    np.testing.assert_allclose(value, expected, rtol=1e-4)
    assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 1e-3
    # A function of softmax(x) has gradients that sum to 0 over the classes.
    np.testing.assert_allclose(grad.sum(-1), 0.0, atol=1e-5)
    if keras.config.backend() == "tensorflow":  # graph vs eager while_loop
        eager_value, eager_grad = value_and_grad(total, logits)
        np.testing.assert_allclose(grad, eager_grad, rtol=1e-4, atol=1e-6)


@pytest.mark.skipif(keras.config.backend() != "tensorflow", reason="TensorFlow XLA only")
def test_tensorflow_xla_gradient_compiles_and_agrees(soft_reference):
    import tensorflow as tf

    labels = tf.constant(soft_reference["y_true"][:4])
    logits = tf.constant(soft_reference["logits_random"][:4])
    loss = AlignmentLoss()

    def value_and_gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(labels, tf.nn.softmax(x))
        return value, tape.gradient(value, x)

    xla_value, xla_grad = tf.function(value_and_gradient, jit_compile=True)(logits)
    graph_value, graph_grad = tf.function(value_and_gradient, jit_compile=False)(logits)
    expected = soft_reference["loss_per_example_random"][:4].mean()
    np.testing.assert_allclose(xla_value.numpy(), expected, rtol=1e-4)
    np.testing.assert_allclose(xla_grad.numpy(), graph_grad.numpy(), rtol=1e-3, atol=2e-5)


def test_runs_in_float32_under_mixed_precision(soft_reference):
    probs = soft_reference["y_pred_teacher"][:8]
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        loss = AlignmentLoss(reduction=None)
        value = loss(soft_reference["y_true"][:8], ops.cast(probs, "bfloat16"))
    finally:
        keras.config.set_dtype_policy(previous)
    assert loss.dtype == "float32"
    assert ops.convert_to_numpy(value).dtype == np.float32
    rounded = _np(ops.cast(ops.cast(probs, "bfloat16"), "float32"))
    expected = _np(AlignmentLoss(reduction=None)(soft_reference["y_true"][:8], rounded))
    np.testing.assert_allclose(_np(value), expected, rtol=1e-5)


def test_config_round_trip_and_bad_gamma():
    loss = AlignmentLoss(del_cost=3.0, gamma=None, reduction=None, name="aln")
    restored = AlignmentLoss.from_config(loss.get_config())
    assert (restored.del_cost, restored.gamma, restored.reduction, restored.name) == (
        3.0, None, None, "aln")
    with pytest.raises(DczooInputError, match="gamma"):
        AlignmentLoss(gamma=0.0)


def test_left_shift_matches_numpy():
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, 5, (6, 30)) * (rng.random((6, 30)) < 0.7)
    shifted = left_shift_numpy(tokens)
    np.testing.assert_array_equal(_np(left_shift_sequence(tokens)), shifted)
    for row, out in zip(tokens, shifted):
        kept = row[row != 0]
        np.testing.assert_array_equal(out[: len(kept)], kept)
        assert np.all(out[len(kept):] == 0)

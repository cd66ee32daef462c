"""The reference LAMB update and the warmup + linear decay schedule."""

import keras
import numpy as np
import pytest
from keras import ops

from dczoo.optimizers import REFERENCE_WARMUP_STEPS, DeepConsensusLamb, WarmupLinearDecay, make_optimizer

from tests.distill.distill_test_helpers import tiny_teacher


def _lr(schedule, step):
    return float(ops.convert_to_numpy(schedule(step)))


def test_schedule_warmup_then_linear_decay():
    schedule = WarmupLinearDecay(1e-3, 1e-5, decay_steps=1000, warmup_steps=100)
    at_warmup_end = 1e-5 + (1e-3 - 1e-5) * 0.9
    assert _lr(schedule, 0) == 0.0
    assert _lr(schedule, 50) == pytest.approx(at_warmup_end / 2, rel=1e-5)
    assert _lr(schedule, 100) == pytest.approx(at_warmup_end, rel=1e-5)
    assert _lr(schedule, 550) == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.45, rel=1e-5)
    assert _lr(schedule, 1000) == pytest.approx(1e-5, rel=1e-5)
    assert _lr(schedule, 5000) == pytest.approx(1e-5, rel=1e-5)
    no_warmup = WarmupLinearDecay(1e-3, 1e-5, decay_steps=10)
    assert _lr(no_warmup, 0) == pytest.approx(1e-3, rel=1e-6)
    restored = WarmupLinearDecay.from_config(schedule.get_config())
    assert _lr(restored, 50) == _lr(schedule, 50)


def test_make_optimizer_defaults():
    optimizer = make_optimizer(decay_steps=1000)
    schedule = optimizer._learning_rate
    assert schedule.warmup_steps == 100 and schedule.decay_steps == 1000
    assert make_optimizer(10**7)._learning_rate.warmup_steps == REFERENCE_WARMUP_STEPS
    assert optimizer.epsilon == 1e-6 and optimizer.weight_decay_rate == pytest.approx(6.9868e-3)


def test_exclusions_on_the_corrector():
    model = tiny_teacher(num_layers=1)
    optimizer = DeepConsensusLamb()
    excluded = sorted(v.path for v in model.trainable_variables
                      if not optimizer.uses_weight_decay(v))
    assert excluded == sorted([
        "encoder_layer_0/feedforward/intermediate_dense/bias",
        "encoder_layer_0/feedforward/output_dense/bias",
        "final_norm/gamma", "final_norm/beta", "logits/bias"])
    for variable in model.trainable_variables:
        assert optimizer.uses_layer_adaptation(variable) == optimizer.uses_weight_decay(variable)


def test_one_step_matches_the_model_garden_formula():
    kernel = keras.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], "float32"), name="kernel")
    bias = keras.Variable(np.array([0.7, -0.4], "float32"), name="bias")
    zero = keras.Variable(np.zeros(2, "float32"), name="kernel_zero")
    grads = [np.array([[0.3, -0.1], [0.2, 0.4]], "float32"),
             np.array([0.5, -0.5], "float32"), np.array([1.0, 2.0], "float32")]
    wd, lr, eps = 0.01, 0.1, 1e-6
    optimizer = DeepConsensusLamb(learning_rate=lr, weight_decay_rate=wd, epsilon=eps)
    initial = [ops.convert_to_numpy(v).copy() for v in (kernel, bias, zero)]
    optimizer.apply(grads, [kernel, bias, zero])

    def expected(w, g, decay_and_adapt):
        m_hat, v_hat = g, g * g  # after one step the bias-corrected moments are g, g**2
        update = m_hat / (np.sqrt(v_hat) + eps)
        if decay_and_adapt:
            update = update + wd * w
            w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(update)
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
            update = ratio * update
        return w - lr * update

    np.testing.assert_allclose(ops.convert_to_numpy(kernel),
                               expected(initial[0], grads[0], True), rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(bias),
                               expected(initial[1], grads[1], False), rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(zero),
                               expected(initial[2], grads[2], True), rtol=1e-5)
    restored = DeepConsensusLamb.from_config(optimizer.get_config())
    assert restored.exclude_from_weight_decay == optimizer.exclude_from_weight_decay
    with pytest.raises(ValueError, match="weight_decay_rate"):
        DeepConsensusLamb(weight_decay=0.1)

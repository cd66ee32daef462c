"""The encoder's layers: banded self-attention, the feed-forward block and ReZero."""

import keras
import numpy as np
import pytest
from keras import ops

from dczoo.layers import BandedSelfAttention, FeedForward, ReZeroEncoderLayer

from tests.layer_test_case import run_layer_test

BATCH, LENGTH, HIDDEN = 2, 10, 8
WINDOW = 2


def _inputs(seed=0):
    return np.random.default_rng(seed).normal(size=(BATCH, LENGTH, HIDDEN)).astype("float32")


def _numpy(tensor):
    return ops.convert_to_numpy(tensor)


@pytest.mark.parametrize(
    "layer_cls, init_kwargs, num_trainable_weights",
    [
        (BandedSelfAttention, dict(num_heads=2, head_dim=4, attention_window=WINDOW, dropout=0.1), 4),
        (FeedForward, dict(intermediate_dim=16, dropout=0.1), 4),
        # attention 4 kernels, feed-forward 2 kernels + 2 biases, 2 alphas
        (ReZeroEncoderLayer, dict(num_heads=2, intermediate_dim=16, attention_window=WINDOW, dropout=0.1,
                                  attention_dropout=0.1, intermediate_dropout=0.1), 10),
    ],
    ids=["BandedSelfAttention", "FeedForward", "ReZeroEncoderLayer"],
)
def test_layer_passes_the_shared_checks(layer_cls, init_kwargs, num_trainable_weights):
    run_layer_test(layer_cls, init_kwargs, _inputs(), (BATCH, LENGTH, HIDDEN),
                   expected_num_trainable_weights=num_trainable_weights)


def test_attention_outside_the_band_is_zero():
    layer = BandedSelfAttention(num_heads=2, head_dim=4, attention_window=WINDOW)
    x = _inputs()
    outputs, weights = layer(x, return_attention_scores=True)
    weights = _numpy(weights)
    assert weights.shape == (BATCH, 2, LENGTH, LENGTH)
    positions = np.arange(LENGTH)
    outside = np.abs(positions[:, None] - positions[None, :]) > WINDOW
    assert np.all(weights[:, :, outside] == 0)
    assert np.all(weights[:, :, ~outside] > 0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    # So an input beyond the band of a position does not change its output.
    changed = x.copy()
    changed[:, -1] += 5.0
    moved = np.abs(_numpy(layer(changed)) - _numpy(outputs)).max(axis=(0, 2))
    reach = positions >= LENGTH - 1 - WINDOW
    assert np.all(moved[~reach] == 0)
    assert np.all(moved[reach] > 0)


def test_band_mask_is_the_distance_limit():
    mask = BandedSelfAttention(num_heads=1, head_dim=4, attention_window=1).band_mask(4)
    np.testing.assert_array_equal(mask, np.array([
        [1, 1, 0, 0],
        [1, 1, 1, 0],
        [0, 1, 1, 1],
        [0, 0, 1, 1],
    ], bool))


def test_feedforward_is_dense_relu_dense():
    layer = FeedForward(intermediate_dim=16)
    x = _inputs()
    output = _numpy(layer(x))
    inner, outer = layer.intermediate_dense, layer.output_dense
    hidden = np.maximum(x @ _numpy(inner.kernel) + _numpy(inner.bias), 0.0)
    expected = hidden @ _numpy(outer.kernel) + _numpy(outer.bias)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
    assert _numpy(inner.kernel).shape == (HIDDEN, 16)


def test_feedforward_dropout_only_in_training():
    layer = FeedForward(intermediate_dim=64, dropout=0.5)
    x = _inputs()
    np.testing.assert_array_equal(_numpy(layer(x)), _numpy(layer(x, training=False)))
    assert np.abs(_numpy(layer(x, training=True)) - _numpy(layer(x))).max() > 1e-4


def test_fresh_rezero_layer_is_the_identity():
    layer = ReZeroEncoderLayer(num_heads=2, intermediate_dim=16, attention_window=WINDOW)
    x = _inputs()
    np.testing.assert_array_equal(_numpy(layer(x)), x)
    assert float(_numpy(layer.attention_alpha)) == 0.0
    assert float(_numpy(layer.feedforward_alpha)) == 0.0


def test_rezero_layer_adds_each_sublayer_scaled_by_its_alpha():
    layer = ReZeroEncoderLayer(num_heads=2, intermediate_dim=16, attention_window=WINDOW)
    x = _inputs()
    layer(x)
    layer.attention_alpha.assign(0.3)
    layer.feedforward_alpha.assign(-0.7)
    outputs, scores = layer(x, return_attention_scores=True)
    assert tuple(scores.shape) == (BATCH, 2, LENGTH, LENGTH)
    assert layer.attention.head_dim == HIDDEN // 2
    hidden = x + 0.3 * _numpy(layer.attention(x))
    expected = hidden + -0.7 * _numpy(layer.feedforward(hidden))
    np.testing.assert_allclose(_numpy(outputs), expected, rtol=1e-5, atol=1e-5)


def test_rezero_layer_needs_heads_that_divide_the_width():
    layer = ReZeroEncoderLayer(num_heads=3, intermediate_dim=16, attention_window=WINDOW)
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        layer.build((BATCH, LENGTH, HIDDEN))


def test_layers_are_registered_under_dczoo():
    for cls in (BandedSelfAttention, FeedForward, ReZeroEncoderLayer):
        assert keras.saving.get_registered_name(cls) == f"dczoo>{cls.__name__}"

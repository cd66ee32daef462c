"""Tiny model configurations shared by the model tests."""

import keras
import numpy as np

import dczoo

TINY_ARCHITECTURE = dict(
    num_layers=2, hidden_dim=16, num_heads=2, intermediate_dim=32, attention_window=3
)


def tiny_corrector(active=True, seed=1234, **overrides):
    """A small corrector with weights drawn from `seed`; `active` sets the
    ReZero alphas to non-zero values."""
    config = dict(TINY_ARCHITECTURE, **overrides)
    keras.utils.set_random_seed(seed)
    model = dczoo.models.DeepConsensusCorrector(
        dczoo.models.DeepConsensusBackbone(**config)
    )
    if active:
        for index, layer in enumerate(model.backbone.encoder_layers):
            layer.attention_alpha.assign(0.7 + 0.1 * index)
            layer.feedforward_alpha.assign(0.5 + 0.1 * index)
    return model


def random_windows(batch=3, rows=85, length=100, seed=0, max_passes=20):
    """Random but well-formed windows: ids in range, pw/ip/sn realistic."""
    rng = np.random.default_rng(seed)
    windows = np.zeros((batch, rows, length), np.float32)
    p = max_passes
    windows[:, :p] = rng.integers(0, 5, (batch, p, length))
    windows[:, p : 2 * p] = rng.integers(0, 80, (batch, p, length))
    windows[:, 2 * p : 3 * p] = rng.integers(0, 80, (batch, p, length))
    windows[:, 3 * p : 4 * p] = rng.integers(1, 3, (batch, p, 1))
    windows[:, 4 * p] = rng.integers(0, 5, (batch, length))
    if rows == 4 * p + 6:
        windows[:, 4 * p + 1] = rng.integers(-1, 94, (batch, length))
    windows[:, -4:] = rng.uniform(2, 15, (batch, 4, 1))
    return windows

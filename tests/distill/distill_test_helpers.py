"""Tiny teachers, students and data for the distillation tests.

Windows are shortened (2 passes -> 13 rows, 20 columns) so that a few
training steps take seconds on every backend.
"""

import numpy as np

from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

from tests.models.tiny import random_windows

TINY = dict(hidden_dim=16, num_heads=2, intermediate_dim=32, attention_window=3,
            max_passes=2, window_length=20)
ROWS = 4 * TINY["max_passes"] + 5


def tiny_teacher(num_layers=6, seed=0, **overrides):
    """A tiny corrector with every weight non-default (alphas and final norm too)."""
    model = DeepConsensusCorrector(
        DeepConsensusBackbone(num_layers=num_layers, **dict(TINY, **overrides))
    )
    rng = np.random.default_rng(seed)
    for index, layer in enumerate(model.backbone.encoder_layers):
        layer.attention_alpha.assign(0.6 + 0.05 * index)
        layer.feedforward_alpha.assign(0.4 + 0.05 * index)
    norm = model.backbone.final_norm
    norm.gamma.assign(rng.uniform(0.5, 1.5, norm.gamma.shape).astype("float32"))
    norm.beta.assign(rng.normal(0, 0.1, norm.beta.shape).astype("float32"))
    return model


def tiny_batch(batch=16, seed=1):
    """Windows and gapped labels of the tiny geometry."""
    windows = random_windows(batch, rows=ROWS, length=TINY["window_length"], seed=seed,
                             max_passes=TINY["max_passes"])
    rng = np.random.default_rng(seed + 100)
    labels = rng.integers(1, 5, (batch, TINY["window_length"]))
    labels[rng.random(labels.shape) < 0.2] = 0
    return windows, labels.astype("float32")

import numpy as np

from dczoo.analysis.attention_distance import attention_distance

from tests.models.tiny import random_windows, tiny_corrector


def _uniform_band_distance(length, window):
    positions = np.arange(length)
    distance = np.abs(positions[:, None] - positions[None, :])
    allowed = distance <= window
    return float(((distance * allowed).sum(1) / allowed.sum(1)).mean())


def test_uniform_attention_gives_the_band_average():
    model = tiny_corrector()
    for layer in model.backbone.encoder_layers:
        layer.attention.query_kernel.assign(np.zeros(layer.attention.query_kernel.shape))
    distances = attention_distance(model, random_windows(batch=3), batch_size=2)
    assert distances.shape == (2, 2)
    np.testing.assert_allclose(distances, _uniform_band_distance(100, 3), rtol=1e-5)


def test_distances_stay_inside_the_band():
    distances = attention_distance(tiny_corrector(), random_windows(batch=2))
    assert np.all(distances >= 0) and np.all(distances <= 3)

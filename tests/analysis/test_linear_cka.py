import numpy as np
import pytest

from dczoo.analysis.linear_cka import LinearCKAAccumulator, linear_cka, linear_cka_score

from tests.models.tiny import random_windows, tiny_corrector


@pytest.fixture
def features():
    return np.random.default_rng(0).normal(size=(500, 12))


def test_self_similarity_is_one(features):
    assert linear_cka_score(features, features) == pytest.approx(1.0)


def test_invariant_to_orthogonal_transform_and_isotropic_scaling(features):
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(12, 12)))
    assert linear_cka_score(features, 3.5 * features @ rotation) == pytest.approx(1.0)
    other = np.random.default_rng(2).normal(size=(500, 7)) + features[:, :7]
    assert linear_cka_score(features, other) == pytest.approx(
        linear_cka_score(features @ rotation * 0.2, other)
    )


def test_independent_features_are_near_zero(features):
    independent = np.random.default_rng(3).normal(size=(500, 12))
    assert linear_cka_score(features, independent) < 0.05


def test_not_invariant_to_anisotropic_scaling(features):
    stretched = features * np.linspace(0.1, 10, 12)
    assert linear_cka_score(features, stretched) < 0.95


def test_mini_batches_equal_one_batch(features):
    other = features[:, :5] ** 2
    accumulator = LinearCKAAccumulator()
    for start in range(0, 500, 64):
        accumulator.update(features[start : start + 64], other[start : start + 64])
    assert accumulator.result() == pytest.approx(linear_cka_score(features, other))


def test_model_layers_matrix():
    model = tiny_corrector()
    other = tiny_corrector(num_layers=3)
    windows = random_windows(batch=5)
    matrix = linear_cka(model, other, windows, batch_size=2)
    assert matrix.shape == (2, 3)
    assert np.all((matrix >= 0) & (matrix <= 1 + 1e-9))
    same = linear_cka(model, model, windows, batch_size=2)
    np.testing.assert_allclose(np.diag(same), 1.0, rtol=1e-6)

"""Batched, compiled prediction equals the model's own output."""

import numpy as np
import pytest

from dczoo.inference.batched_predictor import BatchedPredictor, padded_size

from tests.models.tiny import random_windows, tiny_corrector


def test_padded_sizes_are_few():
    sizes = {padded_size(n, 256) for n in range(1, 257)}
    assert sizes == {32, 64, 128, 256}
    assert padded_size(5, 8) == 8
    assert padded_size(300, 256) == 256


def test_batch_splits_and_padding_do_not_change_predictions():
    # The compiled function itself is checked against the reference model end
    # to end (test_end_to_end_parity); here: splitting, padding, reassembly.
    model = tiny_corrector()
    windows = random_windows(batch=23, seed=1)
    whole = BatchedPredictor(model, batch_size=32).predict(windows)
    predictor = BatchedPredictor(model, batch_size=8)
    probs = predictor.predict(windows)
    assert probs.shape == (23, 100, 5) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, whole, atol=1e-5)
    np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-5)
    assert predictor.n_predicted == 23
    if predictor.pads_batches:
        assert predictor.compiled_shapes == {8}
        assert predictor.n_padded == 1
    else:
        assert predictor.n_padded == 0
    # channel axis accepted; empty input gives an empty result
    np.testing.assert_allclose(predictor.predict(windows[:3, ..., None]), whole[:3], atol=1e-5)
    assert predictor.predict(windows[:0]).shape == (0, 100, 5)


def test_oversized_batch_is_refused():
    predictor = BatchedPredictor(tiny_corrector(), batch_size=4)
    with pytest.raises(ValueError, match="exceed"):
        predictor.predict_batch(random_windows(batch=5))
    with pytest.raises(ValueError):
        BatchedPredictor(tiny_corrector(), batch_size=0)

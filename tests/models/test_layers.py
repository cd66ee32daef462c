import numpy as np
import pytest
from keras import ops

from dczoo.layers import WindowRowEmbedding, sinusoidal_position_table

from tests.models.tiny import random_windows


def test_id_zero_embeds_to_zero_and_others_do_not():
    layer = WindowRowEmbedding()
    zeros = np.zeros((1, 85, 100), np.float32)
    assert np.all(ops.convert_to_numpy(layer(zeros)) == 0)
    windows = random_windows(batch=1)
    out = ops.convert_to_numpy(layer(windows))
    assert out.shape == (1, 100, 560)
    # Column 7's first subread base (row 0) occupies features 0..7.
    base = windows[0, 0, 7]
    assert np.all(out[0, 7, :8] == 0) == (base == 0)


def test_embedding_is_scaled_lookup_of_truncated_ids():
    layer = WindowRowEmbedding()
    windows = np.zeros((1, 85, 100), np.float32)
    windows[0, 81, 0] = 12.97  # first sn row, truncates to id 12
    out = ops.convert_to_numpy(layer(windows))
    table = ops.convert_to_numpy(layer.tables["sn"])
    np.testing.assert_allclose(out[0, 0, 528:536], table[12] * np.sqrt(8), rtol=1e-6)
    windows[0, 81, 0] = 0.7  # truncates to 0: zero vector
    assert np.all(ops.convert_to_numpy(layer(windows))[0, 0, 528:536] == 0)


def test_out_of_range_values_are_clipped():
    layer = WindowRowEmbedding()
    windows = random_windows(batch=1)
    clipped = windows.copy()
    windows[0, 20:60, :5] = 300.0  # pw and ip rows
    windows[0, 81:85, :] = 900.0  # sn
    clipped[0, 20:60, :5] = 255.0
    clipped[0, 81:85, :] = 500.0
    np.testing.assert_array_equal(
        ops.convert_to_numpy(layer(windows)), ops.convert_to_numpy(layer(clipped))
    )


@pytest.mark.parametrize("use_ccs_bq, rows, width", [(False, 85, 560), (True, 86, 568)])
def test_embedding_widths(use_ccs_bq, rows, width):
    layer = WindowRowEmbedding(use_ccs_bq=use_ccs_bq)
    out = layer(random_windows(batch=2, rows=rows))
    assert tuple(out.shape) == (2, 100, width)
    assert layer.output_width == width


def test_ccs_bq_minus_one_embeds_to_zero():
    layer = WindowRowEmbedding(use_ccs_bq=True)
    windows = np.zeros((1, 86, 100), np.float32)
    windows[0, 81, :] = -1.0
    windows[0, 81, 3] = 30.0
    out = ops.convert_to_numpy(layer(windows))
    bq = out[0, :, 528:536]
    assert np.all(bq[[0, 1, 2, 4]] == 0)
    np.testing.assert_allclose(
        bq[3], ops.convert_to_numpy(layer.tables["ccs_bq"])[31] * np.sqrt(8), rtol=1e-6
    )


def test_position_table_is_sine_block_then_cosine_block():
    table = sinusoidal_position_table(100, 280)
    assert table.shape == (100, 280)
    np.testing.assert_allclose(table[0, :140], 0.0)
    np.testing.assert_allclose(table[0, 140:], 1.0)
    rate = np.exp(-np.log(1e4) / 139 * 5)
    np.testing.assert_allclose(table[37, 5], np.sin(37 * rate), rtol=1e-5)
    np.testing.assert_allclose(table[37, 145], np.cos(37 * rate), rtol=1e-5)

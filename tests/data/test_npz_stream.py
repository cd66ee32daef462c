"""npz files assembled from independently compressed pieces."""

import zipfile
import zlib

import numpy as np
import pytest

from dczoo.data.npz_stream import crc32_combine, deflate, write_npz


def test_crc32_combine_matches_zlib():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = rng.bytes(int(rng.integers(0, 3000)))
        b = rng.bytes(int(rng.integers(0, 200000)))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_pieces_concatenate_into_a_valid_npz(tmp_path):
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 60, (700, 3, 100)).astype(np.uint8)
    positions = np.arange(700, dtype=np.int64) * 3
    path = tmp_path / "pieces.npz"
    write_npz(path, {
        "rows": (rows.dtype.str, rows.shape, [deflate(rows[:10]), deflate(rows[10:11]),
                                              deflate(rows[11:])]),
        "positions": (positions.dtype.str, positions.shape, [deflate(positions)]),
        "empty": ("|u1", (0, 5), []),
    })
    assert zipfile.ZipFile(path).testzip() is None  # every CRC verifies
    with np.load(path) as data:
        np.testing.assert_array_equal(data["rows"], rows)
        np.testing.assert_array_equal(data["positions"], positions)
        assert data["empty"].shape == (0, 5)


def test_wrong_sizes_are_refused(tmp_path):
    rows = np.zeros((4, 10), np.uint8)
    with pytest.raises(ValueError, match="needs 50"):
        write_npz(tmp_path / "bad.npz", {"rows": ("|u1", (5, 10), [deflate(rows)])})

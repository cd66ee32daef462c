"""recipes/deletion_bias.py: the kinetics ablation's window transform."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import deletion_bias  # noqa: E402
from dczoo.constants import row_slices  # noqa: E402


def test_without_kinetics_flattens_or_zeroes_only_pw_and_ip():
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 40, size=(3, 85, 100)).astype(np.float32)
    windows[:, :, 90:] = 0  # padding columns stay empty
    assert deletion_bias.without_kinetics(windows, "as-is") is windows
    flat = deletion_bias.without_kinetics(windows, "flat")
    zero = deletion_bias.without_kinetics(windows, "zero")
    for group in ("pw", "ip"):
        start, stop = row_slices()[group]
        block, original = flat[:, start:stop], windows[:, start:stop]
        assert ((block > 0) == (original > 0)).all()
        for k in range(3):
            values = np.unique(block[k][block[k] > 0])
            assert len(values) == 1 and values[0] == np.round(original[k][original[k] > 0].mean())
        assert not zero[:, start:stop].any()
    others = [s for g, s in row_slices().items() if g not in ("pw", "ip")]
    for start, stop in others:
        np.testing.assert_array_equal(flat[:, start:stop], windows[:, start:stop])
        np.testing.assert_array_equal(zero[:, start:stop], windows[:, start:stop])


def test_flattening_one_kinetics_row_group_leaves_the_other():
    rng = np.random.default_rng(1)
    windows = rng.integers(1, 40, size=(2, 85, 100)).astype(np.float32)
    pw, ip = row_slices()["pw"], row_slices()["ip"]
    only_pw = deletion_bias.without_kinetics(windows, "flat-pw")
    only_ip = deletion_bias.without_kinetics(windows, "flat-ip")
    assert np.array_equal(only_pw[:, ip[0]:ip[1]], windows[:, ip[0]:ip[1]])
    assert len(np.unique(only_pw[0, pw[0]:pw[1]])) == 1
    assert np.array_equal(only_ip[:, pw[0]:pw[1]], windows[:, pw[0]:pw[1]])
    assert len(np.unique(only_ip[0, ip[0]:ip[1]])) == 1

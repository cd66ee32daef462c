"""Kinetics: CodecV1 codes, and pw/ip that depend on the base and on errors."""

import numpy as np

from dczoo.simulate.kinetics import (
    KineticsModel,
    codec_v1_decode,
    codec_v1_encode,
    sample_kinetics,
    sample_zmw_kinetics,
)
from dczoo.simulate.subread_errors import STATE_INSERTION, STATE_MATCH, STATE_MISMATCH


def test_codec_v1_round_trip_and_steps():
    frames = np.arange(0, 1200)
    codes = codec_v1_encode(frames)
    assert codes.dtype == np.uint8 and codes.max() == 255
    assert np.all(np.diff(codes.astype(int)) >= 0)
    back = codec_v1_decode(codes)
    exact = frames < 64
    assert np.array_equal(back[exact], frames[exact])
    # larger pulses lose at most the step of their band (2, 4 or 8 frames)
    mid = (frames >= 64) & (frames < 952)
    assert np.all(frames[mid] - back[mid] < 8) and np.all(back[mid] <= frames[mid])


def _draw(state_value, base=b"A", n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    model = KineticsModel()
    zmw = sample_zmw_kinetics(model, rng)
    zmw.ip_factor = 1.0
    read = np.frombuffer(base * n, dtype=np.uint8)
    state = np.full(n, state_value, dtype=np.int8)
    return sample_kinetics(read, state, model, zmw, rng)


def test_inserted_bases_are_short_pulses_after_longer_pauses():
    pw_match, ip_match = _draw(STATE_MATCH)
    pw_ins, ip_ins = _draw(STATE_INSERTION)
    pw_mis, _ = _draw(STATE_MISMATCH)
    assert pw_ins.mean() < 0.85 * pw_match.mean()
    assert pw_mis.mean() < 0.85 * pw_match.mean()
    assert ip_ins.mean() > 1.1 * ip_match.mean()


def test_pulse_width_depends_on_the_base():
    pw_c, _ = _draw(STATE_MATCH, b"C")
    pw_t, _ = _draw(STATE_MATCH, b"T")
    assert pw_c.mean() > 1.3 * pw_t.mean()


def test_zmw_snr_has_four_positive_channels():
    zmw = sample_zmw_kinetics(KineticsModel(), np.random.default_rng(1))
    assert zmw.sn.shape == (4,) and zmw.sn.dtype == np.float32 and (zmw.sn > 0).all()
    noisy = sample_zmw_kinetics(KineticsModel(), np.random.default_rng(1), quality_z=3.0)
    assert noisy.sn[0] < zmw.sn[0]

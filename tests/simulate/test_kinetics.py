"""Kinetics: CodecV1 codes, and pw/ip that depend on the base and on errors."""

import dataclasses
import re

import numpy as np
import pytest

from dczoo.simulate.kinetics import (
    KineticsModel,
    codec_v1_decode,
    codec_v1_encode,
    sample_kinetics,
    sample_position_effects,
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


def _position_covariance(sim_dir):
    """Split-half covariance of per-position log pw and log ip (matched bases, per strand)."""
    from dczoo.simulate.realism_stats import position_kinetics_covariance

    return position_kinetics_covariance(str(sim_dir / "subreads_to_ccs.bam"))


@pytest.fixture(scope="module")
def plain_and_context_sims(tmp_path_factory):
    """The same tiny simulation without and with real-like kinetics, and both realism summaries."""
    from dczoo.simulate import simulate
    from dczoo.simulate.randomization import apply_overrides
    from dczoo.simulate.realism_stats import collect_statistics, summarize

    from tests.simulate.conftest import tiny_config

    root = tmp_path_factory.mktemp("context_kinetics")
    plain = tiny_config(n_zmws=6)
    context = apply_overrides(plain, {"kinetics.position_pw_sd": 0.4, "kinetics.position_ip_sd": 0.5,
                                      "kinetics.deletion_signal": 1.0})
    stats = {}
    for name, config in (("plain", plain), ("context", context)):
        simulate(config, str(root / name), cpus=1, progress=False)
        stats[name] = summarize(collect_statistics(str(root / name)))
    return root, stats


def test_real_like_kinetics_change_only_pw_and_ip(plain_and_context_sims):
    import pysam

    root, _ = plain_and_context_sims

    def records(folder, name):
        with pysam.AlignmentFile(str(root / folder / name), check_sq=False) as bam:
            return [(r.query_name, r.query_sequence, r.cigarstring, list(r.get_tag("pw")) if r.has_tag("pw") else None)
                    for r in bam]

    for name in ("ccs.bam", "subreads_to_ccs.bam"):
        plain, context = records("plain", name), records("context", name)
        assert [r[:3] for r in plain] == [r[:3] for r in context]
    assert [r[3] for r in plain] != [r[3] for r in context]


def test_position_effects_make_passes_agree_position_by_position(plain_and_context_sims):
    root, _ = plain_and_context_sims
    flat = _position_covariance(root / "plain")
    agree = _position_covariance(root / "context")
    assert abs(flat["pw"]) < 0.03 and abs(flat["ip"]) < 0.03
    # the covariance estimates the variance of the per-position factor (0.4^2, 0.5^2)
    assert 0.10 < agree["pw"] < 0.22 and 0.15 < agree["ip"] < 0.35


def test_deletion_traces_put_long_pauses_and_pulses_next_to_deletions(plain_and_context_sims):
    _, stats = plain_and_context_sims
    ip_key = "deletion after a base: rate at long vs short ip (x)"
    pw_key = "deletion beside a base: rate at long vs short pw (x)"
    # without traces a deletion is as likely next to a long pause or pulse as to a short one
    assert 0.6 < stats["plain"][ip_key] < 1.5 and 0.6 < stats["plain"][pw_key] < 1.5
    assert stats["context"][ip_key] > 2.0 and stats["context"][pw_key] > 1.3


def test_pass_layout_counts_deleted_template_bases():
    from dczoo.simulate.subread_errors import SubreadErrorModel, apply_errors

    template = np.frombuffer(b"ACGTTGCAAC" * 40, dtype=np.uint8)
    model = SubreadErrorModel(deletion_rate=0.1, insertion_rate=0.05, substitution_rate=0.0)
    read, state, origin, deleted_before = apply_errors(template, model, np.random.default_rng(2), return_origin=True)
    again = apply_errors(template, model, np.random.default_rng(2))
    assert np.array_equal(read, again[0]) and np.array_equal(state, again[1])
    kept = np.flatnonzero(state != STATE_INSERTION)
    assert np.array_equal(read[kept], template[origin[kept]])
    # each read template base's index = the previous one's + 1 + the bases deleted in between
    assert np.array_equal(np.diff(origin[kept]), 1 + deleted_before[kept][1:])
    assert (deleted_before[state == STATE_INSERTION] == 0).all() and deleted_before.sum() > 10


def test_position_effects_keep_the_spread_of_pw():
    rng = np.random.default_rng(4)
    n = 40_000
    read = np.frombuffer(b"A" * n, dtype=np.uint8)
    state = np.full(n, STATE_MATCH, dtype=np.int8)
    plain = KineticsModel()
    context = KineticsModel(position_pw_sd=0.4)
    zmw = sample_zmw_kinetics(plain, rng)
    log_pw, log_ip = sample_position_effects(context, n, rng)
    spread = []
    for model, position in ((plain, None), (context, (log_pw[0], log_ip[0]))):
        pw, _ = sample_kinetics(read, state, model, zmw, np.random.default_rng(5), position=position)
        spread.append(np.log(codec_v1_decode(pw).clip(1)).std())
    assert abs(spread[0] - spread[1]) < 0.03


@pytest.mark.parametrize("field, value, message", [
    ("position_pw_sd", -0.1, "position_pw_sd=-0.1 must be a finite number >= 0"),
    ("position_ip_sd", float("nan"), "position_ip_sd=nan must be a finite number >= 0"),
    ("position_pw_sd", 0.9, "position_pw_sd=0.9 must not exceed pw_sigma=0.72"),
    ("deletion_signal", 1.5, "deletion_signal=1.5 must be in [0, 1]"),
])
def test_bad_kinetics_spreads_are_refused(field, value, message):
    from dczoo.errors import DczooInputError

    with pytest.raises(DczooInputError, match=re.escape(message)):
        dataclasses.replace(KineticsModel(), **{field: value}).validate()

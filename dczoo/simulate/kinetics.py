"""Pulse kinetics of simulated subreads: pw and ip codes, and the ZMW's sn.

Pulse width (pw) and inter-pulse duration (ip) are drawn in frames and stored as
8-bit PacBio CodecV1 codes, as the real `@RG DS` (`Ipd:CodecV1=ip;PulseWidth:CodecV1=pw`)
says. Their distributions depend on the incorporated (native) base and on
whether the base is an error, as in the real human_1m subreads: inserted and
mismatched bases are often short pulses, and inserted bases follow longer pauses.
"""

import dataclasses

import numpy as np

from dczoo.simulate.subread_errors import STATE_INSERTION, STATE_MISMATCH

_BASE_INDEX = np.full(256, 0, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _BASE_INDEX[_b] = _i


def codec_v1_encode(frames):
    """Encodes frame counts as PacBio CodecV1 8-bit codes.

    Frames 0-63 map to themselves, 64-191 in steps of 2, 192-447 in steps of 4,
    448-951 in steps of 8; longer pulses saturate at 255.

    Args:
        frames: array-like of non-negative numbers.

    Returns:
        uint8 array of codes.

    Example:
    >>> codec_v1_encode([5, 64, 65, 200, 5000]).tolist()
    [5, 64, 64, 130, 255]
    """
    f = np.asarray(frames, dtype=np.int64).clip(0, None)
    code = np.where(f < 64, f,
           np.where(f < 192, 64 + (f - 64) // 2,
           np.where(f < 448, 128 + (f - 192) // 4, 192 + (f - 448) // 8)))
    return np.minimum(code, 255).astype(np.uint8)


def codec_v1_decode(codes):
    """Frame count represented by each CodecV1 code (inverse of `codec_v1_encode`).

    Args:
        codes: array-like of ints in [0, 255].

    Returns:
        int64 array of frames.
    """
    c = np.asarray(codes, dtype=np.int64)
    return np.where(c < 64, c,
           np.where(c < 128, 64 + (c - 64) * 2,
           np.where(c < 192, 192 + (c - 128) * 4, 448 + (c - 192) * 8)))


@dataclasses.dataclass
class KineticsModel:
    """Parameters of the pw/ip/sn model (frames at 100 Hz).

    Attributes:
        pw_median: median pw of a correctly incorporated A, C, G, T.
        pw_sigma: sd of log pw.
        short_pulse_share: share of (inserted, mismatched) bases that are short pulses.
        short_pulse_median: median pw of a short pulse.
        ip_mean: mean ip before a correct A, C, G, T (before the ZMW factor).
        ip_shape: gamma shape of ip.
        pause_share: share of inserted bases that follow a long pause.
        pause_median: median ip of a long pause.
        pause_sigma: sd of log ip of a long pause.
        zmw_ip_sd: sd of the log of the per-ZMW polymerase-speed factor on ip.
        zmw_pw_sd: sd of the log of the per-ZMW factor on pw.
        sn_a_median: median SNR of the A channel; C, G, T follow `sn_ratio`.
        sn_ratio: SNR of A, C, G, T relative to A.
        position_pw_sd: sd of the log of a factor on pw that belongs to one
            position of one strand of the molecule and is the same in every pass
            (real pulse kinetics depend on the sequence context, so the passes of
            a strand agree position by position: on human_1m the split-half
            covariance of per-position log pw is about 0.08, sd 0.29). The
            per-base spread `pw_sigma` is reduced so the total spread stays the
            same. 0 = no such factor (the default, which keeps the recorded sets).
        position_ip_sd: the same for ip (human_1m: about 0.13, sd 0.36).
        deletion_signal: share of subread deletions that leave a trace in the
            kinetics of their neighbours, as real ones do (on human_1m a base
            after a pause of 40-80 frames is 2.6x as often just after a
            deletion as one after 0-5 frames, and long pulses flank deletions
            on both sides; without a trace neither holds). A traced deletion
            is a missed pulse (the next base's ip grows by the deleted bases'
            pulses and pauses) or, with `deletion_merge_share`, a pulse merged
            into the base before or after it (that base's pw grows). 0 = no
            trace (the default, which keeps the recorded sets).
        deletion_merge_share: share of traced deletions that are merged pulses.
    """

    pw_median: tuple = (11.5, 18.0, 15.0, 11.0)
    pw_sigma: float = 0.72
    short_pulse_share: tuple = (0.45, 0.5)  # inserted, mismatched
    short_pulse_median: float = 3.6
    ip_mean: tuple = (16.0, 16.0, 17.0, 18.0)
    ip_shape: float = 0.95
    pause_share: float = 0.17
    pause_median: float = 40.0
    pause_sigma: float = 1.3
    zmw_ip_sd: float = 0.3
    zmw_pw_sd: float = 0.05
    sn_a_median: float = 5.2
    sn_ratio: tuple = (1.0, 1.9, 0.92, 1.6)
    position_pw_sd: float = 0.0
    position_ip_sd: float = 0.0
    deletion_signal: float = 0.0
    deletion_merge_share: float = 0.4

    def validate(self):
        """Raises DczooInputError for a spread the model cannot use."""
        from dczoo.errors import DczooInputError

        for name in ("pw_sigma", "ip_shape", "pause_sigma", "zmw_ip_sd", "zmw_pw_sd", "position_pw_sd",
                     "position_ip_sd"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0 or (name == "ip_shape" and value == 0):
                raise DczooInputError(f"kinetics model: {name}={value} must be a finite number >= 0"
                                      + (" and > 0" if name == "ip_shape" else ""))
        for name in ("deletion_signal", "deletion_merge_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise DczooInputError(f"kinetics model: {name}={value} must be in [0, 1]")
        if self.position_pw_sd > self.pw_sigma:
            raise DczooInputError(f"kinetics model: position_pw_sd={self.position_pw_sd} must not exceed "
                                  f"pw_sigma={self.pw_sigma} (it is a part of that spread)")

    @property
    def has_position_effects(self):
        """bool: whether pw or ip carry a per-position factor."""
        return self.position_pw_sd > 0 or self.position_ip_sd > 0

    @property
    def needs_layout(self):
        """bool: whether kinetics depend on where each base comes from (own random stream)."""
        return self.has_position_effects or self.deletion_signal > 0


@dataclasses.dataclass
class ZmwKinetics:
    """Per-ZMW draws: SNRs and speed factors.

    Attributes:
        sn: float32 array of 4 SNRs (A, C, G, T).
        ip_factor: float, multiplies every ip.
        pw_factor: float, multiplies every pw.
    """

    sn: np.ndarray
    ip_factor: float
    pw_factor: float


def sample_zmw_kinetics(model, rng, quality_z=0.0):
    """Draws the ZMW-level kinetics.

    Args:
        model: KineticsModel.
        rng: numpy Generator.
        quality_z: float. The ZMW's standardized error level (higher = noisier
            ZMW); a noisy ZMW gets a lower SNR.

    Returns:
        ZmwKinetics.
    """
    sn_a = model.sn_a_median * np.exp(-0.12 * quality_z + 0.06 * rng.standard_normal())
    ratio = np.asarray(model.sn_ratio) * np.exp(0.05 * rng.standard_normal(4))
    ratio[0] = 1.0
    return ZmwKinetics(
        sn=(sn_a * ratio).astype(np.float32),
        ip_factor=float(np.exp(model.zmw_ip_sd * rng.standard_normal())),
        pw_factor=float(np.exp(model.zmw_pw_sd * rng.standard_normal())),
    )


def sample_position_effects(model, size, rng):
    """Draws the per-position log factors on pw and ip of both strands of a molecule.

    Args:
        model: KineticsModel.
        size: int. Length of the molecule.
        rng: numpy Generator (a stream of its own, so that the ZMW's other draws
            do not depend on whether these are drawn).

    Returns:
        (log_pw, log_ip): float arrays of shape (2, size): row 0 for the top
        strand, row 1 for the bottom strand, indexed by top-strand position.

    Example:
    >>> log_pw, log_ip = sample_position_effects(KineticsModel(position_ip_sd=0.3), 10, np.random.default_rng(0))
    >>> log_pw.shape, bool(log_pw.any()), bool(log_ip.any())
    ((2, 10), False, True)
    """
    log_pw = model.position_pw_sd * rng.standard_normal((2, size))
    log_ip = model.position_ip_sd * rng.standard_normal((2, size))
    return log_pw, log_ip


def sample_kinetics(read, state, model, zmw, rng, position=None, deleted_before=None, trace_rng=None):
    """Draws pw and ip codes for the bases of one subread, in native orientation.

    Args:
        read: uint8 array of bases as sequenced.
        state: int8 array, STATE_MATCH / STATE_MISMATCH / STATE_INSERTION per base.
        model: KineticsModel.
        zmw: ZmwKinetics.
        rng: numpy Generator.
        position: optional (log_pw, log_ip), float arrays of the read's length:
            the per-position log factors of the molecule position each base
            comes from (`sample_position_effects`); an inserted base takes the
            factor of the position it was inserted at.
        deleted_before: optional int array of the read's length, the template
            bases deleted just before each base (`PassLayout.deleted_before`);
            with `model.deletion_signal` > 0, their kinetic traces are drawn.
        trace_rng: numpy Generator for the traces (a stream of its own, so the
            ZMW's other draws stay the same); required with `deleted_before`.

    Returns:
        (pw, ip): two uint8 arrays of CodecV1 codes, same length as `read`.
    """
    n = read.size
    base = _BASE_INDEX[read]
    pw_sigma = np.sqrt(max(model.pw_sigma ** 2 - model.position_pw_sd ** 2, 0.0))
    pw = np.asarray(model.pw_median)[base] * zmw.pw_factor * np.exp(pw_sigma * rng.standard_normal(n))
    if position is not None:
        pw *= np.exp(position[0])
    short = np.zeros(n, dtype=bool)
    for st, share in zip((STATE_INSERTION, STATE_MISMATCH), model.short_pulse_share):
        mask = state == st
        short[mask] = rng.random(int(mask.sum())) < share
    n_short = int(short.sum())
    if n_short:
        pw[short] = model.short_pulse_median * np.exp(0.35 * rng.standard_normal(n_short))
    mean_ip = np.asarray(model.ip_mean)[base] * zmw.ip_factor
    ip = rng.gamma(model.ip_shape, mean_ip / model.ip_shape)
    if position is not None:
        ip *= np.exp(position[1])
    pause = (state == STATE_INSERTION) & (rng.random(n) < model.pause_share)
    n_pause = int(pause.sum())
    if n_pause:
        ip[pause] = model.pause_median * np.exp(model.pause_sigma * rng.standard_normal(n_pause))
    if deleted_before is not None and model.deletion_signal > 0:
        _add_deletion_traces(pw, ip, deleted_before, model, zmw, trace_rng)
    return codec_v1_encode(np.maximum(pw, 1.0)), codec_v1_encode(ip)


def _add_deletion_traces(pw, ip, deleted_before, model, zmw, rng):
    """Adds the pulses of deleted bases to their neighbours' ip (missed) or pw (merged), in place."""
    after = np.flatnonzero(deleted_before > 0)
    after = after[rng.random(after.size) < model.deletion_signal]
    if after.size == 0:
        return
    count = deleted_before[after]
    # the deleted bases' own pulses and the pauses before them
    typical_pw = float(np.mean(model.pw_median)) * zmw.pw_factor
    typical_ip = float(np.mean(model.ip_mean)) * zmw.ip_factor
    lost_pw = typical_pw * count * np.exp(model.pw_sigma * rng.standard_normal(after.size) / np.sqrt(count))
    lost_ip = rng.gamma(model.ip_shape * count, typical_ip / model.ip_shape)
    merged = rng.random(after.size) < model.deletion_merge_share
    into_previous = rng.random(after.size) < 0.5
    target = np.where(into_previous & (after > 0), after - 1, after)
    # a merged pulse: the pause between the two pulses was too short to see
    np.add.at(pw, target[merged], lost_pw[merged] + 0.25 * lost_ip[merged])
    missed = ~merged
    np.add.at(ip, after[missed], lost_pw[missed] + lost_ip[missed])

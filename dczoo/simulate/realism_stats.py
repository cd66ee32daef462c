"""Statistics of a subread/draft/truth BAM set, computed the same way for real and simulated data.

Everything here is measured from the files alone (`ccs.bam`, `subreads_to_ccs.bam`,
`truth_to_ccs.bam`), so the numbers of the real human_1m sample and of a simulated
folder are directly comparable. `dczoo.simulate.realism` turns two such dicts
into a side-by-side table.
"""

import collections
import math
import os

import numpy as np
import pysam

from dczoo.errors import DczooInputError
from dczoo.simulate.kinetics import codec_v1_decode

_COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")
_BASE_INDEX = np.full(256, -1, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _BASE_INDEX[_b] = _i

INS_LENGTH_BINS = ("1", "2", "3", "4-5", "6-9", "10+")
DEL_LENGTH_BINS = ("1", "2", "3", "4+")
HP_CLASSES = ("1", "2", "3", "4+")
NP_BUCKETS = ((0, 2), (3, 4), (5, 6), (7, 12), (13, 10**6))
QV_BINS = ((0, 10), (10, 20), (20, 30), (30, 40), (40, 60), (60, 256))
STATE_MATCH, STATE_MISMATCH, STATE_INSERTION, STATE_CLIP = 0, 1, 2, 3
# frame bins of the deletion-neighbour kinetics: short (0-4), typical (5-39), long (40+)
KINETIC_BINS = (0, 5, 40, 10**6)


def np_bucket_name(lo, hi):
    """str: label of a pass-count bucket, e.g. "np 3-6" or "np 13+"."""
    return f"np {lo}+" if hi >= 10**6 else f"np {lo}-{hi}"


def qv_bin_name(lo, hi):
    """str: label of a draft base-quality bin, e.g. "QV 10-19" or "QV >= 60"."""
    return f"QV >= {lo}" if hi > 93 else f"QV {lo}-{hi - 1}"


def _ins_bin(length):
    if length <= 3:
        return length - 1
    if length <= 5:
        return 3
    return 4 if length <= 9 else 5


def _hp_class(run_length):
    return min(run_length, 4) - 1


def homopolymer_run_lengths(seq):
    """Length of the homopolymer run that contains each position.

    Args:
        seq: str or bytes.

    Returns:
        int64 array of len(seq); e.g. "AACGGG" -> [2, 2, 1, 3, 3, 3].
    """
    arr = np.frombuffer(seq.encode() if isinstance(seq, str) else seq, dtype=np.uint8)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(arr[1:] != arr[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [arr.size]])
    return np.repeat(ends - starts, ends - starts).astype(np.int64)


class _Accumulator:
    """Running sums of every statistic."""

    def __init__(self):
        self.columns = collections.Counter()
        self.subread_bases = 0
        self.ins_hist = np.zeros(len(INS_LENGTH_BINS), dtype=np.int64)
        self.del_hist = np.zeros(len(DEL_LENGTH_BINS), dtype=np.int64)
        self.ins_long = 0
        self.ins_hp_extending = 0
        self.del_in_hp = 0
        self.hp_covered = np.zeros(len(HP_CLASSES), dtype=np.int64)
        self.hp_del_events = np.zeros(len(HP_CLASSES), dtype=np.int64)
        self.hp_ins_events = np.zeros(len(HP_CLASSES), dtype=np.int64)
        # kinetics histograms: [state][code] and at matches [native base][code]
        self.pw_hist = np.zeros((3, 256), dtype=np.int64)
        self.ip_hist = np.zeros((3, 256), dtype=np.int64)
        self.pw_base_hist = np.zeros((4, 256), dtype=np.int64)
        self.zmw_columns = []  # (np, match columns, all columns)
        self.subreads_per_zmw = []
        self.np_per_zmw = []
        self.draft_cols = {b: collections.Counter() for b in NP_BUCKETS}
        self.draft_zmws = collections.Counter()
        self.qv_counts = np.zeros((len(QV_BINS), 2), dtype=np.int64)  # correct, error
        # aligned subread bases by pause (ip) and pulse (pw) bin, frames (KINETIC_BINS):
        # [all, next to a deletion]; ip: deletion just before in sequencing order;
        # pw: a deletion on either side
        self.ip_after_deletion = np.zeros((2, len(KINETIC_BINS) - 1), dtype=np.int64)
        self.pw_beside_deletion = np.zeros((2, len(KINETIC_BINS) - 1), dtype=np.int64)
        self.position_covariance = {}


def _add_subread(acc, record, draft, run_class, zmw_cols):
    ops = record.cigartuples or []
    qseq = record.query_sequence or ""
    qlen = len(qseq)
    acc.subread_bases += qlen
    state = np.full(qlen, STATE_CLIP, dtype=np.int8)
    # deletion right after base i (SEQ order) / right before base i
    del_after = np.zeros(qlen, dtype=bool)
    del_before = np.zeros(qlen, dtype=bool)
    dlen = len(draft)
    qpos, rpos = 0, record.reference_start
    for op, n in ops:
        if op in (7, 8, 0):
            if op == 0:  # plain M: compare bases
                same = np.frombuffer(qseq[qpos:qpos + n].encode(), np.uint8) == np.frombuffer(
                    draft[rpos:rpos + n].encode(), np.uint8)
                state[qpos:qpos + n] = np.where(same, STATE_MATCH, STATE_MISMATCH)
                acc.columns["match"] += int(same.sum())
                acc.columns["mismatch"] += int(n - same.sum())
                zmw_cols[0] += int(same.sum())
            else:
                state[qpos:qpos + n] = STATE_MATCH if op == 7 else STATE_MISMATCH
                acc.columns["match" if op == 7 else "mismatch"] += n
                if op == 7:
                    zmw_cols[0] += n
            zmw_cols[1] += n
            qpos += n
            rpos += n
        elif op == 1:
            state[qpos:qpos + n] = STATE_INSERTION
            acc.columns["insertion"] += n
            zmw_cols[1] += n
            acc.ins_hist[_ins_bin(n)] += 1
            acc.ins_long += n > 5
            inserted = set(qseq[qpos:qpos + n])
            runs = []
            if len(inserted) == 1:
                base = next(iter(inserted))
                if rpos > 0 and draft[rpos - 1] == base:
                    runs.append(run_class[rpos - 1])
                if rpos < dlen and draft[rpos] == base:
                    runs.append(run_class[rpos])
            if runs:
                acc.ins_hp_extending += 1
                acc.hp_ins_events[max(runs)] += 1
            qpos += n
        elif op in (2, 3):
            if op == 2:
                if qpos < qlen:
                    del_before[qpos] = True
                if qpos > 0:
                    del_after[qpos - 1] = True
                acc.columns["deletion"] += n
                zmw_cols[1] += n
                acc.del_hist[min(n, 4) - 1] += 1
                deleted = set(draft[rpos:rpos + n])
                if len(deleted) == 1:
                    base = next(iter(deleted))
                    left = rpos > 0 and draft[rpos - 1] == base
                    right = rpos + n < dlen and draft[rpos + n] == base
                    if n > 1 or left or right:
                        acc.del_in_hp += 1
                if rpos < dlen:
                    acc.hp_del_events[run_class[rpos]] += 1
            rpos += n
        elif op == 4:
            qpos += n
    end = min(rpos, dlen)
    if end > record.reference_start:
        acc.hp_covered += np.bincount(run_class[record.reference_start:end], minlength=len(HP_CLASSES))
    _add_kinetics(acc, record, qseq, state, del_before, del_after)


def _add_kinetics(acc, record, qseq, state, del_before, del_after):
    if not (record.has_tag("pw") and record.has_tag("ip")):
        return
    pw = np.asarray(record.get_tag("pw"), dtype=np.int64)
    ip = np.asarray(record.get_tag("ip"), dtype=np.int64)
    if pw.size != state.size or ip.size != state.size:
        return
    seq = qseq.encode()
    if record.is_reverse:  # stored in native orientation: line them up with SEQ
        pw, ip = pw[::-1], ip[::-1]
        seq = seq.translate(_COMPLEMENT)
    pw, ip = np.clip(pw, 0, 255), np.clip(ip, 0, 255)
    aligned = (state == STATE_MATCH) | (state == STATE_MISMATCH)
    # in sequencing order the base after a deletion is, for a reverse record, the one before it in SEQ
    after = del_after if record.is_reverse else del_before
    ip_bin = np.searchsorted(KINETIC_BINS, codec_v1_decode(ip[aligned]), side="right") - 1
    pw_bin = np.searchsorted(KINETIC_BINS, codec_v1_decode(pw[aligned]), side="right") - 1
    bins = len(KINETIC_BINS) - 1
    acc.ip_after_deletion[0] += np.bincount(ip_bin, minlength=bins)
    acc.ip_after_deletion[1] += np.bincount(ip_bin[after[aligned]], minlength=bins)
    acc.pw_beside_deletion[0] += np.bincount(pw_bin, minlength=bins)
    acc.pw_beside_deletion[1] += np.bincount(pw_bin[(del_before | del_after)[aligned]], minlength=bins)
    for s in (STATE_MATCH, STATE_MISMATCH, STATE_INSERTION):
        mask = state == s
        acc.pw_hist[s] += np.bincount(pw[mask], minlength=256)
        acc.ip_hist[s] += np.bincount(ip[mask], minlength=256)
    base = _BASE_INDEX[np.frombuffer(seq, dtype=np.uint8)]
    for b in range(4):
        mask = (state == STATE_MATCH) & (base == b)
        acc.pw_base_hist[b] += np.bincount(pw[mask], minlength=256)


def _read_drafts(path):
    drafts = {}
    with pysam.AlignmentFile(path, check_sq=False) as bam:
        for rec in bam.fetch(until_eof=True):
            quals = rec.query_qualities
            drafts[rec.query_name] = (
                rec.query_sequence,
                np.asarray(quals, dtype=np.int64) if quals is not None else None,
                int(rec.get_tag("np")) if rec.has_tag("np") else -1,
            )
    return drafts


def _add_truth(acc, truth_path, drafts, kept):
    with pysam.AlignmentFile(truth_path, check_sq=False) as bam:
        for rec in bam.fetch(until_eof=True):
            if rec.is_unmapped or rec.is_secondary or rec.is_supplementary:
                continue
            name = rec.reference_name
            if name not in kept or name not in drafts:
                continue
            kept.discard(name)  # first record per draft, like the reference pipeline
            seq, quals, n_passes = drafts[name]
            bucket = next(b for b in NP_BUCKETS if b[0] <= n_passes <= b[1])
            acc.draft_zmws[bucket] += 1
            rpos = rec.reference_start
            qv_bin = None
            if quals is not None:
                qv_bin = np.searchsorted([b[1] for b in QV_BINS], np.minimum(quals, 255), side="right")
            for op, n in rec.cigartuples:
                if op in (7, 8, 2):
                    kind = {7: "match", 8: "mismatch", 2: "deletion"}[op]
                    acc.draft_cols[bucket][kind] += n
                    if qv_bin is not None:
                        np.add.at(acc.qv_counts[:, 0 if op == 7 else 1], qv_bin[rpos:rpos + n], 1)
                    rpos += n
                elif op == 1:
                    acc.draft_cols[bucket]["insertion"] += n


def collect_statistics(directory, max_zmws=None):
    """Measures the realism statistics of a folder of PacBio-layout BAMs.

    Args:
        directory: str. Folder with `ccs.bam`, `subreads_to_ccs.bam` and (optional)
            `truth_to_ccs.bam`.
        max_zmws: int or None. Only the first this many ZMWs (file order).

    Returns:
        dict of raw sums (see `summarize` for the derived numbers).

    Raises:
        DczooInputError: when a required file is missing.

    Example:
    >>> stats = collect_statistics("../shared/data/human_1m")  # doctest: +SKIP
    >>> summarize(stats)["subread identity to draft"]  # doctest: +SKIP
    0.8847...
    """
    sub_path = os.path.join(directory, "subreads_to_ccs.bam")
    ccs_path = os.path.join(directory, "ccs.bam")
    for path in (sub_path, ccs_path):
        if not os.path.exists(path):
            raise DczooInputError(f"{path}: file not found (needed to measure realism)")
    drafts = _read_drafts(ccs_path)
    run_classes = {}
    acc = _Accumulator()
    kept = set()
    current, n_sub, zmw_cols = None, 0, [0, 0]

    def close_zmw():
        if current is not None:
            acc.subreads_per_zmw.append(n_sub)
            acc.np_per_zmw.append(drafts.get(current_draft, (None, None, -1))[2])
            acc.zmw_columns.append((acc.np_per_zmw[-1], zmw_cols[0], zmw_cols[1]))

    current_draft = None
    with pysam.AlignmentFile(sub_path, check_sq=False) as bam:
        for rec in bam.fetch(until_eof=True):
            if rec.is_unmapped:
                continue
            zmw = rec.get_tag("zm") if rec.has_tag("zm") else rec.query_name.split("/")[1]
            if zmw != current:
                close_zmw()
                if max_zmws is not None and len(acc.subreads_per_zmw) >= max_zmws:
                    current = None
                    break
                current, n_sub, zmw_cols = zmw, 0, [0, 0]
                current_draft = rec.reference_name
                kept.add(current_draft)
            name = rec.reference_name
            if name not in drafts:
                raise DczooInputError(f"{sub_path}: read {rec.query_name} aligns to {name}, absent from {ccs_path}")
            if name not in run_classes:
                run_classes.clear()
                run_classes[name] = np.minimum(homopolymer_run_lengths(drafts[name][0]), 4) - 1
            _add_subread(acc, rec, drafts[name][0], run_classes[name], zmw_cols)
            n_sub += 1
        close_zmw()
    truth_path = os.path.join(directory, "truth_to_ccs.bam")
    if os.path.exists(truth_path):
        _add_truth(acc, truth_path, drafts, set(kept))
    acc.position_covariance = position_kinetics_covariance(sub_path, max_zmws=max_zmws)
    return acc


def phred(error_rate, floor=None):
    """float: -10 log10(error_rate); `floor` (an error rate) stands in for zero."""
    if error_rate <= 0:
        if floor is None:
            return math.inf
        error_rate = floor
    return -10.0 * math.log10(error_rate)


def _quantile_from_hist(hist, q):
    total = hist.sum()
    if total == 0:
        return math.nan
    return float(np.searchsorted(np.cumsum(hist), q * total, side="left"))


def _mean_from_hist(hist):
    total = hist.sum()
    return float((hist * np.arange(hist.size)).sum() / total) if total else math.nan


def summarize(acc):
    """Derives the named statistics from the sums of `collect_statistics`.

    Args:
        acc: the object returned by `collect_statistics`.

    Returns:
        dict mapping statistic name -> float (NaN where undefined), in table order.
    """
    out = {}
    cols = acc.columns
    total = sum(cols[k] for k in ("match", "mismatch", "insertion", "deletion"))
    kb = acc.subread_bases / 1000.0 if acc.subread_bases else math.nan
    out["subread identity to draft"] = cols["match"] / total if total else math.nan
    for kind in ("mismatch", "insertion", "deletion"):
        out[f"{kind} column fraction"] = cols[kind] / total if total else math.nan
    n_ins, n_del = acc.ins_hist.sum(), acc.del_hist.sum()
    out["insertion events per kb"] = n_ins / kb
    out["deletion events per kb"] = n_del / kb
    out["insertions > 5 bp per kb"] = acc.ins_long / kb
    for i, name in enumerate(INS_LENGTH_BINS):
        out[f"insertion length {name} (share of events)"] = acc.ins_hist[i] / n_ins if n_ins else math.nan
    for i, name in enumerate(DEL_LENGTH_BINS):
        out[f"deletion length {name} (share of events)"] = acc.del_hist[i] / n_del if n_del else math.nan
    out["insertions extending a homopolymer"] = acc.ins_hp_extending / n_ins if n_ins else math.nan
    out["deletions inside a homopolymer"] = acc.del_in_hp / n_del if n_del else math.nan
    for i, name in enumerate(HP_CLASSES):
        covered = acc.hp_covered[i] / 1000.0
        out[f"deletions per kb of draft in runs of length {name}"] = (
            acc.hp_del_events[i] / covered if covered else math.nan)
    for i, name in enumerate(HP_CLASSES):
        covered = acc.hp_covered[i] / 1000.0
        out[f"run-extending insertions per kb of draft in runs of length {name}"] = (
            acc.hp_ins_events[i] / covered if covered else math.nan)
    state_names = {STATE_MATCH: "matched", STATE_MISMATCH: "mismatched", STATE_INSERTION: "inserted"}
    for kin, hist in (("pw", acc.pw_hist), ("ip", acc.ip_hist)):
        for s, name in state_names.items():
            out[f"mean {kin} at {name} bases"] = _mean_from_hist(hist[s])
        for s in (STATE_MATCH, STATE_INSERTION):
            for q in (0.1, 0.5, 0.9):
                out[f"{kin} p{int(q * 100)} at {state_names[s]} bases"] = _quantile_from_hist(hist[s], q)
    for b, base in enumerate("ACGT"):
        out[f"mean pw at matched {base}"] = _mean_from_hist(acc.pw_base_hist[b])
    for name, kin, hist in (("after", "ip", acc.ip_after_deletion), ("beside", "pw", acc.pw_beside_deletion)):
        rate = hist[1] / np.maximum(hist[0], 1)
        out[f"deletion {name} a base: rate at long vs short {kin} (x)"] = (
            float(rate[2] / rate[0]) if hist[0, 0] and hist[0, 2] and rate[0] else math.nan)
    for kin in ("pw", "ip"):
        out[f"per-position {kin} shared by passes (covariance of log)"] = acc.position_covariance.get(kin, math.nan)
    subreads = np.asarray(acc.subreads_per_zmw)
    passes = np.asarray(acc.np_per_zmw)
    out["ZMWs"] = float(subreads.size)
    out["subreads per ZMW, median"] = float(np.median(subreads)) if subreads.size else math.nan
    out["subreads per ZMW, max"] = float(subreads.max()) if subreads.size else math.nan
    out["draft np, median"] = float(np.median(passes)) if passes.size else math.nan
    out["ZMWs with np <= 2 (share)"] = float(np.mean(passes <= 2)) if passes.size else math.nan
    multi = [m / c for n, m, c in acc.zmw_columns if n >= 3 and c]
    out["per-ZMW subread identity (np >= 3), sd"] = float(np.std(multi)) if len(multi) > 1 else math.nan
    for bucket in NP_BUCKETS:
        c = acc.draft_cols[bucket]
        denom = sum(c[k] for k in ("match", "mismatch", "insertion", "deletion"))
        label = np_bucket_name(*bucket)
        out[f"draft identity to truth, {label}"] = c["match"] / denom if denom else math.nan
        out[f"drafts with truth, {label}"] = float(acc.draft_zmws[bucket])
    for i, (lo, hi) in enumerate(QV_BINS):
        correct, error = acc.qv_counts[i]
        n = correct + error
        out[f"empirical Q of draft bases with {qv_bin_name(lo, hi)}"] = (
            phred(error / n, floor=1.0 / (n + 1)) if n else math.nan)
        all_bases = acc.qv_counts.sum()
        out[f"draft bases with {qv_bin_name(lo, hi)} (share)"] = n / all_bases if all_bases else math.nan
    return out


def _half_means(keys, values, min_observations, rng):
    """Means of two random disjoint halves of each key's values (keys with enough values)."""
    order = np.lexsort((rng.random(keys.size), keys))
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, keys.size])
    group = np.repeat(np.arange(starts.size), counts)
    rank = np.arange(keys.size) - starts[group]
    half = (counts // 2)[group]
    keep = counts >= min_observations
    out = []
    for in_half in (rank < half, (rank >= half) & (rank < 2 * half)):
        sums = np.bincount(group[in_half], weights=values[in_half], minlength=starts.size)
        out.append((sums / np.maximum(counts // 2, 1))[keep])
    return out


def position_kinetics_covariance(subreads_to_ccs, max_zmws=None, min_observations=6, seed=0):
    """How much pw and ip belong to the molecule position rather than to the pass.

    Real pulse kinetics depend on the sequence context, so the passes over one
    strand agree position by position. For each ZMW, each aligned subread base
    gets log(frames) minus the ZMW's mean for that base letter; the values at one
    draft position and strand are split at random into two halves, and the
    covariance of the two halves' means over all positions estimates the
    variance of a per-position log factor (about 0 when passes are independent).

    Args:
        subreads_to_ccs: str. Subreads aligned to their drafts (pw/ip in native
            orientation, as PacBio and `dczoo simulate` write them).
        max_zmws: optional int. Measure the first N ZMWs only.
        min_observations: int. Positions with fewer aligned bases are skipped.
        seed: int. Seed of the random split.

    Returns:
        dict: `pw`, `ip` (covariances, in squared log units), `positions`.

    Example:
    >>> position_kinetics_covariance("human_1m/subreads_to_ccs.bam")  # doctest: +SKIP
    {'pw': 0.082, 'ip': 0.130, 'positions': 77490}
    """
    rng = np.random.default_rng(seed)
    halves = {"pw": ([], []), "ip": ([], [])}
    current, rows, zmws = None, [], 0

    def flush():
        if not rows:
            return
        keys, bases, pw, ip = (np.concatenate(col) for col in zip(*rows))
        for name, frames in (("pw", pw), ("ip", ip)):
            value = np.log(np.maximum(frames, 1.0))
            base_mean = np.bincount(bases, weights=value, minlength=4) / np.maximum(np.bincount(bases, minlength=4), 1)
            a, b = _half_means(keys, value - base_mean[bases], min_observations, rng)
            halves[name][0].append(a)
            halves[name][1].append(b)

    try:
        with pysam.AlignmentFile(subreads_to_ccs, "rb", check_sq=False) as bam:
            for record in bam:
                if record.is_unmapped or record.is_secondary or record.is_supplementary:
                    continue
                if not (record.has_tag("pw") and record.has_tag("ip")):
                    continue
                if record.reference_name != current:
                    flush()
                    rows, current = [], record.reference_name
                    zmws += 1
                    if max_zmws is not None and zmws > max_zmws:
                        rows = []
                        break
                pairs = np.asarray(record.get_aligned_pairs(matches_only=True), dtype=np.int64).reshape(-1, 2)
                if pairs.size == 0:
                    continue
                pw = codec_v1_decode(np.asarray(record.get_tag("pw"), dtype=np.uint8)).astype(np.float64)
                ip = codec_v1_decode(np.asarray(record.get_tag("ip"), dtype=np.uint8)).astype(np.float64)
                if record.is_reverse:
                    pw, ip = pw[::-1], ip[::-1]
                seq = np.frombuffer(record.query_sequence.encode(), dtype=np.uint8)
                bases = _BASE_INDEX[seq[pairs[:, 0]]]
                ok = bases >= 0
                q, ref = pairs[ok, 0], pairs[ok, 1]
                keys = ref * 2 + int(record.is_reverse)
                rows.append((keys, bases[ok], pw[q], ip[q]))
        flush()
    except (OSError, ValueError) as error:
        raise DczooInputError(f"{subreads_to_ccs}: cannot read subread BAM ({error})") from error
    out = {}
    for name, (a, b) in halves.items():
        a, b = np.concatenate(a) if a else np.zeros(0), np.concatenate(b) if b else np.zeros(0)
        out[name] = float(np.cov(a, b)[0, 1]) if a.size > 2 else float("nan")
        out["positions"] = int(a.size)
    return out

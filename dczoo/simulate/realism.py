"""Side-by-side realism table: real vs simulated statistics, with tolerances.

Both columns come from `dczoo.simulate.realism_stats`, computed by the same code
from the files, so the comparison is like for like. Each row has a stated
tolerance; `within` says whether the simulated value meets it.

Tolerance kinds:
    ("rel", r): |sim - real| <= r * |real|.
    ("rel_or_abs", r, a): within r relative or within a absolute, whichever is looser.
    ("abs", a): |sim - real| <= a.
    ("err_rel", r): for identities: the error rates (1 - identity) within r relative.
    ("phred", d): for identities: -10 log10(1 - identity) within d dB.
    ("q_abs", d): for values already in phred: within d dB.
    ("info",): shown, not judged (depends on sample size or insert length by design).
"""

import math

from dczoo.simulate.realism_stats import (
    DEL_LENGTH_BINS,
    HP_CLASSES,
    INS_LENGTH_BINS,
    NP_BUCKETS,
    QV_BINS,
    collect_statistics,
    np_bucket_name,
    qv_bin_name,
    summarize,
)


def _rows():
    rows = [("subread identity to draft", ("err_rel", 0.2))]
    rows += [(f"{k} column fraction", ("rel", 0.2)) for k in ("mismatch", "insertion", "deletion")]
    rows += [("insertion events per kb", ("rel", 0.2)), ("deletion events per kb", ("rel", 0.2)),
             ("insertions > 5 bp per kb", ("rel", 0.25))]
    rows += [(f"insertion length {b} (share of events)", ("rel_or_abs", 0.25, 0.01)) for b in INS_LENGTH_BINS]
    rows += [(f"deletion length {b} (share of events)", ("rel_or_abs", 0.25, 0.01)) for b in DEL_LENGTH_BINS]
    rows += [("insertions extending a homopolymer", ("abs", 0.08)),
             ("deletions inside a homopolymer", ("abs", 0.08))]
    rows += [(f"deletions per kb of draft in runs of length {c}", ("rel", 0.3)) for c in HP_CLASSES]
    rows += [(f"run-extending insertions per kb of draft in runs of length {c}", ("rel", 0.3)) for c in HP_CLASSES]
    for kin in ("pw", "ip"):
        rows += [(f"mean {kin} at {s} bases", ("rel", 0.2)) for s in ("matched", "mismatched", "inserted")]
        rows += [(f"{kin} p{q} at {s} bases", ("rel_or_abs", 0.25, 2.0))
                 for s in ("matched", "inserted") for q in (10, 50, 90)]
    rows += [(f"mean pw at matched {b}", ("rel", 0.2)) for b in "ACGT"]
    # shown, not judged: the default simulator has neither (docs/simulator.md, "Kinetics")
    rows += [("deletion after a base: rate at long vs short ip (x)", ("info",)),
             ("deletion beside a base: rate at long vs short pw (x)", ("info",)),
             ("per-position pw shared by passes (covariance of log)", ("info",)),
             ("per-position ip shared by passes (covariance of log)", ("info",))]
    rows += [("ZMWs", ("info",)), ("subreads per ZMW, median", ("abs", 3.0)), ("subreads per ZMW, max", ("info",)),
             ("draft np, median", ("abs", 3.0)), ("ZMWs with np <= 2 (share)", ("abs", 0.15)),
             ("per-ZMW subread identity (np >= 3), sd", ("rel", 0.5))]
    for bucket in NP_BUCKETS:
        label = np_bucket_name(*bucket)
        rows += [(f"draft identity to truth, {label}", ("phred", 3.0)), (f"drafts with truth, {label}", ("info",))]
    for lo, hi in QV_BINS:
        rows += [(f"empirical Q of draft bases with {qv_bin_name(lo, hi)}", ("q_abs", 5.0)),
                 (f"draft bases with {qv_bin_name(lo, hi)} (share)", ("info",))]
    return rows


TABLE_ROWS = _rows()


def _phred_of_identity(x):
    return math.inf if x >= 1 else -10.0 * math.log10(1.0 - x)


def within_tolerance(real, sim, tolerance):
    """Whether a simulated value meets a tolerance.

    Args:
        real, sim: float.
        tolerance: tuple, see the module docstring.

    Returns:
        True/False, or None for "info" rows and undefined values.

    Example:
    >>> within_tolerance(0.05, 0.055, ("rel", 0.2))
    True
    """
    result = _within(float(real), float(sim), tolerance)
    return None if result is None else bool(result)


def _within(real, sim, tolerance):
    kind = tolerance[0]
    if kind == "info" or any(isinstance(v, float) and math.isnan(v) for v in (real, sim)):
        return None
    if kind == "rel":
        return abs(sim - real) <= tolerance[1] * abs(real)
    if kind == "rel_or_abs":
        return abs(sim - real) <= max(tolerance[1] * abs(real), tolerance[2])
    if kind == "abs":
        return abs(sim - real) <= tolerance[1]
    if kind == "err_rel":
        return abs((1 - sim) - (1 - real)) <= tolerance[1] * (1 - real)
    if kind == "phred":
        return abs(_phred_of_identity(sim) - _phred_of_identity(real)) <= tolerance[1]
    if kind == "q_abs":
        return abs(sim - real) <= tolerance[1]
    raise ValueError(f"unknown tolerance kind {kind!r}")


def describe_tolerance(tolerance):
    """str: a short human description of a tolerance."""
    kind = tolerance[0]
    if kind == "info":
        return "(info)"
    if kind == "rel":
        return f"±{tolerance[1]:.0%}"
    if kind == "rel_or_abs":
        return f"±{tolerance[1]:.0%} or ±{tolerance[2]:g}"
    if kind == "abs":
        return f"±{tolerance[1]:g}"
    if kind == "err_rel":
        return f"error ±{tolerance[1]:.0%}"
    if kind == "phred":
        return f"±{tolerance[1]:g} dB of phred(identity)"
    return f"±{tolerance[1]:g} Q"


def compare_statistics(real, sim):
    """Builds the table rows from two `summarize` dicts.

    Args:
        real, sim: dicts of statistic -> value.

    Returns:
        list of dicts with keys statistic, real, simulated, tolerance, within.
    """
    rows = []
    for key, tol in TABLE_ROWS:
        r, s = real.get(key, math.nan), sim.get(key, math.nan)
        rows.append({"statistic": key, "real": r, "simulated": s,
                     "tolerance": describe_tolerance(tol), "within": within_tolerance(r, s, tol)})
    return rows


def compare_directories(real_dir, sim_dir, max_zmws=None):
    """Measures both folders and builds the realism table.

    Args:
        real_dir: str, folder of real data (e.g. ../shared/data/human_1m).
        sim_dir: str, folder written by `dczoo simulate`.
        max_zmws: int or None, limit on ZMWs read from the simulated folder.

    Returns:
        list of row dicts (see `compare_statistics`).
    """
    real = summarize(collect_statistics(real_dir))
    sim = summarize(collect_statistics(sim_dir, max_zmws=max_zmws))
    return compare_statistics(real, sim)


def _fmt(value):
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.1f}" if not float(value).is_integer() else f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def format_table(rows):
    """Renders the rows as a Markdown table.

    Args:
        rows: list of row dicts.

    Returns:
        str; the last line counts the rows within tolerance.
    """
    lines = ["| statistic | real | simulated | tolerance | within |", "|---|---|---|---|---|"]
    for row in rows:
        mark = {True: "yes", False: "**no**", None: ""}[row["within"]]
        lines.append(f"| {row['statistic']} | {_fmt(row['real'])} | {_fmt(row['simulated'])} | "
                     f"{row['tolerance']} | {mark} |")
    judged = [r for r in rows if r["within"] is not None]
    ok = sum(1 for r in judged if r["within"])
    lines.append("")
    lines.append(f"{ok} of {len(judged)} judged statistics within tolerance.")
    return "\n".join(lines)

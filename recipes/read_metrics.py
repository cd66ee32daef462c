"""Read-level measurements of evaluate.py: per read, per set, bootstrap intervals.

Each read is aligned once to its truth (`dczoo.analysis.read_errors`) for its
identity and error classes, and once more base by base for the calibration
counts. A set's summary adds them up; `bootstrap` resamples reads (the same
reads for the model and the draft, so a ratio's interval is paired).
"""

import numpy as np

QUALITIES = (20, 30, 40)
ERROR_KEYS = ("mismatches", "insertions", "deletions", "hp_insertions", "nonhp_insertions",
              "hp_deletions", "nonhp_deletions")


def measure_reads(reads, truths, extra=None, origin=None):
    """Per-read measurements and the set's base-quality counts.

    Args:
        reads: iterable of (name, sequence, qualities).
        truths: dict name -> true sequence (reads without truth are skipped).
        extra: optional dict name -> dict merged into each read's row (e.g. np).
        origin: optional dict name -> bool array over the read's bases, True
            where the base kept the draft (a skipped window).

    Returns:
        (rows, counts, by_origin): list of dicts (`name`, `length`,
        `truth_length`, `identity`, `predicted_q`, error counts), a
        `dczoo.analysis.calibration.QualityCounts` of all bases, and (with
        `origin`) a dict "model"/"draft" -> `QualityCounts` of the bases the
        model called and of those that kept the draft, else None.
    """
    from dczoo.analysis import read_errors
    from dczoo.analysis.calibration import QualityCounts, aligned_base_errors
    from dczoo.inference.read_filter import read_quality

    counts = QualityCounts()
    by_origin = {"model": QualityCounts(), "draft": QualityCounts()} if origin is not None else None
    rows = []
    for name, sequence, qualities in reads:
        if name not in truths:
            continue
        truth = truths[name]
        errors = read_errors(sequence, truth)
        wrong = errors["mismatches"] + errors["insertions"] + errors["deletions"]
        matches = len(truth) - errors["mismatches"] - errors["deletions"]
        columns = matches + wrong
        qualities = np.asarray(qualities)
        row = {"name": name, "length": len(sequence), "truth_length": len(truth),
               "identity": 1.0 if columns == 0 else matches / columns,
               "predicted_q": float(read_quality(qualities)) if len(qualities) else 0.0}
        row.update({k: int(errors[k]) for k in ERROR_KEYS})
        row.update((extra or {}).get(name, {}))
        rows.append(row)
        errors_per_base = aligned_base_errors(sequence, truth)
        counts.add(qualities, errors_per_base)
        mask = origin.get(name) if origin is not None else None
        if mask is not None and len(mask) == len(sequence):
            by_origin["draft"].add(qualities[mask], errors_per_base[mask])
            by_origin["model"].add(qualities[~mask], errors_per_base[~mask])
    return rows, counts, by_origin


def _arrays(rows, names):
    by_name = {r["name"]: r for r in rows}
    present = [n for n in names if n in by_name]
    get = lambda key: np.array([by_name[n][key] for n in present], np.float64)  # noqa: E731
    return present, get


def yield_bases(identity, length, predicted_q, quality, weights=None, min_predicted=20.0):
    """Bases of reads with predicted Q >= 20 and identity at empirical Q `quality`."""
    threshold = 1 - 10 ** (-quality / 10)
    passed = (predicted_q >= min_predicted) & (identity >= threshold - 1e-12)
    values = length * passed
    return values.sum() if weights is None else weights @ values


def summarize(rows, counts=None, by_origin=None):
    """The set's totals: identity, yield, errors per kb of truth, calibration.

    Args:
        rows: `measure_reads` rows.
        counts: optional `QualityCounts` of the same reads.
        by_origin: optional dict "model"/"draft" -> `QualityCounts`.

    Returns:
        dict.
    """
    if not rows:
        return {"reads": 0}
    identity = np.array([r["identity"] for r in rows])
    length = np.array([r["length"] for r in rows], np.float64)
    predicted = np.array([r["predicted_q"] for r in rows])
    truth_kb = sum(r["truth_length"] for r in rows) / 1000
    out = {
        "reads": len(rows),
        "mean_identity": float(identity.mean()),
        "yield": {str(q): int(yield_bases(identity, length, predicted, q)) for q in QUALITIES},
        "per_kb": {k: sum(r[k] for r in rows) / truth_kb for k in ERROR_KEYS},
        "truth_kb": truth_kb,
        "mean_predicted_q": float(predicted.mean()),
    }
    if counts is not None:
        out["calibration"] = _calibration(counts)
    for key, part in (by_origin or {}).items():
        out[f"calibration_{key}_bases"] = _calibration(part)
    return out


def _calibration(counts):
    return {"table": counts.table(), "max_deviation_q40": counts.max_deviation(40.0),
            "bases": int(counts.right.sum() + counts.wrong.sum()), "counts": counts.to_dict()}


def bootstrap(model_rows, draft_rows, replicates=2000, seed=0, level=0.95):
    """Paired bootstrap over reads of the model's gains over the draft.

    Args:
        model_rows, draft_rows: `measure_reads` rows (matched by name).
        replicates: int.
        seed: int.
        level: float, the interval's coverage.

    Returns:
        dict: for each quality, `yield_ratio_q<q>` [low, high]; and
        `deletions_per_kb_change`, `insertions_per_kb_change`,
        `identity_change` [low, high].
    """
    names = [r["name"] for r in model_rows]
    names, model = _arrays(model_rows, names)
    _, draft = _arrays(draft_rows, names)
    if not names:
        return {}
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), size=replicates).astype(np.float64)
    tail = (1 - level) / 2
    interval = lambda values: [float(np.nanquantile(values, tail)), float(np.nanquantile(values, 1 - tail))]  # noqa: E731
    out = {}
    for q in QUALITIES:
        ours = yield_bases(model("identity"), model("length"), model("predicted_q"), q, weights)
        base = yield_bases(draft("identity"), draft("length"), draft("predicted_q"), q, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"yield_ratio_q{q}"] = interval(np.where(base > 0, ours / base, np.nan))
    kb = weights @ model("truth_length") / 1000
    for key in ("deletions", "insertions", "mismatches"):
        out[f"{key}_per_kb_change"] = interval((weights @ model(key) - weights @ draft(key)) / kb)
    out["identity_change"] = interval(weights @ (model("identity") - draft("identity")) / len(names))
    return out


def paired_comparison(rows_a, rows_b, draft_rows, replicates=2000, seed=0, level=0.95, quality=30):
    """Model A against model B on the same reads: Q30 yield difference and gain share.

    The reads are resampled once per replicate and the same resample scores A,
    B and the draft, so the intervals are paired (the reads both models found
    hard or easy cancel out).

    Args:
        rows_a, rows_b, draft_rows: `measure_reads` rows of the same set
            (matched by name; reads missing from one of them are left out).
        replicates: int.
        seed: int.
        level: float, the intervals' coverage.
        quality: int, the empirical quality of the yield.

    Returns:
        dict: `reads`; `yield_a`, `yield_b`, `draft_yield` (bases);
        `difference` (A - B, bases) and `difference_interval`; `gain_share`
        ((A - draft) / (B - draft)) and `gain_share_interval` (NaN where B
        gains nothing).

    Example:
        >>> paired_comparison(student_rows, teacher_rows, draft_rows)["gain_share"]
    """
    names = [r["name"] for r in rows_a]
    for rows in (rows_b, draft_rows):
        names, _ = _arrays(rows, names)
    (_, a), (_, b), (_, draft) = (_arrays(rows, names) for rows in (rows_a, rows_b, draft_rows))
    if not names:
        return {"reads": 0}

    def yields(get, weights=None):
        return yield_bases(get("identity"), get("length"), get("predicted_q"), quality, weights)

    def share(ours, theirs, base):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(theirs - base > 0, (ours - base) / (theirs - base), np.nan)

    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), size=replicates).astype(np.float64)
    tail = (1 - level) / 2
    interval = lambda values: [float(np.nanquantile(values, tail)), float(np.nanquantile(values, 1 - tail))]  # noqa: E731
    ya, yb, yd = yields(a, weights), yields(b, weights), yields(draft, weights)
    point_a, point_b, point_draft = float(yields(a)), float(yields(b)), float(yields(draft))
    shares = share(ya, yb, yd)
    return {
        "reads": len(names), "quality": quality,
        "yield_a": point_a, "yield_b": point_b, "draft_yield": point_draft,
        "difference": point_a - point_b, "difference_interval": interval(ya - yb),
        "gain_share": float(share(np.array(point_a), np.array(point_b), np.array(point_draft))),
        "gain_share_interval": interval(shares) if np.isfinite(shares).any() else [float("nan")] * 2,
    }

def per_read_changes(model_rows, draft_rows):
    """Per read: draft and model identity, errors per 10 kb of truth and their change.

    Returns:
        list of dicts sorted by the draft's identity (best first).
    """
    draft = {r["name"]: r for r in draft_rows}
    out = []
    for r in model_rows:
        d = draft.get(r["name"])
        if d is None:
            continue
        scale = 1e4 / max(r["truth_length"], 1)
        errors = lambda row: row["mismatches"] + row["insertions"] + row["deletions"]  # noqa: E731
        out.append({
            "name": r["name"], "np": d.get("np"), "truth_length": r["truth_length"],
            "draft_identity": d["identity"], "identity": r["identity"],
            "draft_q": _phred(d["identity"]), "q": _phred(r["identity"]),
            "draft_errors_per_10kb": errors(d) * scale, "errors_per_10kb": errors(r) * scale,
            "change_per_10kb": (errors(r) - errors(d)) * scale,
            "draft_deletions": d["deletions"], "deletions": r["deletions"],
            "draft_insertions": d["insertions"], "insertions": r["insertions"],
        })
    return sorted(out, key=lambda row: -row["draft_identity"])


def _phred(identity):
    return float(-10 * np.log10(max(1 - identity, 1e-10)))

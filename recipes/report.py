"""Markdown tables, must-hold checks and figures from evaluate.py's results."""

import json
import os
import re

QUALITIES = ("20", "30", "40")
SET_ORDER_FIRST = "test"


def _yield(entry, set_name, quality):
    return entry.get(set_name, {}).get("yield", {}).get(quality) or entry.get(
        set_name, {}).get("yield", {}).get(int(quality), 0)


def _gain(results, name, quality="30"):
    """Yield at empirical Q`quality` of `name` minus the draft's."""
    return _yield(results[name], "test", quality) - _yield(results["draft"], "test", quality)


def _models(results):
    return [k for k in results if k not in ("draft", "sets", "merged_from", "comparisons", "speed_from")]


def _sets(results):
    return list(results.get("sets") or {"test": "test"})


def _ratio(results, name, set_name, quality="30"):
    base, ours = _yield(results["draft"], set_name, quality), _yield(results[name], set_name, quality)
    if not base:  # any yield is more than the draft's none
        return float("inf") if ours else 0.0
    return ours / base


def _interval(entry, set_name, key):
    values = entry.get(set_name, {}).get("bootstrap", {}).get(key)
    if not values or any(v != v for v in values):  # no interval, or NaN (a draft yield of 0)
        return ""
    return f" [{values[0]:.2f}, {values[1]:.2f}]"


def _ratio_text(results, name, set_name, quality="30"):
    """`1.56x [1.33, 1.87]`, or `draft 0 -> N` where the draft has no yield."""
    if not _yield(results["draft"], set_name, quality):
        return f"draft 0 -> {_yield(results[name], set_name, quality):,}"
    return f"{_ratio(results, name, set_name, quality):.2f}x" + _interval(
        results[name], set_name, f"yield_ratio_q{quality}")


def _share_text(comparison):
    interval = comparison.get("gain_share_interval") or [float("nan")] * 2
    text = f"{comparison['gain_share']:.1%}"
    return text if any(v != v for v in interval) else text + f" [{interval[0]:.1%}, {interval[1]:.1%}]"


def unpaired_comparisons(results, teacher="teacher_6layer", control_suffix="_nodistill"):
    """Each student's share of the teacher's gain from the set totals alone.

    For a student evaluated in another run than the teacher (merged with
    `--merge`), where evaluate.py could not pair their reads: the same
    numbers as `evaluate.model_comparisons` gives, without intervals.

    Args:
        results: results dict (merged or not).
        teacher: str, the teacher's entry.
        control_suffix: str, the suffix of the non-distilled twins.

    Returns:
        dict "student vs teacher" -> set -> comparison (`gain_share_interval` None).

    Example:
    ```python
    unpaired_comparisons(merge_results([teacher_run, student_run]))["student_4layer vs teacher_6layer"]["test"]
    ```
    """
    if teacher not in results:
        return {}
    found = {}
    for name in _models(results):
        if not name.startswith("student_") or name.endswith(control_suffix):
            continue
        per_set = {}
        for set_name in _sets(results):
            if set_name not in results[name] or set_name not in results[teacher]:
                continue
            draft = _yield(results["draft"], set_name, "30")
            yield_a, yield_b = _yield(results[name], set_name, "30"), _yield(results[teacher], set_name, "30")
            per_set[set_name] = {
                "reads": results[name][set_name].get("reads"), "yield_a": yield_a, "yield_b": yield_b,
                "draft_yield": draft, "gain_share": (yield_a - draft) / (yield_b - draft)
                if yield_b != draft else float("nan"), "gain_share_interval": None,
            }
        found[f"{name} vs {teacher}"] = per_set
    return found


def student_check_rows(results, teacher="teacher_6layer", control_suffix="_nodistill"):
    """The students issue's checks as (check, measured, holds) tuples.

    From `results["comparisons"]` (paired bootstrap over reads, evaluate.py):
    student_4layer keeps >= 95% of the teacher's Q30 yield gain over the
    draft on the own test set and >= 90% on every shift set; every distilled
    student `X` beats its twin `X_nodistill` at Q30 yield with the interval of
    the difference above 0. The end-to-end speed check is a benchmark
    (benchmarks/bench_correct_presets.py), not part of this report.
    """
    rows = []
    comparisons = dict(unpaired_comparisons(results, teacher, control_suffix))
    comparisons.update(results.get("comparisons", {}))
    for pair, per_set in comparisons.items():
        a, b = pair.split(" vs ")
        for set_name in _sets(results):
            c = per_set.get(set_name)
            if not c or not c.get("reads"):
                continue
            if b == teacher and set_name != "human_1m":
                need = 0.95 if set_name == "test" else 0.90
                ok = c["gain_share"] >= need if c["gain_share"] == c["gain_share"] else False
                rows.append((f"{set_name}: {a} keeps >= {need:.0%} of {teacher}'s Q30 yield gain over the draft",
                             f"{_share_text(c)} (gain {c['yield_a'] - c['draft_yield']:+,.0f} vs "
                             f"{c['yield_b'] - c['draft_yield']:+,.0f} bases)", ok))
            elif b == a + control_suffix and set_name == "test":
                low, high = c["difference_interval"]
                rows.append((f"{set_name}: {a} (distilled) beats {b} at Q30 yield, interval of the difference "
                             "above 0", f"{c['yield_a']:,.0f} vs {c['yield_b']:,.0f} bases; difference "
                             f"{c['difference']:+,.0f} [{low:+,.0f}, {high:+,.0f}]", low > 0))
    return rows


def must_hold_lines(results, teacher="teacher_6layer", control_suffix="_nodistill"):
    """`student_check_rows` as a markdown section (lines)."""
    rows = student_check_rows(results, teacher, control_suffix)
    if not rows:
        return []
    lines = ["", "## Checks: students", "", "| check | measured | holds |", "|---|---|---|"]
    lines += [f"| {c} | {m} | {'holds' if ok else 'does not hold'} |" for c, m, ok in rows]
    comparisons = results.get("comparisons", {})
    twins = [(pair, per_set) for pair, per_set in comparisons.items() if pair.endswith(control_suffix)]
    if twins:
        lines += ["", "## Distilled vs not distilled, every set (Q30 yield, paired bootstrap over reads)", "",
                  "| pair | set | distilled | not distilled | difference [95% interval] |", "|---|---|---|---|---|"]
        for pair, per_set in twins:
            for set_name in _sets(results):
                c = per_set.get(set_name)
                if c and c.get("reads"):
                    low, high = c["difference_interval"]
                    lines.append(f"| {pair} | {set_name} | {c['yield_a']:,.0f} | {c['yield_b']:,.0f} | "
                                 f"{c['difference']:+,.0f} [{low:+,.0f}, {high:+,.0f}] |")
    return lines


def teacher_check_rows(results, teacher):
    """The teacher issue's five checks as (check, measured, holds) tuples."""
    rows = []
    entry = results.get(teacher)
    if entry is None:
        return rows
    draft = results["draft"]
    if "test" in entry:
        ratio = _ratio(results, teacher, "test")
        low = entry["test"].get("bootstrap", {}).get("yield_ratio_q30", [float("nan")])[0]
        rows.append((f"own test set ({entry['test']['reads']} reads): Q30 yield >= 1.7x the draft, "
                     "interval above 1.5", f"{ratio:.2f}x{_interval(entry, 'test', 'yield_ratio_q30')}",
                     ratio >= 1.7 and low > 1.5))
    for set_name in [s for s in _sets(results) if s.startswith("shift_") and s in entry]:
        ratio = _ratio(results, teacher, set_name)
        ours, base = entry[set_name]["per_kb"]["deletions"], draft[set_name]["per_kb"]["deletions"]
        rows.append((f"{set_name}: Q30 yield >= 1.2x the draft, deletions/kb not above the draft's",
                     f"{_ratio_text(results, teacher, set_name)}; deletions/kb "
                     f"{ours:.3f} vs {base:.3f}", ratio >= 1.2 and ours <= base))
    if "human_1m" in entry:
        per_read = entry["human_1m"].get("per_read", [])
        good = [r for r in per_read if r["draft_q"] >= 20]
        worst = max((r["change_per_10kb"] for r in good), default=0.0)
        ours, base = entry["human_1m"]["per_kb"]["deletions"], draft["human_1m"]["per_kb"]["deletions"]
        rows.append(("human_1m: no read with a >= Q20 draft loses more than 1 error per 10 kb",
                     f"{len(good)} such reads; worst change {worst:+.2f} errors per 10 kb", worst <= 1.0))
        rows.append(("human_1m: deletions per kb not above the draft's", f"{ours:.3f} vs {base:.3f}",
                     ours <= base))
    calibration = entry.get("quality_calibration")
    for set_name in _sets(results):
        if set_name == "human_1m" or set_name not in entry or "calibration" not in entry[set_name]:
            continue
        limit = 2.0 if set_name == "test" else 3.0
        deviation = entry[set_name]["calibration"]["max_deviation_q40"]
        model_part = entry[set_name].get("calibration_model_bases", {}).get("max_deviation_q40")
        measured = f"all bases: max {deviation:.2f}" + (
            f"; bases the model called: max {model_part:.2f}" if model_part is not None else "")
        rows.append((f"{set_name}: per-base predicted vs empirical Q within {limit:g} up to Q40"
                     + ("" if calibration else " (the model has no calibration)"),
                     measured, deviation <= limit and bool(calibration)))
    return rows


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def write_report(results, args):
    """Writes results.md (and the figures when matplotlib is present)."""
    models = _models(results)
    draft = results["draft"]
    sets = _sets(results)
    command = ("python recipes/evaluate.py " + " ".join(f"--model {m}={results[m]['handle']}" for m in models)
               + f" --test-sim {args.test_sim} --test-windows {args.test_windows}"
               + (f" --shift-dir {args.shift_dir}" if getattr(args, "shift_dir", "") else "")
               + (f" --teacher {args.teacher}" if getattr(args, "teacher", None) else "")
               + (f" --window-sample {args.window_sample}" if getattr(args, "window_sample", None) else "")
               + f" --out {args.out}")
    if "merged_from" in results:
        command = ("the `evaluate.py` runs in " + ", ".join(results["merged_from"]["folders"])
                   + " (each one's command is in its results.md), combined by `"
                   + results["merged_from"]["command"] + "`")
    else:
        command = f"`{command}`"
    lines = ["# Evaluation results", "", f"Reproduce: {command}", ""]
    lines += ["Yield = bases of reads with predicted Q >= 20 whose identity to the truth reaches the empirical "
              "quality; intervals are 95% paired bootstrap intervals over reads; errors are bases per kb of "
              "truth; calibration = the largest |empirical - predicted| per-base Q over bins predicting <= Q40.",
              ""]
    lines += ["## Sets", ""] + _table(["set", "what", "reads"], [
        (s, results["sets"].get(s, s) if "sets" in results else s, draft.get(s, {}).get("reads", "-"))
        for s in sets])
    if "test" in draft:
        lines += ["", "## Own test set", ""]
        rows = []
        base30 = _yield(draft, "test", "30")
        window = draft.get("window", {})
        rows.append(["draft (CCS)", "-", "-", "-", f"{window.get('exact_accuracy', float('nan')):.4f}",
                     f"{draft['test']['mean_identity']:.5f}"]
                    + [f"{_yield(draft, 'test', q):,}" for q in QUALITIES] + ["1.00x"]
                    + [f"{draft['test']['per_kb'][k]:.3f}" for k in ("deletions", "insertions", "mismatches")]
                    + [_calibration_cell(draft, "test")])
        for m in models:
            r = results[m]
            if "test" not in r:
                continue
            over = _yield(r, "test", "30") / base30 if base30 else float("nan")
            rows.append([m, r.get("num_layers", "-"), f"{r.get('parameters', 0):,}",
                         f"{r['windows_per_second']:.0f}" if "windows_per_second" in r else "-",
                         f"{r['window']['exact_accuracy']:.4f}", f"{r['test']['mean_identity']:.5f}"]
                        + [f"{_yield(r, 'test', q):,}" for q in QUALITIES]
                        + [f"{over:.2f}x{_interval(r, 'test', 'yield_ratio_q30')}"]
                        + [f"{r['test']['per_kb'][k]:.3f}" for k in ("deletions", "insertions", "mismatches")]
                        + [_calibration_cell(r, "test")])
        lines += _table(["model", "layers", "parameters", "windows/s", "window exact acc.", "read identity",
                         "yield Q20", "Q30", "Q40", "Q30 over draft", "del/kb", "ins/kb", "mism/kb",
                         "calibration"], rows)
    other = [s for s in sets if s != "test"]
    if other:
        lines += ["", "## Shift sets and real reads", ""]
        rows = []
        for s in other:
            d = draft[s]
            rows.append([s, "draft (CCS)", f"{d['mean_identity']:.5f}", f"{_yield(draft, s, '20'):,}",
                         f"{_yield(draft, s, '30'):,}", "1.00x", f"{d['per_kb']['deletions']:.3f}", "",
                         f"{d['per_kb']['insertions']:.3f}", f"{d['per_kb']['mismatches']:.3f}",
                         _calibration_cell(draft, s)])
            for m in models:
                r = results[m].get(s)
                if r is None:
                    continue
                rows.append([s, m, f"{r['mean_identity']:.5f}", f"{_yield(results[m], s, '20'):,}",
                             f"{_yield(results[m], s, '30'):,}",
                             _ratio_text(results, m, s),
                             f"{r['per_kb']['deletions']:.3f}",
                             _interval(results[m], s, "deletions_per_kb_change").strip(),
                             f"{r['per_kb']['insertions']:.3f}", f"{r['per_kb']['mismatches']:.3f}",
                             _calibration_cell(results[m], s)])
        lines += _table(["set", "model", "mean identity", "yield Q20", "Q30", "Q30 over draft", "del/kb",
                         "del/kb change", "ins/kb", "mism/kb", "calibration"], rows)
    if "test" in draft:
        lines += ["", "## Error classes on the own test set (bases per kb of truth)", ""]
        keys = ("mismatches", "hp_insertions", "nonhp_insertions", "hp_deletions", "nonhp_deletions")
        lines += _table(["model"] + list(keys), [
            [m] + [f"{(results[m] if m != 'draft' else draft)['test']['per_kb'][k]:.3f}" for k in keys]
            for m in ["draft"] + [m for m in models if "test" in results[m]]])
    for m in models:
        per_read = results[m].get("human_1m", {}).get("per_read")
        if not per_read:
            continue
        lines += ["", f"## human_1m per read: {m}", ""]
        lines += _table(["read", "np", "truth kb", "draft Q", "Q", "draft errors/10 kb", "errors/10 kb",
                         "change/10 kb", "deletions draft -> model", "insertions draft -> model"], [
            [r["name"].split("/")[1], r["np"], f"{r['truth_length'] / 1000:.1f}", f"{r['draft_q']:.1f}",
             f"{r['q']:.1f}", f"{r['draft_errors_per_10kb']:.1f}", f"{r['errors_per_10kb']:.1f}",
             f"{r['change_per_10kb']:+.1f}", f"{r['draft_deletions']} -> {r['deletions']}",
             f"{r['draft_insertions']} -> {r['insertions']}"] for r in per_read])
    teacher = getattr(args, "teacher", None) or "teacher_6layer"
    for m in ["draft"] + models:
        entry = draft if m == "draft" else results[m]
        for part, what in (("calibration", "all bases"), ("calibration_model_bases", "bases the model called"),
                           ("calibration_draft_bases", "bases of windows that kept the draft")):
            table = entry.get("test", {}).get(part, {}).get("table")
            if not table:
                continue
            lines += ["", f"## Per-base calibration on the own test set: {m}, {what}", ""]
            lines += _table(["predicted Q bin", "bases", "errors", "predicted", "empirical"], [
                [f"{row['low']}-{row['high']}", f"{row['bases']:,}", f"{row['errors']:,}",
                 f"{row['predicted']:.1f}", ("> " if row["bound"] else "") + f"{row['empirical']:.1f}"]
                for row in table])
    checks = teacher_check_rows(results, teacher)
    if checks:
        lines += ["", f"## Checks: {teacher}", ""]
        lines += _table(["check", "measured", "holds"],
                        [(c, m, "holds" if ok else "does not hold") for c, m, ok in checks])
    if any(m.startswith("student_") for m in models):
        lines += must_hold_lines(results, teacher=teacher)
    with open(os.path.join(args.out, "results.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    _figures(results, args.out, teacher)


def _calibration_cell(entry, set_name):
    value = entry.get(set_name, {}).get("calibration", {}).get("max_deviation_q40")
    return "-" if value is None else f"{value:.1f}"


def _figures(results, out, teacher):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    models = [m for m in _models(results) if "windows_per_second" in results[m] and "test" in results[m]]
    base30 = _yield(results["draft"], "test", "30")
    if models and base30:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for m in sorted(models, key=lambda name: results[name]["windows_per_second"]):
            r = results[m]
            over = _yield(r, "test", "30") / base30
            interval = r["test"].get("bootstrap", {}).get("yield_ratio_q30")
            control = m.endswith("_nodistill")
            older = not control and re.search(r"_v\d+$", m) is not None
            # a twin has its student's speed: drawn a little to the right so both intervals show
            x = r["windows_per_second"] * (1.025 if control else 0.975 if older else 1.0)
            err = [[over - interval[0]], [interval[1] - over]] if interval else None
            ax.errorbar(x, over, yerr=err, fmt="x" if control else "s" if older else "o",
                        color="gray" if control else "C1" if older else "C0", capsize=3)
            ax.annotate(m, (x, over), textcoords="offset points", xytext=(5, -3), fontsize=7,
                        color="gray" if control else "black")
        backend = (results.get("speed_from") or {}).get("backend") or "tensorflow"
        ax.set_xlabel(f"model windows/s on this CPU ({backend}, batch 256)")
        ax.set_ylabel("yield at empirical Q30 over draft (95% interval)")
        ax.set_title("yield vs speed (o: presets, x: not distilled, s: earlier version)", fontsize=10)
        ax.margins(x=0.25, y=0.15)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "yield_vs_speed.png"), dpi=120)
        plt.close(fig)
    entry = results.get(teacher)
    if entry:
        fig, ax = plt.subplots(figsize=(6, 5))
        for set_name in _sets(results):
            table = entry.get(set_name, {}).get("calibration", {}).get("table")
            if not table:
                continue
            ax.plot([r["predicted"] for r in table], [r["empirical"] for r in table], marker="o",
                    markersize=3, label=set_name)
        ax.plot([0, 60], [0, 60], color="black", linewidth=0.8, linestyle="--", label="calibrated")
        ax.set_xlabel("predicted base quality (bin mean)")
        ax.set_ylabel("empirical base quality")
        ax.set_title(f"per-base calibration: {teacher}")
        ax.set_xlim(0, 60)
        ax.set_ylim(0, 60)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "calibration.png"), dpi=120)
        plt.close(fig)


def merge_results(parts):
    """Combines results.json of evaluate.py runs made on the same sets.

    Args:
        parts: list of results dicts (each with its `draft` entry).

    Returns:
        One results dict with every model; the draft's numbers must agree.

    Raises:
        ValueError: when the runs used other sets (their draft numbers differ).
    """
    merged = {}
    for part in parts:
        for key, value in part.items():
            if key == "draft" and "draft" in merged:
                for set_name, entry in value.items():
                    known = merged["draft"].setdefault(set_name, entry)
                    if isinstance(known, dict) and isinstance(entry, dict):
                        known, entry = known.get("yield"), entry.get("yield")
                    if known != entry:
                        raise ValueError(f"the runs disagree on the draft of {set_name}: other sets?")
            elif key == "comparisons":
                merged.setdefault(key, {}).update(value)
            elif key in merged and key not in ("draft", "sets"):
                raise ValueError(f"model {key} is in two runs")
            else:
                merged.setdefault(key, value)
    return merged


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Rewrite results.md (and figures) from results.json, or "
                                                 "combine the results.json of evaluate.py runs on the same sets")
    parser.add_argument("--out", required=True, help="folder of results.json (written there with --merge)")
    parser.add_argument("--merge", nargs="+", default=None, help="evaluate.py output folders to combine")
    parser.add_argument("--teacher", default="teacher_6layer")
    parser.add_argument("--test-sim", default="?")
    parser.add_argument("--test-windows", default="?")
    parser.add_argument("--shift-dir", default="")
    parser.add_argument("--speed", default=None,
                        help='JSON {"windows_per_second": {model: value}, "backend": ...}: the models\' '
                             "windows/s, for runs made with --no-speed")
    parsed = parser.parse_args(argv)
    if parsed.merge:
        parts = []
        for folder in parsed.merge:
            with open(os.path.join(folder, "results.json")) as f:
                parts.append(json.load(f))
        data = merge_results(parts)
        data["merged_from"] = {"folders": parsed.merge, "command": "python recipes/report.py --merge "
                               + " ".join(parsed.merge) + f" --out {parsed.out} --teacher {parsed.teacher}"
                               + (f" --speed {parsed.speed}" if parsed.speed else "")}
    else:
        with open(os.path.join(parsed.out, "results.json")) as f:
            data = json.load(f)
    if parsed.speed:
        add_speed(data, parsed.speed)
    if parsed.merge or parsed.speed:
        os.makedirs(parsed.out, exist_ok=True)
        with open(os.path.join(parsed.out, "results.json"), "w") as f:
            json.dump(data, f, indent=1, default=str)
    write_report(data, parsed)


def add_speed(results, path):
    """Puts the windows/s of a speed JSON (`{"windows_per_second": {model: value}}`) into `results`.

    Args:
        results: results dict (changed in place).
        path: str. The JSON; its models missing from `results` are refused.
    """
    with open(path) as f:
        speed = json.load(f)
    unknown = sorted(set(speed["windows_per_second"]) - set(_models(results)))
    if unknown:
        raise ValueError(f"{path}: models not in the results: {', '.join(unknown)}")
    for name, value in speed["windows_per_second"].items():
        results[name]["windows_per_second"] = value
    results["speed_from"] = {"file": path, "backend": speed.get("backend"), "cpus": speed.get("cpus")}


if __name__ == "__main__":
    main()

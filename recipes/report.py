"""Markdown tables and figures from evaluate.py's results."""

import json
import os

QUALITIES = ("20", "30", "40")


def _yield(entry, set_name, quality):
    return entry.get(set_name, {}).get("yield", {}).get(quality) or entry.get(
        set_name, {}).get("yield", {}).get(int(quality), 0)


def _gain(results, name, quality="30"):
    """Yield at empirical Q`quality` of `name` minus the draft's."""
    return _yield(results[name], "test", quality) - _yield(results["draft"], "test", quality)


def must_hold_lines(results, teacher="teacher_6layer", control_suffix="_nodistill"):
    """The recipes issue's checks, computed from the results (markdown lines).

    Distilled students are the models `student_<n>layer`; their non-distilled
    twins are named `student_<n>layer_nodistill`.
    """
    lines = ["", "## Checks", "", "| check | measured | holds |", "|---|---|---|"]
    if teacher in results:
        gain = _gain(results, teacher)
        lines.append(f"| {teacher} improves Q30 yield over the draft | {gain:+,} bases "
                     f"| {'yes' if gain > 0 else 'NO'} |")
    for name in [m for m in results if m + control_suffix in results]:
        ours, twin = _yield(results[name], "test", "30"), _yield(results[name + control_suffix], "test", "30")
        lines.append(f"| {name} (distilled) beats {name + control_suffix} at Q30 | {ours:,} vs {twin:,} "
                     f"| {'yes' if ours > twin else 'NO'} |")
    if teacher in results and "student_4layer" in results:
        teacher_gain, student_gain = _gain(results, teacher), _gain(results, "student_4layer")
        share = student_gain / teacher_gain if teacher_gain else float("nan")
        lines.append(f"| student_4layer keeps >= 90% of the teacher's Q30 yield gain | {share:.1%} "
                     f"| {'yes' if share >= 0.9 else 'NO'} |")
        speed = (results["student_4layer"]["windows_per_second"]
                 / results[teacher]["windows_per_second"])
        lines.append(f"| student_4layer >= 1.3x the teacher's windows/s | {speed:.2f}x "
                     f"| {'yes' if speed >= 1.3 else 'NO'} |")
    return lines


def write_report(results, args):
    """Writes results.md (and yield_vs_speed.png when matplotlib is present)."""
    models = [k for k in results if k != "draft"]
    draft = results["draft"]
    lines = ["# Evaluation results", "",
             "Reproduce: `python recipes/evaluate.py " + " ".join(
                 f"--model {m}={results[m]['handle']}" for m in models)
             + f" --test-sim {args.test_sim} --test-windows {args.test_windows}"
             + (f" --window-sample {args.window_sample}" if getattr(args, "window_sample", None) else "")
             + f" --out {args.out}`",
             "", "## Held-out simulated test set", "",
             "| model | layers | parameters | windows/s | window exact acc. | window identity "
             "| read identity | yield Q20 | Q30 | Q40 | Q30 over draft |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    base30 = _yield(draft, "test", "30")
    lines.append(
        f"| draft (CCS) | - | - | - | {draft['window']['exact_accuracy']:.4f} | "
        f"{draft['window']['alignment_identity']:.5f} | {draft['test']['mean_identity']:.5f} | "
        + " | ".join(str(_yield(draft, "test", q)) for q in QUALITIES) + " | 1.00x |")
    for m in models:
        r = results[m]
        over = _yield(r, "test", "30") / base30 if base30 else float("nan")
        lines.append(
            f"| {m} | {r['num_layers']} | {r['parameters']:,} | {r['windows_per_second']:.0f} | "
            f"{r['window']['exact_accuracy']:.4f} | {r['window']['alignment_identity']:.5f} | "
            f"{r['test']['mean_identity']:.5f} | "
            + " | ".join(str(_yield(r, "test", q)) for q in QUALITIES) + f" | {over:.2f}x |")
    lines += ["", "## Errors per read on the test set (bases)", "",
              "| model | mismatches | HP insertions | non-HP insertions | HP deletions | "
              "non-HP deletions |", "|---|---|---|---|---|---|"]
    for m in ["draft"] + models:
        e = results[m]["test"]["errors_per_read"]
        lines.append(f"| {m} | {e['mismatches']:.2f} | {e['hp_insertions']:.2f} | "
                     f"{e['nonhp_insertions']:.2f} | {e['hp_deletions']:.2f} | "
                     f"{e['nonhp_deletions']:.2f} |")
    if "human_1m" in draft:
        lines += ["", "## Real reads (human_1m, 10 ZMWs)", "",
                  "| model | mean identity to truth | draft | change |", "|---|---|---|---|"]
        for m in models:
            after = results[m]["human_1m"]["mean_identity"]
            before = draft["human_1m"]["mean_identity"]
            lines.append(f"| {m} | {after:.5f} | {before:.5f} | {after - before:+.5f} |")
    lines += must_hold_lines(results)
    with open(os.path.join(args.out, "results.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, m in enumerate(sorted(models, key=lambda name: results[name]["windows_per_second"])):
        r = results[m]
        over = _yield(r, "test", "30") / base30 if base30 else float("nan")
        control = m.endswith("_nodistill")
        ax.scatter(r["windows_per_second"], over, marker="x" if control else "o",
                   color="gray" if control else "C0")
        # Alternate label offsets so presets with equal yield stay readable.
        ax.annotate(m, (r["windows_per_second"], over), textcoords="offset points",
                    xytext=(4, 8 if k % 2 else -12), fontsize=8)
    ax.set_xlabel("model windows/s on this CPU (TensorFlow, batch 256)")
    ax.set_ylabel("yield at empirical Q30 over draft")
    ax.set_title("yield vs speed (o: shipped presets, x: not distilled)")
    ax.margins(x=0.25, y=0.15)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "yield_vs_speed.png"), dpi=120)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Rewrite results.md from results.json")
    parser.add_argument("--out", required=True)
    parsed = parser.parse_args()
    with open(os.path.join(parsed.out, "results.json")) as f:
        data = json.load(f)
    parsed.test_sim = parsed.test_windows = "?"
    write_report(data, parsed)

#!/usr/bin/env python
"""The paper's analyses on trained presets: error profiles, agreement, CKA.

Runs `dczoo.analysis` on every model given (default: every built-in preset
with bundled weights) and writes figures (PNG), analysis.json and
analysis.md to --out:

* error profile (Fig. 1c): mismatches and homopolymer / non-homopolymer
  insertions and deletions per read, draft vs every model, on reads of the
  held-out simulated test set corrected by `dczoo.inference.correct`;
  homopolymer indels by run length;
* agreement (Fig. 3c): for every pair of models, on test windows where they
  disagree, the probability that one is strictly better than the other;
* linear CKA (Fig. 3d): every encoder layer of the reference model (the
  teacher) against every layer of each other model;
* attention distance: attention-weighted mean |query - key| per layer/head.

Example:
    KERAS_BACKEND=tensorflow python recipes/analyze.py \
        --test-sim runs/data/sim_test --test-windows runs/data/windows_test \
        --out docs/analysis
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

ERROR_COLUMNS = ("mismatches", "hp_insertions", "nonhp_insertions", "hp_deletions",
                 "nonhp_deletions")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=None,
                        help="NAME=HANDLE or HANDLE (repeatable); default: the bundled presets")
    parser.add_argument("--reference-model", default=None,
                        help="model the others are compared to by CKA (default: the deepest)")
    parser.add_argument("--test-sim", required=True, help="simulated test BAM folder (with truth)")
    parser.add_argument("--test-windows", required=True, help="preprocessed test windows folder")
    parser.add_argument("--chunk", default="0/3",
                        help="ZMW chunk i/N of the test BAMs corrected for error profiles")
    parser.add_argument("--agreement-windows", type=int, default=3000)
    parser.add_argument("--cka-windows", type=int, default=256)
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def default_models():
    from dczoo.presets import bundled_presets

    return [f"{name}={name}" for name in bundled_presets()]


def error_profiles(models, folder, chunk):
    """Errors per read of the draft and of each model on one chunk of test reads."""
    from dczoo.analysis import error_profile, load_truth
    from dczoo.data.pipeline import parse_chunk
    from dczoo.inference import correct
    from evaluate import draft_reads

    truth = load_truth(os.path.join(folder, "truth_to_ccs.bam"))
    subreads, ccs = os.path.join(folder, "subreads_to_ccs.bam"), os.path.join(folder, "ccs.bam")
    index, count = parse_chunk(chunk)
    drafts = {name: sequence for name, sequence, _ in draft_reads(folder)[0]}  # in BAM order
    chosen = [n for i, n in enumerate(drafts) if i % count == index and n in truth]
    reads = {"draft": {n: drafts[n] for n in chosen}}
    for name, model in models.items():
        corrected = correct(subreads, ccs, model=model, min_quality=0, chunk=chunk)
        reads[name] = {r.name: r.sequence for r in corrected}
    # Every read set is compared on the reads all of them kept.
    common = [n for n in chosen if all(n in got for got in reads.values())]
    profiles = {}
    for name, got in reads.items():
        profile = error_profile([got[n] for n in common], [truth[n] for n in common])
        profiles[name] = {"reads": len(common), "mean_per_read": profile["mean_per_read"],
                          "per_kb": profile["per_kb"],
                          "hp_by_length": {kind: {int(k): int(v) for k, v in sorted(c.items())}
                                           for kind, c in profile["hp_by_length"].items()}}
    return profiles


def agreement_table(probs, labels):
    """P(row model strictly better than column model | they disagree)."""
    from dczoo.analysis import agreement_from_predictions

    names = list(probs)
    table = {}
    for x in names:
        for y in names:
            if x < y:
                result = agreement_from_predictions(probs[x], probs[y], labels)
                table[f"{x} vs {y}"] = dict(result, x=x, y=y)
    return table


def plot_error_profiles(profiles, path):
    import matplotlib.pyplot as plt

    names = list(profiles)
    width = 0.8 / len(names)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for k, name in enumerate(names):
        values = [profiles[name]["mean_per_read"][c] for c in ERROR_COLUMNS]
        left.bar(np.arange(len(ERROR_COLUMNS)) + k * width, values, width, label=name)
    left.set_xticks(np.arange(len(ERROR_COLUMNS)) + 0.4 - width / 2)
    left.set_xticklabels([c.replace("_", "\n") for c in ERROR_COLUMNS])
    left.set_ylabel("bases per read")
    left.set_title("errors per read (held-out simulated reads)")
    left.legend(fontsize=8)
    for name in names:
        for kind, style in (("insertions", "-"), ("deletions", "--")):
            counts = profiles[name]["hp_by_length"][kind]
            lengths = sorted(k for k in counts if k <= 10)
            total = profiles[name]["reads"] or 1
            right.plot(lengths, [counts[k] / total for k in lengths], style, marker="o",
                       label=f"{name} {kind}")
    right.set_xlabel("homopolymer length")
    right.set_ylabel("bases per read")
    right.set_title("homopolymer indels by run length")
    right.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_agreement(names, table, path):
    import matplotlib.pyplot as plt

    matrix = np.full((len(names), len(names)), np.nan)
    for entry in table.values():
        i, j = names.index(entry["x"]), names.index(entry["y"])
        matrix[i, j] = entry["p_x_better"]
        matrix[j, i] = entry["p_y_better"]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(names), 1.2 + 1.1 * len(names)))
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    for i in range(len(names)):
        for j in range(len(names)):
            if not np.isnan(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", color="w")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_title("P(row better than column | disagree)")
    fig.colorbar(image)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cka(matrices, reference, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(matrices), figsize=(4 * len(matrices), 3.8), squeeze=False)
    for ax, (name, matrix) in zip(axes[0], matrices.items()):
        matrix = np.asarray(matrix)
        image = ax.imshow(matrix, vmin=0, vmax=1, cmap="magma", origin="lower")
        ax.set_xlabel(f"{name} layer")
        ax.set_ylabel(f"{reference} layer")
        ax.set_xticks(range(matrix.shape[1]), range(1, matrix.shape[1] + 1))
        ax.set_yticks(range(matrix.shape[0]), range(1, matrix.shape[0] + 1))
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="w" if matrix[i, j] < 0.6 else "k")
    fig.colorbar(image, ax=axes[0].tolist())
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_attention(distances, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in distances.items():
        values = np.asarray(values)
        for head in range(values.shape[1]):
            ax.plot(range(1, values.shape[0] + 1), values[:, head], marker="o",
                    label=f"{name} head {head + 1}")
    ax.set_xlabel("encoder layer")
    ax.set_ylabel("mean |query - key| (columns)")
    ax.set_title("attention distance")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def keras_backend():
    import keras

    return keras.backend.backend()


def write_markdown(result, args, path):
    lines = ["# Analyses of the shipped presets", "",
             f"Reproduce: `KERAS_BACKEND={keras_backend()} python recipes/analyze.py --test-sim {args.test_sim} "
             f"--test-windows {args.test_windows} --chunk {args.chunk} --out {args.out}`"
             + ("" if args.model is None else " " + " ".join(f"--model {m}" for m in args.model)),
             "", "## Error profile (Fig. 1c)", "",
             "![error profile](error_profile.png)", "",
             "| model | reads | " + " | ".join(ERROR_COLUMNS) + " |",
             "|---" * (len(ERROR_COLUMNS) + 2) + "|"]
    for name, profile in result["error_profile"].items():
        values = " | ".join(f"{profile['mean_per_read'][c]:.2f}" for c in ERROR_COLUMNS)
        lines.append(f"| {name} | {profile['reads']} | {values} |")
    lines += ["", f"## Agreement (Fig. 3c), {args.agreement_windows} test windows", "",
              "![agreement](agreement.png)", "",
              "| X | Y | disagreements | P(Y better) | P(X better) | P(tie) | identity X | identity Y |",
              "|---|---|---|---|---|---|---|---|"]
    for entry in result["agreement"].values():
        lines.append(f"| {entry['x']} | {entry['y']} | {entry['disagreements']} | "
                     f"{entry['p_y_better']:.3f} | {entry['p_x_better']:.3f} | {entry['p_tie']:.3f} | "
                     f"{entry['identity_x']:.5f} | {entry['identity_y']:.5f} |")
    lines += ["", f"## Linear CKA against {result['reference_model']} (Fig. 3d), "
                  f"{args.cka_windows} test windows x 100 columns", "", "![cka](cka.png)", ""]
    for name, matrix in result["cka"].items():
        lines.append(f"{name}: best-matching {result['reference_model']} layer per {name} layer: "
                     + ", ".join(str(int(np.argmax(col)) + 1) for col in np.asarray(matrix).T)
                     + f" (CKA {np.asarray(matrix).max(axis=0).round(3).tolist()}); "
                     + f"range of the matrix {np.asarray(matrix).min():.3f}-{np.asarray(matrix).max():.3f}")
        lines.append("")
    lines += ["## Attention distance", "", "![attention distance](attention_distance.png)", "",
              "| model | per layer (head 1 / head 2), columns |", "|---|---|"]
    for name, values in result["attention_distance"].items():
        cells = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in np.asarray(values)[:, :2])
        lines.append(f"| {name} | {cells} |")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    from dczoo.analysis import attention_distance, linear_cka
    from dczoo.data import load_split
    from dczoo.inference.model_loading import load_corrector
    from evaluate import _named

    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    specs = args.model or default_models()
    models = {}
    for spec in specs:
        name, handle = _named(spec)
        models[name], _ = load_corrector(handle)
    reference = args.reference_model or max(models, key=lambda n: models[n].num_layers)
    windows, labels = load_split(args.test_windows, "test", sample=args.agreement_windows)
    started = time.time()
    result = {"models": dict(_named(s) for s in specs), "reference_model": reference}
    result["error_profile"] = error_profiles(models, args.test_sim, args.chunk)
    print(f"[analyze] error profiles {time.time() - started:.0f}s", flush=True)
    probs = {n: m.predict(windows, batch_size=256, verbose=0) for n, m in models.items()}
    result["agreement"] = agreement_table(probs, labels)
    sample = windows[: args.cka_windows]
    result["cka"] = {n: linear_cka(models[reference], m, sample).tolist()
                     for n, m in models.items() if n != reference}
    result["attention_distance"] = {n: attention_distance(m, sample).tolist()
                                    for n, m in models.items()}
    print(f"[analyze] all analyses {time.time() - started:.0f}s", flush=True)
    plot_error_profiles(result["error_profile"], os.path.join(args.out, "error_profile.png"))
    plot_agreement(list(models), result["agreement"], os.path.join(args.out, "agreement.png"))
    if result["cka"]:
        plot_cka(result["cka"], reference, os.path.join(args.out, "cka.png"))
    plot_attention(result["attention_distance"], os.path.join(args.out, "attention_distance.png"))
    with open(os.path.join(args.out, "analysis.json"), "w") as handle:
        json.dump(result, handle, indent=1)
    write_markdown(result, args, os.path.join(args.out, "analysis.md"))
    print(f"[analyze] wrote {args.out}/analysis.md, analysis.json and figures")


if __name__ == "__main__":
    main()

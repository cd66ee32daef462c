#!/usr/bin/env python
"""Where do a model's extra deletions come from? One small experiment per hypothesis.

    python recipes/deletion_bias.py stitch --sim ../shared/data/human_1m
    python recipes/deletion_bias.py labels --windows runs/data/windows_train --sim runs/data/sim_train
    python recipes/deletion_bias.py model --model teacher_6layer --windows runs/data/windows_test

* `stitch`: a model that returns the draft itself (one-hot of the draft row)
  must give back every draft exactly through preprocessing, batching,
  stitching and writing; any difference would be bases lost by the pipeline.
* `labels`: the window labels of each ZMW, gaps removed and concatenated in
  window order, against the ZMW's truth: bases the labels lack teach the
  model to leave bases out. Reported per pass-count bin.
* `model`: on labelled held-out windows, the model's deletions (label bases
  its gap-free output lacks) that the draft did not have, by pass-count bin,
  by homopolymer length of the deleted base, by column of the window, and
  how deletions and insertions move when a gap must beat the best base by a
  margin (if a small margin removes most added deletions at little cost in
  insertions, the gap probabilities themselves are biased).

Every experiment prints a table and writes a JSON file with `--json`.
"""

import argparse
import collections
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

_CIGAR = re.compile(r"(\d+)([=XID])")
LETTERS = np.frombuffer(b" ATCG", np.uint8)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=["stitch", "labels", "model"])
    parser.add_argument("--sim", help="BAM folder (stitch: any inputs; labels: the simulation of --windows)")
    parser.add_argument("--windows", help="labelled windows folder")
    parser.add_argument("--split", default=None, help="split of --windows (default: train for labels, test for model)")
    parser.add_argument("--model", help="preset name, folder or hf:// handle (model)")
    parser.add_argument("--max-windows", type=int, default=6000)
    parser.add_argument("--max-shards", type=int, default=12, help="labels: shards read at most")
    parser.add_argument("--kinetics", choices=["as-is", "flat", "zero", "flat-pw", "flat-ip"], default="as-is",
                        help="model: feed the pw/ip rows as they are, flattened to each window's mean "
                             "(no per-base signal left), zeroed, or only pw / only ip flattened")
    parser.add_argument("--json", help="write the result here too")
    return parser.parse_args(argv)


def _pass_bin(num_passes, unit="np"):
    return f"{unit} 0-2" if num_passes < 3 else (f"{unit} 3-8" if num_passes < 9 else f"{unit} 9+")


def stitch_round_trip(folder):
    """Corrects `folder` with a model that outputs its input draft; counts reads that change."""
    import pysam

    import dczoo.inference.batched_predictor as batched
    from dczoo.constants import row_slices
    from dczoo.inference import correct
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

    row = row_slices()["ccs"][0]

    def draft_as_prediction(self, windows):
        tokens = np.asarray(windows)[:, row, :].astype(int)
        probs = np.full(tokens.shape + (5,), 0.0025, np.float32)
        np.put_along_axis(probs, tokens[..., None], 0.99, axis=-1)
        return probs

    original = batched.BatchedPredictor.predict_batch
    batched.BatchedPredictor.predict_batch = draft_as_prediction
    try:
        model = DeepConsensusCorrector(DeepConsensusBackbone(num_layers=1, hidden_dim=16, num_heads=2,
                                                             intermediate_dim=32))
        reads = correct(os.path.join(folder, "subreads_to_ccs.bam"), os.path.join(folder, "ccs.bam"),
                        model=model, min_quality=0, skip_windows_above=0)
    finally:
        batched.BatchedPredictor.predict_batch = original
    with pysam.AlignmentFile(os.path.join(folder, "ccs.bam"), check_sq=False) as bam:
        drafts = {r.query_name: r.query_sequence for r in bam}
    changed = [r.name for r in reads if r.sequence != drafts[r.name]]
    result = {"reads": len(reads), "identical_to_draft": len(reads) - len(changed), "changed": changed[:20],
              "draft_bases": sum(len(s) for s in drafts.values())}
    print(f"stitch: {result['identical_to_draft']}/{result['reads']} reads come back identical to their draft")
    return result


def label_chains(windows_folder, sim_folder, split, max_shards):
    """Bases the concatenated window labels lack (or add) against each ZMW's truth, per pass bin."""
    import edlib
    import pysam

    from dczoo.analysis import load_truth
    from dczoo.data import read_shard, shard_paths

    truth = load_truth(os.path.join(sim_folder, "truth_to_ccs.bam"))
    with pysam.AlignmentFile(os.path.join(sim_folder, "ccs.bam"), check_sq=False) as bam:
        passes = {r.query_name: r.get_tag("np") for r in bam}
    windows = collections.defaultdict(list)
    paths = shard_paths(windows_folder, split)
    for path, _ in paths[:max_shards]:
        shard = read_shard(path)
        for name, pos, label in zip(shard["name"], shard["window_pos"], shard["labels"]):
            windows[str(name)].append((int(pos), label))
    totals = collections.defaultdict(collections.Counter)
    for name, items in windows.items():
        items.sort(key=lambda item: item[0])
        # only ZMWs whose windows all lie in the shards read, first to last
        if items[0][0] != 0 or name not in truth:
            continue
        chain = "".join(LETTERS[label[label > 0].astype(int)].tobytes().decode() for _, label in items)
        alignment = edlib.align(chain, truth[name], mode="HW", task="path")
        counts = totals[_pass_bin(passes[name])]
        counts["zmws"] += 1
        counts["label_bases"] += len(chain)
        for length, op in _CIGAR.findall(alignment["cigar"] or ""):
            length = int(length)
            if op == "D" and length >= 50:
                counts["dropped_runs"] += 1  # whole windows dropped (label overflow)
            elif op in "XID":
                counts[op] += length
    result = {}
    for key, counts in sorted(totals.items()):
        kb = counts["label_bases"] / 1000
        result[key] = {"zmws": counts["zmws"], "label_kb": round(kb, 1),
                       "truth_bases_missing_per_kb": counts["D"] / kb,
                       "extra_bases_per_kb": counts["I"] / kb, "substitutions_per_kb": counts["X"] / kb,
                       "dropped_window_runs": counts["dropped_runs"]}
    print("| passes | ZMWs | label kb | truth bases missing /kb | extra /kb | substituted /kb |")
    print("|---|---|---|---|---|---|")
    for key, row in result.items():
        print(f"| {key} | {row['zmws']} | {row['label_kb']} | {row['truth_bases_missing_per_kb']:.3f} | "
              f"{row['extra_bases_per_kb']:.3f} | {row['substitutions_per_kb']:.3f} |")
    return result


def _deleted_label_positions(predicted, label):
    """Indices into `label` (gap-free) of the bases `predicted` (gap-free) lacks, and its insertion count."""
    import edlib

    if not label:
        return [], len(predicted)
    if not predicted:
        return list(range(len(label))), 0
    cigar = edlib.align(predicted, label, mode="NW", task="path")["cigar"] or ""
    deleted, inserted, pos = [], 0, 0
    for length, op in _CIGAR.findall(cigar):
        length = int(length)
        if op == "D":
            deleted.extend(range(pos, pos + length))
        elif op == "I":
            inserted += length
        if op != "I":
            pos += length
    return deleted, inserted


def _run_length(sequence, index):
    base, start, stop = sequence[index], index, index + 1
    while start > 0 and sequence[start - 1] == base:
        start -= 1
    while stop < len(sequence) and sequence[stop] == base:
        stop += 1
    return stop - start


def without_kinetics(windows, mode):
    """`windows` with the pw and ip rows flattened or zeroed.

    Args:
        windows: float array (n, rows, columns) in the 85-row layout.
        mode: "as-is", "flat" (each row's non-zero values replaced by the
            window's mean non-zero pw, resp. ip), "zero", or "flat-pw" /
            "flat-ip" (only that one flattened).

    Returns:
        A new array (or `windows` itself for "as-is").
    """
    if mode == "as-is":
        return windows
    from dczoo.constants import row_slices

    out = windows.copy()
    groups = {"flat-pw": ("pw",), "flat-ip": ("ip",)}.get(mode, ("pw", "ip"))
    for group in groups:
        start, stop = row_slices()[group]
        block = out[:, start:stop]
        if mode == "zero":
            block[:] = 0
            continue
        present = block > 0
        mean = (block * present).sum(axis=(1, 2)) / np.maximum(present.sum(axis=(1, 2)), 1)
        block[:] = np.where(present, np.round(mean)[:, None, None], 0)
    return out


def model_deletions(handle, windows_folder, split, max_windows, kinetics="as-is"):
    """The model's added deletions on labelled windows, by context, and the gap-margin sweep."""
    from calibrate import labelled_windows
    from dczoo.constants import row_slices
    from dczoo.inference.model_loading import load_corrector

    model, _ = load_corrector(handle)
    windows, labels, num_passes = labelled_windows(windows_folder, split, max_windows, with_passes=True)
    probs = model.predict(without_kinetics(windows, kinetics), batch_size=256, verbose=0)
    ccs_row = row_slices()["ccs"][0]
    by_bin = collections.defaultdict(collections.Counter)
    by_run = collections.Counter()
    by_column = np.zeros(10, np.int64)
    sweep = collections.defaultdict(collections.Counter)
    margins = (0.0, 0.1, 0.2, 0.4)
    for k in range(len(windows)):
        label_tokens = labels[k].astype(int)
        label = LETTERS[label_tokens[label_tokens > 0]].tobytes().decode()
        draft_tokens = windows[k, ccs_row].astype(int)
        draft = LETTERS[draft_tokens[draft_tokens > 0]].tobytes().decode()
        p = probs[k]
        best_base = p[:, 1:].argmax(-1) + 1
        for margin in margins:
            # a column is a gap only when p(gap) beats the best base by `margin`
            gap = p[:, 0] > p[np.arange(len(p)), best_base] + margin
            tokens = np.where(gap, 0, best_base)
            predicted = LETTERS[tokens[tokens > 0]].tobytes().decode()
            deleted, inserted = _deleted_label_positions(predicted, label)
            sweep[margin]["deleted"] += len(deleted)
            sweep[margin]["inserted"] += inserted
            sweep[margin]["label_bases"] += len(label)
            if margin:
                continue
            draft_deleted, _ = _deleted_label_positions(draft, label)
            added = sorted(set(deleted) - set(draft_deleted))
            bin_counts = by_bin[_pass_bin(int(num_passes[k]), "subreads")]
            bin_counts["windows"] += 1
            bin_counts["label_bases"] += len(label)
            bin_counts["model_deletions"] += len(deleted)
            bin_counts["draft_deletions"] += len(draft_deleted)
            bin_counts["added"] += len(added)
            bin_counts["fixed"] += len(set(draft_deleted) - set(deleted))
            for index in added:
                by_run[min(_run_length(label, index), 5)] += 1
                by_column[min(int(10 * index / max(len(label), 1)), 9)] += 1
    result = {"windows": int(len(windows)), "by_passes": {}, "added_by_run_length": {}, "margin_sweep": {}}
    print("| passes | windows | deletions per kb: draft | model | added by the model | fixed by the model |")
    print("|---|---|---|---|---|---|")
    for key, c in sorted(by_bin.items()):
        kb = c["label_bases"] / 1000
        row = {"windows": c["windows"], "draft_per_kb": c["draft_deletions"] / kb,
               "model_per_kb": c["model_deletions"] / kb, "added_per_kb": c["added"] / kb,
               "fixed_per_kb": c["fixed"] / kb}
        result["by_passes"][key] = row
        print(f"| {key} | {c['windows']} | {row['draft_per_kb']:.3f} | {row['model_per_kb']:.3f} | "
              f"{row['added_per_kb']:.3f} | {row['fixed_per_kb']:.3f} |")
    total_added = max(sum(by_run.values()), 1)
    result["added_by_run_length"] = {("5+" if k == 5 else str(k)): v / total_added for k, v in sorted(by_run.items())}
    result["added_by_tenth_of_window"] = (by_column / max(by_column.sum(), 1)).round(4).tolist()
    print("added deletions by homopolymer length of the deleted base:",
          {k: f"{v:.0%}" for k, v in result["added_by_run_length"].items()})
    print("added deletions by tenth of the window:", result["added_by_tenth_of_window"])
    print("| gap margin | deletions /kb | insertions /kb | both /kb |")
    print("|---|---|---|---|")
    for margin, c in sorted(sweep.items()):
        kb = c["label_bases"] / 1000
        row = {"deletions_per_kb": c["deleted"] / kb, "insertions_per_kb": c["inserted"] / kb}
        result["margin_sweep"][str(margin)] = row
        print(f"| {margin} | {row['deletions_per_kb']:.3f} | {row['insertions_per_kb']:.3f} | "
              f"{row['deletions_per_kb'] + row['insertions_per_kb']:.3f} |")
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.experiment == "stitch":
        result = stitch_round_trip(args.sim)
    elif args.experiment == "labels":
        result = label_chains(args.windows, args.sim, args.split or "train", args.max_shards)
    else:
        result = model_deletions(args.model, args.windows, args.split or "test", args.max_windows, args.kinetics)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)
    return result


if __name__ == "__main__":
    main()

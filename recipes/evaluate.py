#!/usr/bin/env python
"""Evaluate presets (or checkpoints) on the held-out test set and real data.

For every model: window-level exact accuracy and alignment identity on test
windows; read-level identity to truth, yield at empirical Q20/Q30/Q40 over the
draft (reads pre-filtered at predicted Q20) and error profiles on the test
reads, corrected with `dczoo.inference.correct` (the code of `dczoo correct`);
parameters and windows/s on this CPU; identity before/after on the real
human_1m reads. Writes results.json, results.md and a yield-vs-runtime plot.

Example:
    KERAS_BACKEND=tensorflow python recipes/evaluate.py \
        --model teacher_6layer --model student_4layer=runs/student4/best \
        --test-sim runs/data/sim_test --test-windows runs/data/windows_test \
        --out docs/results
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pysam

sys.path.insert(0, os.path.dirname(__file__))

HUMAN_1M = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "human_1m")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="NAME=HANDLE or HANDLE (preset name, folder, hf://); repeatable")
    parser.add_argument("--test-sim", required=True, help="simulated test BAM folder")
    parser.add_argument("--test-windows", required=True, help="preprocessed test windows folder")
    parser.add_argument("--real", default=HUMAN_1M, help="real BAM folder with truth ('' to skip)")
    parser.add_argument("--window-sample", type=int, default=3000)
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def _named(spec):
    return spec.split("=", 1) if "=" in spec else (os.path.basename(spec.rstrip("/")), spec)


def draft_reads(folder):
    """name -> (sequence, qualities) of the drafts in folder/ccs.bam."""
    with pysam.AlignmentFile(os.path.join(folder, "ccs.bam"), "rb", check_sq=False) as bam:
        return {r.query_name: (r.query_sequence, np.asarray(r.query_qualities))
                for r in bam}


def read_metrics(reads, truth):
    """Identity, yield and error profile of (name, sequence, qualities) reads."""
    from dczoo.analysis import error_profile, identity_to_truth
    from dczoo.inference.read_filter import read_quality
    from dczoo.losses import read_yield

    names = [name for name, _, _ in reads if name in truth]
    by_name = {name: (seq, qual) for name, seq, qual in reads}
    identities = np.array([identity_to_truth(by_name[n][0], truth[n]) for n in names])
    lengths = np.array([len(by_name[n][0]) for n in names])
    predicted = np.array([read_quality(by_name[n][1]) for n in names])
    profile = error_profile([by_name[n][0] for n in names], [truth[n] for n in names])
    return {
        "reads": len(names),
        "mean_identity": float(identities.mean()) if len(names) else float("nan"),
        "yield": read_yield(identities, lengths, predicted_qualities=predicted),
        "errors_per_read": profile["mean_per_read"],
    }


def window_metrics(model, windows, labels, batch_size=256):
    from keras import ops

    from dczoo.losses import alignment_identity, window_exact_matches

    probs = model.predict(windows, batch_size=batch_size, verbose=0)
    return {
        "exact_accuracy": float(ops.convert_to_numpy(window_exact_matches(labels, probs)).mean()),
        "alignment_identity": float(alignment_identity(labels, probs).mean()),
    }


def draft_window_metrics(windows, labels):
    from dczoo.losses import alignment_identity, window_exact_matches
    from keras import ops

    draft = windows[:, 80].astype(int)
    onehot = np.eye(5, dtype=np.float32)[draft]
    return {
        "exact_accuracy": float(ops.convert_to_numpy(window_exact_matches(labels, onehot)).mean()),
        "alignment_identity": float(alignment_identity(labels, onehot).mean()),
    }


def windows_per_second(models, windows, batch_size=256, rounds=5):
    """Windows/s of each model, measured round-robin so load changes hit all alike.

    Args:
        models: dict name -> model.
        windows: array of test windows (the first 2 batches are used).
        batch_size: int.
        rounds: int. Timed passes per model; the median is reported.

    Returns:
        dict name -> windows per second.
    """
    batch = windows[:batch_size * 2]
    for model in models.values():
        model.predict(batch, batch_size=batch_size, verbose=0)  # warm up / compile
    times = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.predict(batch, batch_size=batch_size, verbose=0)
            times[name].append(time.perf_counter() - start)
    return {name: len(batch) / float(np.median(t)) for name, t in times.items()}


def load_test_windows(folder, sample, seed=0):
    from dczoo.data import read_shard, shard_paths

    windows, labels = [], []
    for path, _ in shard_paths(folder, "test"):
        shard = read_shard(path, clip=True)
        windows.append(shard["windows"])
        labels.append(shard["labels"])
    windows, labels = np.concatenate(windows), np.concatenate(labels)
    pick = np.random.default_rng(seed).permutation(len(windows))[:sample]
    return windows[np.sort(pick)], labels[np.sort(pick)]


def evaluate_model(name, handle, args, test_windows, test_labels, truths):
    from dczoo.inference import correct
    from dczoo.inference.model_loading import load_corrector

    model, _ = load_corrector(handle)
    result = {"handle": handle, "parameters": int(model.count_params()),
              "num_layers": int(model.num_layers)}
    result["window"] = window_metrics(model, test_windows, test_labels)
    sets = {"test": args.test_sim}
    if args.real:
        sets["human_1m"] = args.real
    for set_name, folder in sets.items():
        start = time.time()
        reads = correct(os.path.join(folder, "subreads_to_ccs.bam"),
                        os.path.join(folder, "ccs.bam"), model=model, min_quality=0)
        seconds = time.time() - start
        triples = [(r.name, r.sequence, r.qualities) for r in reads]
        result[set_name] = dict(read_metrics(triples, truths[set_name]),
                                correct_seconds=seconds)
    print(f"[evaluate] {name}: {json.dumps(result)[:400]}", flush=True)
    return result, model


def main(argv=None):
    from dczoo.analysis import load_truth

    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    truths = {"test": load_truth(os.path.join(args.test_sim, "truth_to_ccs.bam"))}
    if args.real:
        truths["human_1m"] = load_truth(os.path.join(args.real, "truth_to_ccs.bam"))
    test_windows, test_labels = load_test_windows(args.test_windows, args.window_sample)
    results = {"draft": {"window": draft_window_metrics(test_windows, test_labels)}}
    for set_name, folder in (("test", args.test_sim), ("human_1m", args.real)):
        if folder:
            drafts = draft_reads(folder)
            results["draft"][set_name] = read_metrics(
                [(n, s, q) for n, (s, q) in drafts.items()], truths[set_name])
    models = {}
    for spec in args.model:
        name, handle = _named(spec)
        results[name], models[name] = evaluate_model(name, handle, args, test_windows,
                                                     test_labels, truths)
    for name, speed in windows_per_second(models, test_windows).items():
        results[name]["windows_per_second"] = speed
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1, default=str)
    from report import write_report

    write_report(results, args)
    print(f"[evaluate] wrote {args.out}/results.json and results.md")


if __name__ == "__main__":
    main()

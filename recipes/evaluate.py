#!/usr/bin/env python
"""Evaluate presets (or checkpoints) on the test set, the shift sets and real data.

For every model and every set: the reads corrected by `dczoo.inference.correct`
(the code of `dczoo correct`, `min_quality=0`), each aligned to its truth;
mean identity, yield at empirical Q20/Q30/Q40 (reads pre-filtered at predicted
Q20, as DeepConsensus reports it), errors per kb of truth by class, per-base
predicted vs empirical quality (calibration), and 95% bootstrap intervals over
reads, paired with the draft, of the yield ratio and of the change in errors
per kb. On the test windows: window exact accuracy and identity; windows/s on
this CPU. On the real human_1m reads: the same, and a table per read. The draft
(CCS) is a row of every table. Writes results.json, results.md, the
yield-vs-speed and calibration plots; corrected reads are kept under
out/reads/ so a rerun with one model more only corrects that model.

Example:
    KERAS_BACKEND=tensorflow python recipes/evaluate.py \
        --model teacher_v1=teacher_6layer --model teacher_6layer=runs/teacher/calibrated \
        --test-sim runs/data/sim_test --test-windows runs/data/windows_test \
        --shift-dir runs/data/shift --teacher teacher_6layer --out docs/results/teacher
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
    parser.add_argument("--shift-dir", default="",
                        help="folder of shift sets (make_data.py shift): each <name>/sim is evaluated")
    parser.add_argument("--real", default=HUMAN_1M, help="real BAM folder with truth ('' to skip)")
    parser.add_argument("--teacher", default="teacher_6layer",
                        help="the model whose must-hold checks the report computes")
    parser.add_argument("--window-sample", type=int, default=3000)
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates")
    parser.add_argument("--no-speed", action="store_true", help="skip the windows/s measurement")
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def _named(spec):
    return spec.split("=", 1) if "=" in spec else (os.path.basename(spec.rstrip("/")), spec)


def evaluation_sets(args):
    """dict set name -> {"folder", "description"} in report order."""
    sets = {"test": {"folder": args.test_sim, "description": "own test set (default error model)"}}
    if args.shift_dir:
        for name in sorted(os.listdir(args.shift_dir)):
            folder = os.path.join(args.shift_dir, name, "sim")
            if not os.path.isfile(os.path.join(folder, "ccs.bam")):
                continue
            description = name
            spec = os.path.join(args.shift_dir, name, "shift.json")
            if os.path.isfile(spec):
                with open(spec) as handle:
                    description = json.load(handle).get("description", name)
            sets[f"shift_{name}"] = {"folder": folder, "description": description}
    if args.real:
        sets["human_1m"] = {"folder": args.real, "description": "real human_1m reads (10 ZMWs)"}
    return sets


def draft_reads(folder):
    """[(name, sequence, qualities)] and name -> {"np": n} of folder/ccs.bam."""
    reads, extra = [], {}
    with pysam.AlignmentFile(os.path.join(folder, "ccs.bam"), "rb", check_sq=False) as bam:
        for r in bam:
            reads.append((r.query_name, r.query_sequence, np.asarray(r.query_qualities)))
            extra[r.query_name] = {"np": int(r.get_tag("np")) if r.has_tag("np") else None}
    return reads, extra


def window_metrics(model, windows, labels, batch_size=256):
    from keras import ops

    from dczoo.losses import alignment_identity, window_exact_matches

    probs = model.predict(windows, batch_size=batch_size, verbose=0)
    return {
        "exact_accuracy": float(ops.convert_to_numpy(window_exact_matches(labels, probs)).mean()),
        "alignment_identity": float(alignment_identity(labels, probs).mean()),
    }


def draft_window_metrics(windows, labels):
    from keras import ops

    from dczoo.constants import row_slices
    from dczoo.losses import alignment_identity, window_exact_matches

    start, _ = row_slices()["ccs"]
    draft = windows[:, start].astype(int)
    onehot = np.eye(5, dtype=np.float32)[draft]
    return {
        "exact_accuracy": float(ops.convert_to_numpy(window_exact_matches(labels, onehot)).mean()),
        "alignment_identity": float(alignment_identity(labels, onehot).mean()),
    }


def windows_per_second(models, windows, batch_size=256, rounds=5):
    """Windows/s of each model through the engine `dczoo correct` uses, round-robin
    so that load changes hit all alike.

    Each model runs in a `dczoo.inference.BatchedPredictor`, the keras engine
    of `dczoo correct` (one compiled call per batch shape), so the rate is the
    one a correction run gets. Timings need an otherwise idle machine: one
    earlier run on loaded cores gave the 6-, 5- and 4-layer presets about one
    rate.

    Args:
        models: dict name -> model.
        windows: array of test windows (the first 2 batches are used).
        batch_size: int.
        rounds: int. Timed passes per model; the median is reported.

    Returns:
        dict name -> windows per second.
    """
    from dczoo.inference.batched_predictor import BatchedPredictor

    batch = np.ascontiguousarray(windows[:batch_size * 2], dtype=np.float32)
    engines = {name: BatchedPredictor(model, batch_size) for name, model in models.items()}
    for engine in engines.values():
        engine.predict(batch)  # warm up / trace
    times = {name: [] for name in models}
    for _ in range(rounds):
        for name, engine in engines.items():
            start = time.perf_counter()
            engine.predict(batch)
            times[name].append(time.perf_counter() - start)
    return {name: len(batch) / float(np.median(t)) for name, t in times.items()}


def load_test_windows(folder, sample, seed=0):
    from dczoo.data import load_split

    return load_split(folder, "test", sample=sample, seed=seed)


def _write_fastq(path, reads):
    with open(path + ".tmp", "w") as handle:
        for name, sequence, qualities in reads:
            handle.write(f"@{name}\n{sequence}\n+\n{''.join(chr(int(q) + 33) for q in qualities)}\n")
    os.replace(path + ".tmp", path)


def _read_fastq(path):
    with pysam.FastxFile(path) as handle:
        return [(r.name, r.sequence, np.frombuffer(r.quality.encode(), np.uint8).astype(np.int64) - 33)
                for r in handle]


def corrected_reads(model, handle, set_name, folder, cache_dir):
    """The set's reads corrected by `model` (from the cache when it holds them).

    Returns:
        (reads, seconds, origin): reads as (name, sequence, qualities); the
        correction's wall-clock seconds; origin: name -> bool array over the
        read's bases, True where the base comes from a window that kept the
        draft (above the skip threshold), False where the model called it.
    """
    from dczoo.inference import correct

    os.makedirs(cache_dir, exist_ok=True)
    fastq = os.path.join(cache_dir, f"{set_name}.fastq")
    info_path, origin_path = fastq + ".json", fastq + ".origin.npz"
    if os.path.isfile(info_path):
        with open(info_path) as stream:
            info = json.load(stream)
        if info.get("handle") == handle and info.get("folder") == os.path.abspath(folder):
            origin = {}  # a cache written before origins were kept has none
            if os.path.isfile(origin_path):
                with np.load(origin_path) as stored:
                    origin = {name: stored[name] for name in stored.files}
            return _read_fastq(fastq), info["seconds"], origin
    origin = {}

    def record_origin(result):
        counts = (result.tokens > 0).sum(axis=1)
        origin[result.name] = np.repeat(result.skipped, counts)

    start = time.time()
    reads = correct(os.path.join(folder, "subreads_to_ccs.bam"), os.path.join(folder, "ccs.bam"),
                    model=model, min_quality=0, on_zmw=record_origin)
    seconds = time.time() - start
    triples = [(r.name, r.sequence, np.asarray(r.qualities)) for r in reads]
    # the stitched read is the windows' calls in order, gaps removed; keep origins that agree
    lengths = {name: len(sequence) for name, sequence, _ in triples}
    origin = {name: mask for name, mask in origin.items() if lengths.get(name) == len(mask)}
    _write_fastq(fastq, triples)
    np.savez(origin_path + ".tmp.npz", **origin)
    os.replace(origin_path + ".tmp.npz", origin_path)
    with open(info_path, "w") as stream:
        json.dump({"handle": handle, "folder": os.path.abspath(folder), "seconds": seconds}, stream)
    return triples, seconds, origin


def comparison_pairs(names, teacher, control_suffix="_nodistill"):
    """The (A, B) pairs the students' checks compare, in report order.

    Each `student_*` model against the teacher (its share of the teacher's
    gain) and each model `X` against its non-distilled twin `X_nodistill`
    (when both were evaluated).

    Returns:
        list of (a, b) names.
    """
    pairs = []
    for name in names:
        if name.startswith("student_") and not name.endswith(control_suffix) and teacher in names:
            pairs.append((name, teacher))
        if name + control_suffix in names:
            pairs.append((name, name + control_suffix))
    return pairs


def model_comparisons(rows_by_model, drafts, teacher, replicates):
    """`read_metrics.paired_comparison` of every pair of `comparison_pairs`, per set.

    Returns:
        dict "A vs B" -> set name -> comparison dict.
    """
    from read_metrics import paired_comparison

    out = {}
    for a, b in comparison_pairs(list(rows_by_model), teacher):
        out[f"{a} vs {b}"] = {
            set_name: paired_comparison(rows, rows_by_model[b][set_name], drafts[set_name], replicates)
            for set_name, rows in rows_by_model[a].items() if set_name in rows_by_model[b]}
    return out


def main(argv=None):
    from dczoo.analysis import load_truth
    from read_metrics import bootstrap, measure_reads, per_read_changes, summarize

    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    sets = evaluation_sets(args)
    truths, drafts = {}, {}
    results = {"sets": {k: v["description"] for k, v in sets.items()}, "draft": {}}
    for set_name, spec in sets.items():
        truths[set_name] = load_truth(os.path.join(spec["folder"], "truth_to_ccs.bam"))
        reads, extra = draft_reads(spec["folder"])
        rows, counts, _ = measure_reads(reads, truths[set_name], extra)
        drafts[set_name] = rows
        results["draft"][set_name] = summarize(rows, counts)
        print(f"[evaluate] draft {set_name}: {results['draft'][set_name]['reads']} reads, "
              f"Q30 yield {results['draft'][set_name]['yield']['30']:,}", flush=True)
    test_windows, test_labels = load_test_windows(args.test_windows, args.window_sample)
    results["draft"]["window"] = draft_window_metrics(test_windows, test_labels)
    models, rows_by_model = {}, {}
    from dczoo.inference.model_loading import load_corrector

    for spec in args.model:
        name, handle = _named(spec)
        model, _ = load_corrector(handle)
        models[name] = model
        entry = {"handle": handle, "parameters": int(model.count_params()),
                 "num_layers": int(model.num_layers), "quality_calibration": model.quality_calibration,
                 "window": window_metrics(model, test_windows, test_labels)}
        for set_name, set_spec in sets.items():
            reads, seconds, origin = corrected_reads(model, handle, set_name, set_spec["folder"],
                                                     os.path.join(args.out, "reads", name))
            extra = {r["name"]: {"np": r.get("np")} for r in drafts[set_name]}
            rows, counts, by_origin = measure_reads(reads, truths[set_name], extra, origin=origin)
            rows_by_model.setdefault(name, {})[set_name] = rows
            entry[set_name] = dict(summarize(rows, counts, by_origin), correct_seconds=seconds,
                                   bootstrap=bootstrap(rows, drafts[set_name], args.bootstrap))
            if set_name == "human_1m":
                entry[set_name]["per_read"] = per_read_changes(rows, drafts[set_name])
            print(f"[evaluate] {name} {set_name}: Q30 {entry[set_name]['yield']['30']:,} "
                  f"(draft {results['draft'][set_name]['yield']['30']:,}), deletions/kb "
                  f"{entry[set_name]['per_kb']['deletions']:.3f} "
                  f"(draft {results['draft'][set_name]['per_kb']['deletions']:.3f})", flush=True)
        results[name] = entry
    results["comparisons"] = model_comparisons(rows_by_model, drafts, args.teacher, args.bootstrap)
    if not args.no_speed:
        for name, speed in windows_per_second(models, test_windows).items():
            results[name]["windows_per_second"] = speed
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1, default=str)
    from report import write_report

    write_report(results, args)
    print(f"[evaluate] wrote {args.out}/results.json and results.md")


if __name__ == "__main__":
    main()

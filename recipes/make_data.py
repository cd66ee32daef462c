#!/usr/bin/env python
"""Simulate and preprocess the train/eval and held-out test sets.

The reference FASTA is cut per record: the first `1 - test_fraction` of each
record feeds the training simulation (split into train and eval blocks), the
last `test_fraction` feeds a separate test simulation with another seed, so
test reads come from sequence and noise never seen in training. Both go
through `dczoo simulate` and `dczoo preprocess` (the same code as the CLI).

Example:
    python recipes/make_data.py --reference genome.fa --out data/ \
        --train-zmws 3000 --test-zmws 300 --cpus 2

Writes: data/regions/{train,test}.fa, data/sim_train/, data/sim_test/
(BAMs, simulation.json), data/windows_train/ (train + eval splits),
data/windows_test/ (test split), data/settings.json. Rerunning skips the
steps whose outputs exist (resumable).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import pysam  # noqa: E402

from dczoo.cli.main import main as dczoo_main  # noqa: E402

DEFAULT_REFERENCE = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "chm13_chr20",
    "CHM13_chr20_0_200000.fa",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", default=DEFAULT_REFERENCE,
                        help="FASTA to simulate from (default: the shared chr20 200 kb)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--train-zmws", type=int, default=3000)
    parser.add_argument("--test-zmws", type=int, default=300)
    parser.add_argument("--test-fraction", type=float, default=0.15,
                        help="share of each record kept for the test simulation")
    parser.add_argument("--eval-fraction", type=float, default=0.1,
                        help="share of the training region used for eval windows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--test-seed", type=int, default=2)
    parser.add_argument("--insert-mean", type=int, default=3000)
    parser.add_argument("--cpus", type=int, default=2)
    return parser.parse_args(argv)


def write_regions(reference, out_dir, test_fraction):
    """Writes train.fa and test.fa with each record cut at 1 - test_fraction."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {name: os.path.join(out_dir, f"{name}.fa") for name in ("train", "test")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    fasta = pysam.FastaFile(reference)
    handles = {name: open(path + ".tmp", "w") for name, path in paths.items()}
    for record in fasta.references:
        sequence = fasta.fetch(record)
        cut = int(len(sequence) * (1 - test_fraction))
        for name, part, offset in (("train", sequence[:cut], 0),
                                   ("test", sequence[cut:], cut)):
            handles[name].write(f">{record}_{offset}_{offset + len(part)}\n")
            for start in range(0, len(part), 80):
                handles[name].write(part[start : start + 80] + "\n")
    for name, handle in handles.items():
        handle.close()
        os.replace(paths[name] + ".tmp", paths[name])
    return paths


def run_step(name, done_marker, argv):
    if os.path.exists(done_marker):
        print(f"[make_data] {name}: already done")
        return
    print(f"[make_data] {name}: dczoo {' '.join(argv)}", flush=True)
    start = time.time()
    status = dczoo_main(argv)
    if status:
        raise SystemExit(f"[make_data] {name} failed with exit status {status}")
    print(f"[make_data] {name}: {time.time() - start:.0f} s", flush=True)


def main(argv=None):
    from recipe_utils import record_settings

    args = parse_args(argv)
    record_settings(args.out, args)
    regions = write_regions(args.reference, os.path.join(args.out, "regions"),
                            args.test_fraction)
    train_eval = f"{1 - args.eval_fraction},{args.eval_fraction},0"
    for name, fasta, zmws, seed, fractions in (
        ("train", regions["train"], args.train_zmws, args.seed, train_eval),
        ("test", regions["test"], args.test_zmws, args.test_seed, "0,0,1"),
    ):
        sim = os.path.join(args.out, f"sim_{name}")
        windows = os.path.join(args.out, f"windows_{name}")
        run_step(f"simulate {name}", os.path.join(sim, "simulation.json"), [
            "simulate", "--reference", fasta, "--zmws", str(zmws), "--seed", str(seed),
            "--out", sim, "--cpus", str(args.cpus), "--split-fractions", fractions,
            "--insert-mean", str(args.insert_mean), "--force",
        ])
        run_step(f"preprocess {name}", os.path.join(windows, "summary.json"), [
            "preprocess", "--subreads-to-ccs", os.path.join(sim, "subreads_to_ccs.bam"),
            "--ccs-bam", os.path.join(sim, "ccs.bam"),
            "--truth-to-ccs", os.path.join(sim, "truth_to_ccs.bam"),
            "--truth-bed", os.path.join(sim, "truth.bed"),
            "--truth-split", os.path.join(sim, "truth_split.tsv"),
            "--out", windows, "--cpus", str(args.cpus), "--overwrite",
        ])
    summary = {}
    for name in ("train", "test"):
        with open(os.path.join(args.out, f"windows_{name}", "summary.json")) as handle:
            summary[name] = json.load(handle)
    counts = {name: s.get("counters", s) for name, s in summary.items()}
    print(json.dumps(counts, indent=1, default=str)[:3000])


if __name__ == "__main__":
    main()

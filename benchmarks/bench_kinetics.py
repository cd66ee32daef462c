"""What `dczoo correct --kinetics` costs: whole-command time with and without it.

Runs the full command line (`python -m dczoo.cli.main correct ... --output
x.bam`, model loading and writing included) on human_1m, alternating the two
variants so that both see the same machine load: one warm-up run of each,
then `--repeats` timed runs of each. Reports the median wall time of each and
their ratio (the issue's target: at most 1.15), and checks that the two BAMs
hold the same reads and that every read of the `--kinetics` one has the six
tags.

On a shared, loaded machine the whole-command times vary more than the
kinetics cost, so the script also times the part `--kinetics` adds, in this
process and alternating again: preprocessing (`iter_zmw_windows`) with and
without kinetics, plus carrying each ZMW's kinetics to its read
(`stitched_draft_positions` + `DraftKinetics.for_read`, with the draft's own
calls); `added_share` is that extra time over the plain command's median.

Usage:
    nice -n 19 python benchmarks/bench_kinetics.py
    KERAS_BACKEND=tensorflow nice -n 19 python benchmarks/bench_kinetics.py --repeats 5
    python benchmarks/bench_kinetics.py --json kinetics_cost.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUMAN_1M = REPO.parent / "shared" / "data" / "human_1m"
KINETICS_TAGS = ("fi", "fp", "ri", "rp", "fn", "rn")


def _run(output, kinetics, args):
    command = [
        sys.executable, "-m", "dczoo.cli.main", "correct",
        "--subreads-to-ccs", str(args.data / "subreads_to_ccs.bam"),
        "--ccs-bam", str(args.data / "ccs.bam"),
        "--output", str(output), "--quiet", "--cpus", str(args.cpus),
    ]
    if args.model:
        command += ["--model", args.model]
    if kinetics:
        command.append("--kinetics")
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO)
    return time.perf_counter() - start


def _check_outputs(plain, with_kinetics):
    import pysam

    with pysam.AlignmentFile(str(plain), check_sq=False) as bam:
        plain_reads = [(r.query_name, r.query_sequence) for r in bam]
    with pysam.AlignmentFile(str(with_kinetics), check_sq=False) as bam:
        records = list(bam)
    assert [(r.query_name, r.query_sequence) for r in records] == plain_reads
    assert all(r.has_tag(tag) for r in records for tag in KINETICS_TAGS)
    return len(records)


def _preprocess_seconds(args, kinetics):
    from dczoo.data import iter_zmw_windows
    from dczoo.inference.stitching import stitched_draft_positions

    start = time.perf_counter()
    zmws = iter_zmw_windows(args.data / "subreads_to_ccs.bam", args.data / "ccs.bam",
                            kinetics=kinetics)
    for zmw in zmws:
        if kinetics:
            tokens = zmw.rows[:, zmw.layout.ccs]
            zmw.kinetics.for_read(stitched_draft_positions(zmw.window_pos, tokens, zmw.ccs_bq))
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HUMAN_1M,
                        help="folder with subreads_to_ccs.bam and ccs.bam (default human_1m)")
    parser.add_argument("--model", default=None, help="--model of dczoo correct (default preset)")
    parser.add_argument("--cpus", type=int, default=1, help="--cpus of dczoo correct (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each variant (3)")
    parser.add_argument("--part-repeats", type=int, default=7,
                        help="timed in-process runs of the preprocessing part (7)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()

    times = {"plain": [], "kinetics": []}
    with tempfile.TemporaryDirectory() as folder:
        outputs = {"plain": Path(folder) / "plain.bam", "kinetics": Path(folder) / "kinetics.bam"}
        for variant in times:  # warm-up: file caches, compiled bytecode
            _run(outputs[variant], variant == "kinetics", args)
        for _ in range(args.repeats):
            for variant in times:
                outputs[variant].unlink()
                times[variant].append(_run(outputs[variant], variant == "kinetics", args))
        reads = _check_outputs(outputs["plain"], outputs["kinetics"])

    part = {"plain": [], "kinetics": []}
    for repeat in range(args.part_repeats + 1):
        for variant in part:
            seconds = _preprocess_seconds(args, variant == "kinetics")
            if repeat:  # the first round is a warm-up
                part[variant].append(seconds)
    part_medians = {variant: statistics.median(values) for variant, values in part.items()}

    medians = {variant: statistics.median(values) for variant, values in times.items()}
    added = part_medians["kinetics"] - part_medians["plain"]
    result = {
        "data": str(args.data.name),
        "backend": os.environ.get("KERAS_BACKEND", "(keras default)"),
        "model": args.model or "(default preset)",
        "cpus": args.cpus,
        "reads": reads,
        "seconds": {variant: [round(t, 2) for t in values] for variant, values in times.items()},
        "median_seconds": {variant: round(t, 2) for variant, t in medians.items()},
        "ratio": round(medians["kinetics"] / medians["plain"], 3),
        "preprocessing_median_seconds": {variant: round(t, 3) for variant, t in part_medians.items()},
        "added_seconds": round(added, 3),
        "added_share": round(added / medians["plain"], 4),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

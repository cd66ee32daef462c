"""`dczoo preprocess`: BAM pair (+ truth) -> window shards + summary JSON.

Examples:
    dczoo preprocess --subreads-to-ccs subreads_to_ccs.bam --ccs-bam ccs.bam \\
        --out examples/ --cpus 2
    dczoo preprocess --subreads-to-ccs subreads_to_ccs.bam --ccs-bam ccs.bam \\
        --truth-to-ccs truth_to_ccs.bam --truth-bed truth.bed \\
        --truth-split truth_split.tsv --out train/
"""

import argparse
import sys

from dczoo.cli._arguments import add_progress_every, add_verbose, number
from dczoo.constants import INS_TRIM, MAX_PASSES, WINDOW_LENGTH
from dczoo.data.shards import DEFAULT_SHARD_SIZE
from dczoo.errors import DczooInputError

_TRUTH_FLAGS = ("truth_to_ccs", "truth_bed", "truth_split")


def register(subparsers):
    """Adds the `preprocess` sub-command."""
    parser = subparsers.add_parser(
        "preprocess",
        help="turn subreads + drafts (+ truth) into model windows",
        description=(
            "Preprocess a subreads_to_ccs.bam / ccs.bam pair into DeepConsensus "
            "1.2 windows (bit-exact), written as compressed numpy shards with a "
            "summary.json. With the three --truth-* files, writes labelled "
            "train/eval/test splits."
        ),
    )
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument("--subreads-to-ccs", required=True, help="subreads aligned to their draft (actc)")
    inputs.add_argument("--ccs-bam", required=True, help="draft (CCS) reads, same ZMW order")
    inputs.add_argument("--truth-to-ccs", help="training: indexed truth-to-draft alignments")
    inputs.add_argument("--truth-bed", help="training: truth ranges (contig begin end draft_name)")
    inputs.add_argument(
        "--truth-split",
        help="training: `contig chromosome` (or `contig train|eval|test`) lines",
    )
    inputs.add_argument(
        "--chromosome-splits",
        default="human",
        help="chromosome -> split table: human (default, the reference's), maize, "
        "or a file of `chromosome split` lines",
    )
    parser.add_argument("--out", required=True, help="output directory (created atomically)")
    parser.add_argument("--cpus", type=number(minimum=0, whole=True), default=1, help="worker processes (default 1)")
    parser.add_argument("--chunk", help="only ZMWs i, i+N, i+2N, ... (0-based), given as i/N")
    parser.add_argument("--use-ccs-bq", action="store_true", help="add the draft base-quality row (86 rows)")
    parser.add_argument("--max-passes", type=number(minimum=1, whole=True), default=MAX_PASSES,
                        help=f"subreads per window (default {MAX_PASSES})")
    parser.add_argument("--window-length", type=number(minimum=1, whole=True), default=WINDOW_LENGTH,
                        help=f"columns per window (default {WINDOW_LENGTH})")
    parser.add_argument("--ins-trim", type=number(minimum=0, whole=True), default=INS_TRIM,
                        help=f"remove insertions longer than this (default {INS_TRIM}; 0: off)")
    parser.add_argument("--shard-size", type=number(minimum=1, whole=True), default=DEFAULT_SHARD_SIZE,
                        help="windows per shard, whole ZMWs (default 4096)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a non-empty --out, if it holds only a dataset dczoo wrote")
    parser.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true",
                        help="no progress bar and no progress lines on stderr (the summary "
                        "still prints on stdout; errors still print)")
    add_progress_every(parser)
    parser.set_defaults(func=run)


def _truth_inputs(args):
    from dczoo.data.labels import TruthInputs

    given = [flag for flag in _TRUTH_FLAGS if getattr(args, flag)]
    if not given:
        return None
    if len(given) != len(_TRUTH_FLAGS):
        missing = [f"--{f.replace('_', '-')}" for f in _TRUTH_FLAGS if f not in given]
        raise DczooInputError(f"training mode needs {', '.join(missing)} as well")
    return TruthInputs(
        args.truth_to_ccs, args.truth_bed, args.truth_split, args.chromosome_splits
    )


def run(args):
    """Runs the command; returns the exit status."""
    from dczoo.data.preprocess import preprocess

    summary = preprocess(
        args.subreads_to_ccs, args.ccs_bam, args.out, truth=_truth_inputs(args),
        max_passes=args.max_passes, window_length=args.window_length, use_ccs_bq=args.use_ccs_bq,
        ins_trim=args.ins_trim, cpus=args.cpus, chunk=args.chunk, shard_size=args.shard_size,
        overwrite=args.overwrite, progress=not args.quiet, progress_every=args.progress_every,
    )
    _print_summary(args.out, summary)
    return 0


def _print_summary(out, summary):
    counters = summary["counters"]
    print(f"wrote {out}")
    for split, info in summary["splits"].items():
        print(f"  {split:<9} {info['windows']:>9} windows  {info['zmws']:>7} ZMWs  "
              f"{len(info['shards'])} shards")
    print(f"  ZMWs processed {counters.get('n_zmw_processed', 0)}, "
          f"passed {counters.get('n_zmw_pass', 0)}; windows {counters.get('n_examples', 0)}")
    skipped = {k: v for k, v in counters.items() if k.startswith("n_zmw_") and "missing" in k
               or k in ("n_zmw_no_label_alignment", "n_zmw_truth_label_supp_alignment",
                        "n_zmw_no_aligned_subreads")}
    for key, value in sorted(skipped.items()):
        print(f"  skipped ({key}): {value}")
    sys.stdout.flush()


def main(argv=None):
    """Runs `dczoo preprocess` alone, without loading the other commands.

    `python -m dczoo.cli.preprocess ARGS` is `dczoo preprocess ARGS` minus the
    start-up time of unrelated sub-commands.

    Args:
        argv: list of str (the arguments after `preprocess`), or None.

    Returns:
        int exit status.
    """
    parser = argparse.ArgumentParser(prog="dczoo")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)
    add_verbose(subparsers.choices["preprocess"])
    try:
        args = parser.parse_args(["preprocess", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 2
    from dczoo.cli.main import run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())

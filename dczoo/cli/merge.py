"""`dczoo merge`: the shards of `dczoo correct --chunk i/N` -> one file in single-run order.

Examples:
    dczoo merge --output corrected.bam shards/*.bam
    dczoo merge -o corrected.fastq.gz shards/0.fastq.gz shards/1.fastq.gz shards/2.fastq.gz
"""

import shlex
import sys


def register(subparsers):
    """Adds the `merge` sub-command."""
    parser = subparsers.add_parser(
        "merge",
        help="merge the shards of dczoo correct --chunk i/N into one file, in single-run order",
        description=(
            "Merge the shards written by `dczoo correct --chunk i/N` (FASTQ, gzipped FASTQ or BAM, "
            "each with the <shard>.summary.json beside it) into one file holding the reads in "
            "exactly the order and with the bytes of a single `dczoo correct` run (a BAM's dczoo "
            "@PG line records this command instead), plus one summary JSON whose counts are the "
            "shards' sums. Refused before anything is written (exit 2): shards of different "
            "inputs, models, settings or dczoo versions, a missing or duplicated chunk, mixed "
            "formats, a shard whose reads do not match its summary. Shards are only read; the "
            "output appears only when complete."
        ),
    )
    parser.add_argument("shards", nargs="+", metavar="SHARD",
                        help="the shards' reads files (.fastq/.fq[.gz] or .bam), in any order")
    parser.add_argument("--output", "-o", required=True,
                        help="merged reads: FASTQ (optionally .gz) for FASTQ shards, .bam for BAM shards")
    parser.add_argument("--summary", help="summary JSON path (default: <output>.summary.json)")
    parser.add_argument("--quiet", action="store_true", help="no final message (errors still print)")
    parser.set_defaults(func=run)


def run(args):
    """Runs the command; returns the exit status."""
    from dczoo.inference.merge import merge_shards

    command_line = "dczoo " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    summary = merge_shards(args.shards, args.output, summary_path=args.summary, command_line=command_line)
    if not args.quiet:
        count = len(summary["shards"])
        if summary["exit_status"]:
            print(f"dczoo merge: {count} shards, {summary['zmws']} ZMWs, no read passed the filters; "
                  f"{args.output} was not written (see the summary JSON)", file=sys.stderr)
        else:
            print(f"dczoo merge: {count} shards, {summary['zmws']} ZMWs; wrote {summary['reads_written']} "
                  f"reads to {args.output}", file=sys.stderr)
    return summary["exit_status"]

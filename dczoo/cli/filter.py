"""`dczoo filter`: keep reads at or above an average predicted quality.

Examples:
    dczoo filter --input corrected.fastq --output corrected.q30.fastq --min-quality 30
    dczoo filter -i corrected.bam -o corrected.q30.bam -q 30
"""

import sys

from dczoo.cli._arguments import number


def register(subparsers):
    """Adds the `filter` sub-command."""
    parser = subparsers.add_parser(
        "filter",
        help="keep reads whose average quality is at least a threshold",
        description=(
            "Keep the reads of a FASTQ (optionally gzipped) or BAM file whose "
            "average base quality (in probability space) is at least "
            "--min-quality, as DeepConsensus's filter_reads does. Output is FASTQ, "
            "or BAM (header and tags kept) for BAM input. The output must not be "
            "the input; it appears only when complete."
        ),
    )
    parser.add_argument("--input", "-i", required=True, help="reads: .fastq/.fq[.gz] or .bam")
    parser.add_argument("--output", "-o", required=True, help="kept reads: .fastq/.fq[.gz] or .bam")
    parser.add_argument("--min-quality", "-q", type=number(minimum=0), required=True,
                        help="minimum average read quality, e.g. 20, 30, 40")
    parser.add_argument("--quiet", action="store_true", help="no final counts")
    parser.set_defaults(func=run)


def run(args):
    """Runs the command; returns the exit status."""
    from dczoo.inference.read_filter import filter_reads

    counts = filter_reads(args.input, args.output, args.min_quality)
    if not args.quiet:
        print(f"dczoo filter: {counts['total']} reads, kept {counts['kept']}, "
              f"filtered {counts['filtered']} (min quality {args.min_quality:g})",
              file=sys.stderr)
    return 0

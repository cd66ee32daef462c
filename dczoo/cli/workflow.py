"""`dczoo workflow`: the bundled Snakemake workflow that corrects a whole SMRT Cell.

Examples:
    dczoo workflow                      # prints the Snakefile's path
    dczoo workflow run --cores 16 --config subreads=subreads_to_ccs.bam ccs=ccs.bam chunks=500 out=corrected.bam
    dczoo workflow run --profile slurm --configfile config.yaml
    dczoo workflow run --cores 2 --configfile config.yaml -- --dry-run   # more snakemake options after --
"""

import argparse
import subprocess
import sys

from dczoo.errors import DczooInputError


def register(subparsers):
    """Adds the `workflow` sub-command, with its actions `path` and `run`."""
    parser = subparsers.add_parser(
        "workflow",
        help="print the path of the bundled Snakemake workflow, or run it",
        description=(
            "Without an action, or `path`: print the path of the bundled Snakefile (for "
            "`snakemake --snakefile`). `run`: run it with Snakemake in the current folder: every "
            "chunk i/N with dczoo correct --chunk i/N as its own job, then dczoo merge into "
            "single-run order and a per-shard report (<out>.report.tsv). A rerun recomputes only "
            "missing or outdated shards. Needs pip install 'dczoo[workflow]'."
        ),
    )
    parser.set_defaults(func=run, action="path")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("path", help="print the Snakefile's path (the default)")
    runner = actions.add_parser(
        "run", help="run the workflow with snakemake; returns Snakemake's exit status",
        description="Run the bundled workflow with Snakemake in the current folder; the exit "
        "status is Snakemake's (0: every output is complete).")
    runner.add_argument("--cores", help="Snakemake --cores: CPU cores to use locally "
                        "(default: all; with --profile: the profile's)")
    runner.add_argument("--config", nargs="+", metavar="KEY=VALUE",
                        help="workflow settings: subreads=, ccs=, out=, chunks=, model=, threads=, cpus=, "
                        "batch_size=, batch_zmws=, correct_args=, shards= (see config.example.yaml)")
    runner.add_argument("--configfile", help="a YAML file of those settings")
    runner.add_argument("--profile",
                        help="a Snakemake profile folder, or 'slurm' for the bundled SLURM example")
    runner.add_argument("snakemake_args", nargs=argparse.REMAINDER,
                        help="after --: more options for snakemake (e.g. --dry-run, --rerun-incomplete)")


def snakemake_command(args):
    """The snakemake command line of `dczoo workflow run`.

    Args:
        args: argparse.Namespace of the `workflow` sub-command.

    Returns:
        list of str, starting with this Python and `-m snakemake`.
    """
    from dczoo.workflow import profile, snakefile

    command = [sys.executable, "-m", "snakemake", "--snakefile", snakefile()]
    if args.profile:
        command += ["--profile", profile(args.profile)]
    if args.cores or not args.profile:
        command += ["--cores", args.cores or "all"]
    if args.configfile:
        command += ["--configfile", args.configfile]
    if args.config:
        command += ["--config", *args.config]
    extra = list(args.snakemake_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return command + extra


def run(args):
    """Runs the command; returns the exit status."""
    from dczoo.workflow import snakefile

    if args.action != "run":
        print(snakefile())
        return 0
    try:
        import snakemake  # noqa: F401
    except ImportError:
        raise DczooInputError("Snakemake is not installed: pip install 'dczoo[workflow]'") from None
    return subprocess.call(snakemake_command(args))

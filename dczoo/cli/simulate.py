"""`dczoo simulate`: realistic PacBio subreads, drafts and truth as BAMs.

Examples:
    dczoo simulate --reference genome.fa --zmws 5000 --seed 7 --out sim/ --cpus 2
    dczoo simulate --random-genome 2000000 --zmws 200 --out sim/
    dczoo simulate --reference genome.fa --zmws 300 --out sim/ --compare-to ../shared/data/human_1m
    dczoo simulate --compare-to ../shared/data/human_1m --measure sim/     # table only
    dczoo simulate --reference genome.fa --zmws 4000 --randomize default --out train/
    dczoo simulate --reference genome.fa --zmws 200 --param kinetics.error_signal=0 --out shift/
"""

import dataclasses
import os
import shlex
import sys

from dczoo.cli._arguments import add_progress_every, number
from dczoo.errors import DczooInputError
from dczoo.validation import check_number


def register(subparsers):
    """Adds the `simulate` sub-command.

    Args:
        subparsers: the argparse sub-parsers object of `dczoo`.
    """
    p = subparsers.add_parser(
        "simulate",
        help="simulate PacBio subreads, draft (CCS) reads and truth as BAMs",
        description="Simulate subreads_to_ccs.bam, ccs.bam, truth_to_ccs.bam (+.bai), truth.bed and "
                    "truth_split.tsv in the layout of real DeepConsensus inputs, plus simulation.json.",
    )
    src = p.add_argument_group("genome")
    src.add_argument("--reference", help="FASTA to sample inserts from (both strands)")
    src.add_argument("--random-genome", type=number(minimum=1, whole=True), metavar="LENGTH",
                     help="use a random genome of this length instead of a FASTA")
    p.add_argument("--zmws", type=number(minimum=1, whole=True), default=100, help="ZMWs to simulate (default 100)")
    p.add_argument("--seed", type=number(minimum=0, whole=True), default=0,
                   help="random seed; same seed and parameters = same output")
    p.add_argument("--out", help="output folder")
    p.add_argument("--cpus", type=number(minimum=1, whole=True), default=1,
                   help="worker processes (the output does not depend on it)")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs in --out")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no progress lines on stderr (errors still print)")
    add_progress_every(p)
    p.add_argument("--movie", help="movie name in read names (default m64001_<seed>_000000)")
    mol = p.add_argument_group("molecules and passes")
    mol.add_argument("--insert-mean", type=number(minimum=1), default=3000.0,
                     help="mean insert length in bp (default 3000)")
    mol.add_argument("--insert-sd", type=number(minimum=0), default=750.0, help="sd of the insert length (default 750)")
    mol.add_argument("--passes-mean", type=number(minimum=0), default=12.0,
                     help="mean full passes of ZMWs that are not low-pass (default 12)")
    mol.add_argument("--passes", type=number(minimum=0, whole=True),
                     help="give every ZMW exactly this many full passes")
    mol.add_argument("--low-pass-share", type=number(0, 1), default=0.35,
                     help="share of ZMWs with 0-2 full passes (default 0.35)")
    rnd = p.add_argument_group("error model")
    rnd.add_argument("--param", action="append", metavar="SECTION.FIELD=VALUE",
                     help="set one parameter of the error, kinetics or molecule model (repeatable), e.g. "
                          "errors.deletion_rate=0.05, errors.rate_scale=1.3, kinetics.error_signal=0")
    rnd.add_argument("--randomize", metavar="RANGES",
                     help="draw parameters anew for every ZMW, uniformly from ranges: 'default' (the wide "
                          "training ranges of dczoo.simulate.randomization), 'context' (those plus "
                          "per-position kinetics) or a JSON file of "
                          "{\"SECTION.FIELD\": [low, high]}")
    spl = p.add_argument_group("train/eval/test splits")
    spl.add_argument("--split-fractions", default="0.8,0.1,0.1", metavar="TRAIN,EVAL,TEST",
                     help="each FASTA record is cut into consecutive blocks in these shares (default 0.8,0.1,0.1)")
    spl.add_argument("--split-of", action="append", metavar="RECORD=SPLIT",
                     help="give a whole FASTA record to one split (repeatable), e.g. chr20=test")
    spl.add_argument("--split-chrom", action="append", metavar="SPLIT=CHROM",
                     help="chromosome-like name written to truth_split.tsv for a split "
                          "(defaults train=chr1, eval=chr21, test=chr19: the DeepConsensus human tables)")
    p.add_argument("--compare-to", metavar="REAL_DIR",
                   help="after simulating (or with --measure), print the realism table against this real data")
    p.add_argument("--measure", metavar="SIM_DIR",
                   help="with --compare-to: measure an existing folder, simulate nothing")
    p.add_argument("--compare-zmws", type=number(minimum=1, whole=True), default=None,
                   help="ZMWs of the simulated folder to measure (default all)")
    p.set_defaults(func=run)


def _parse_pairs(items, what):
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise DczooInputError(f"{what} {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _config(args):
    from dczoo.simulate import SimulationConfig
    from dczoo.simulate.molecule import MoleculeModel
    from dczoo.simulate.reference import SPLITS, parse_split_of

    try:
        fractions = tuple(float(x) for x in args.split_fractions.split(","))
    except ValueError as error:
        raise DczooInputError(f"--split-fractions {args.split_fractions!r}: expected three numbers") from error
    for fraction in fractions:
        check_number("--split-fractions", fraction, minimum=0)
    chroms = _parse_pairs(args.split_chrom, "--split-chrom")
    unknown = sorted(set(chroms) - set(SPLITS))
    if unknown:
        raise DczooInputError(f"--split-chrom: unknown split {', '.join(unknown)} (use train, eval, test)")
    molecule = dataclasses.replace(
        MoleculeModel(), insert_mean=args.insert_mean, insert_sd=args.insert_sd,
        passes_mean=args.passes_mean, fixed_passes=args.passes, low_pass_share=args.low_pass_share)
    from dczoo.simulate.randomization import ParameterRanges, apply_overrides

    config = SimulationConfig(
        n_zmws=args.zmws, seed=args.seed, reference=args.reference, random_genome=args.random_genome,
        movie=args.movie, split_fractions=fractions, split_of=parse_split_of(args.split_of),
        split_chroms=chroms, molecule=molecule)
    values = {}
    for name, value in _parse_pairs(args.param, "--param").items():
        try:
            values[name] = check_number(f"--param {name}", float(value))
        except ValueError:
            raise DczooInputError(f"--param {name}={value}: the value must be a finite number") from None
    if values:
        config = apply_overrides(config, values)
    if args.randomize:
        config = dataclasses.replace(config, randomize=ParameterRanges.load(args.randomize))
    return config


def _check_paths(args):
    """The simulated files must not overwrite the reference or the ranges file."""
    from dczoo.paths import check_paths
    from dczoo.simulate.bam_writer import OUTPUT_FILES

    check_paths(
        inputs=[("--reference", args.reference), ("--randomize", _ranges_file(args.randomize))],
        files=[(f"--out {name}", os.path.join(args.out, name)) for name in OUTPUT_FILES],
        create_folders=True,
    )


def _ranges_file(randomize):
    return randomize if randomize and os.path.isfile(randomize) else None


def run(args):
    """Runs `dczoo simulate`.

    Args:
        args: argparse.Namespace from the parser built by `register`.

    Returns:
        int exit status.
    """
    from dczoo.simulate import simulate
    from dczoo.simulate.realism import compare_directories, format_table

    if args.measure:
        if not args.compare_to:
            raise DczooInputError("--measure needs --compare-to REAL_DIR")
        sim_dir = args.measure
    else:
        if not args.out:
            raise DczooInputError("--out is required (the output folder)")
        config = _config(args)
        _check_paths(args)
        command = " ".join(shlex.quote(a) for a in sys.argv)
        summary = simulate(config, args.out, cpus=args.cpus, progress=not args.quiet, force=args.force,
                           command_line=command, progress_every=args.progress_every)
        print(f"dczoo simulate: {summary['zmws']} ZMWs in {summary['seconds']:.1f} s "
              f"({summary['zmws_per_second']:.2f} ZMWs/s) -> {os.path.abspath(args.out)}")
        sim_dir = args.out
    if args.compare_to:
        for folder in (args.compare_to, sim_dir):
            if not os.path.isdir(folder):
                raise DczooInputError(f"{folder}: not a folder")
        print(format_table(compare_directories(args.compare_to, sim_dir, max_zmws=args.compare_zmws)))
    return 0

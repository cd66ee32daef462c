#!/usr/bin/env python
"""Simulate and preprocess the training, calibration, test and shift sets.

One command per kind of set, all under one `--out` folder:

    python recipes/make_data.py train --out data/      # randomized error models
    python recipes/make_data.py calibration --out data/
    python recipes/make_data.py test --out data/       # the own test set
    python recipes/make_data.py shift --out data/      # error models outside the training ranges

The reference FASTA is cut per record: the first `1 - test_fraction` of each
record feeds training (its last `eval_fraction` gives the eval windows that
pick checkpoints), the rest feeds the test and shift sets, so test reads come
from sequence training never saw. Training also samples from a random genome
(`--random-genome`, human-like composition) so that a few hundred kb of real
sequence cannot be memorized, and every training ZMW draws its error model
from `dczoo.simulate.randomization.DEFAULT_RANGES` (`--ranges` for others).
The calibration set comes from another random genome and seed, with the same
randomized error models: it is held out from training and from every test set.
The test set uses the default error model (matched to the real human_1m
subreads) with the real data's insert length (~12 kb) and pass counts; each
shift set sets one error-model setting outside the training ranges
(`SHIFT_SETS`).

Every step calls the library behind `dczoo simulate` and `dczoo preprocess`
(`dczoo.simulate.simulate`, `dczoo.data.preprocess`). Writes: data/regions/,
data/sim_<set>/ and data/windows_<set>/ (shift sets: data/shift/<name>/sim,
data/shift/<name>/windows), data/settings_<kind>.json.
Rerunning skips the steps whose outputs exist (resumable).
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np
import pysam

sys.path.insert(0, os.path.dirname(__file__))

DEFAULT_REFERENCE = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "chm13_chr20",
    "CHM13_chr20_0_200000.fa",
)

# Insert length and pass counts of the real human_1m ZMWs (drafts 4-14 kb,
# mostly 11-14 kb; np 0, 0, 1, 2, 5, 9, 9, 15, 16, 17).
REAL_INSERTS = {"insert_mean": 11500, "insert_sd": 2500}
REAL_PASSES = {"low_pass_share": 0.4, "passes_mean": 12}

# Each shift set moves the error model outside the training ranges
# (randomization.DEFAULT_RANGES) in one respect; the rest is the test set's.
SHIFT_SETS = {
    "substitution_mix": {
        "description": "substitution-heavy mix: substitutions 0.045 (training 0.010-0.030), "
                       "insertions 0.030, deletions 0.020",
        "params": {"errors.substitution_rate": 0.045, "errors.insertion_rate": 0.030,
                   "errors.deletion_rate": 0.020},
    },
    "homopolymer": {
        "description": "more homopolymer misreads: deletion homopolymer factor 3.0 (training 1.2-2.4), "
                       "systematic homopolymer sites 4.5 per kb (training 0.5-3.0)",
        "params": {"errors.deletion_homopolymer_factor": 3.0, "errors.systematic_sites_per_kb": 4.5},
    },
    "low_accuracy": {
        "description": "every subread error rate x1.25 (training x0.85-1.15): subreads about 2.5 points "
                       "less accurate",
        "params": {"errors.rate_scale": 1.25},
    },
    "no_kinetics_signal": {
        "description": "kinetics carry no error signal: error_signal 0 (training 0.4-1.3)",
        "params": {"kinetics.error_signal": 0.0},
    },
    "low_pass": {
        "description": "more low-pass ZMWs: 55% with 0-2 passes (training 15-45%), the rest 4 passes "
                       "on average (training 6-20)",
        "params": {"molecule.low_pass_share": 0.55, "molecule.passes_mean": 4.0},
    },
    "context_kinetics": {
        "description": "real-like kinetics: pw and ip carry a per-position factor shared by every pass of a "
                       "strand (sd of log 0.29 and 0.40) and 80% of subread deletions leave a trace (a long "
                       "pause or pulse), both as measured on human_1m (training: neither); the ZMWs are the "
                       "test set's first ones, identical but for pw and ip",
        "params": {"kinetics.position_pw_sd": 0.29, "kinetics.position_ip_sd": 0.40,
                   "kinetics.deletion_signal": 0.8},
        "seed": "test",
    },
}
# A shift set's seed is the `shift` seed plus its place here (the order the first
# five were made in); "seed": "test" takes the test set's seed, so its ZMWs are
# the test set's first ones.
_SHIFT_ORDER = ("homopolymer", "low_accuracy", "low_pass", "no_kinetics_signal", "substitution_mix",
                "context_kinetics")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["train", "calibration", "test", "shift"],
                        help="which set to make")
    parser.add_argument("--reference", default=DEFAULT_REFERENCE,
                        help="FASTA to simulate from (default: the shared chr20 200 kb)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--zmws", type=int, default=None,
                        help="ZMWs to simulate (default: train 8000, calibration 400, test 1000, "
                             "each shift set 300)")
    parser.add_argument("--test-fraction", type=float, default=0.15,
                        help="share of each record kept for the test and shift sets")
    parser.add_argument("--eval-fraction", type=float, default=0.1,
                        help="share of the training sequence used for eval windows")
    parser.add_argument("--seed", type=int, default=None,
                        help="simulation seed (default: train 1, test 2, calibration 3, shift 10+k)")
    parser.add_argument("--random-genome", type=int, default=2_000_000,
                        help="bp of random genome added to the training sequence (0: none)")
    parser.add_argument("--ranges", default="default",
                        help="randomized error-model ranges of the training and calibration sets: "
                             "'default', 'context' (those plus per-position kinetics), a JSON file, or 'none' "
                             "(the default error model)")
    parser.add_argument("--insert-mean", type=int, default=None,
                        help="mean insert (default: train 6000, others the real data's 11500)")
    parser.add_argument("--insert-sd", type=int, default=None,
                        help="insert sd (default: train 0.42 x the mean up to 2500, others 2500)")
    parser.add_argument("--only", action="append", choices=sorted(SHIFT_SETS),
                        help="shift: make only these sets (repeatable)")
    parser.add_argument("--cpus", type=int, default=2)
    return parser.parse_args(argv)


def _write_fasta(path, records):
    with open(path + ".tmp", "w") as handle:
        for name, sequence in records:
            handle.write(f">{name}\n")
            for start in range(0, len(sequence), 80):
                handle.write(sequence[start:start + 80] + "\n")
    os.replace(path + ".tmp", path)


def write_regions(reference, out_dir, test_fraction, random_genome=0, seed=1):
    """Writes train.fa and test.fa (each record cut at 1 - test_fraction).

    Args:
        reference: str, FASTA.
        out_dir: str, folder for the region files.
        test_fraction: float.
        random_genome: int, bp of random genome appended to train.fa (0: none)
            as record `random_train`; it is cut into train/eval like the rest.
        seed: int, seed of the random genome.

    Returns:
        dict "train"/"test" -> path.
    """
    from dczoo.simulate.reference import random_genome as make_random

    os.makedirs(out_dir, exist_ok=True)
    tag = f"_rg{random_genome}" if random_genome else ""
    paths = {"train": os.path.join(out_dir, f"train{tag}.fa"), "test": os.path.join(out_dir, "test.fa")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    fasta = pysam.FastaFile(reference)
    parts = {"train": [], "test": []}
    for record in fasta.references:
        sequence = fasta.fetch(record).upper()
        cut = int(len(sequence) * (1 - test_fraction))
        parts["train"].append((f"{record}_0_{cut}", sequence[:cut]))
        parts["test"].append((f"{record}_{cut}_{len(sequence)}", sequence[cut:]))
    if random_genome:
        bases = make_random(int(random_genome), np.random.default_rng([int(seed), 77]))
        parts["train"].append(("random_train", bases.tobytes().decode()))
    for name, path in paths.items():
        _write_fasta(path, parts[name])
    return paths


def random_fasta(out_dir, name, length, seed):
    """A FASTA of one random-genome record (made once)."""
    from dczoo.simulate.reference import random_genome as make_random

    path = os.path.join(out_dir, f"{name}.fa")
    if not os.path.exists(path):
        os.makedirs(out_dir, exist_ok=True)
        bases = make_random(int(length), np.random.default_rng([int(seed), 78]))
        _write_fasta(path, [(name, bases.tobytes().decode())])
    return path


def _step(name, done_marker, work):
    if os.path.exists(done_marker):
        print(f"[make_data] {name}: already done")
        return
    print(f"[make_data] {name}", flush=True)
    start = time.time()
    work()
    print(f"[make_data] {name}: {time.time() - start:.0f} s", flush=True)


def simulation_config(fasta, zmws, seed, fractions, molecule, params=None, ranges=None):
    """The `SimulationConfig` of one set (what `dczoo simulate` builds from its flags).

    Args:
        fasta: str, reference.
        zmws, seed: int.
        fractions: (train, eval, test) shares of each record.
        molecule: dict of `MoleculeModel` fields.
        params: optional dict SECTION.FIELD -> value (fixed overrides).
        ranges: optional "default", a JSON file of ranges, or None.

    Returns:
        `dczoo.simulate.SimulationConfig`.
    """
    from dczoo.simulate import MoleculeModel, SimulationConfig
    from dczoo.simulate.randomization import ParameterRanges, apply_overrides

    config = SimulationConfig(n_zmws=zmws, seed=seed, reference=fasta, split_fractions=tuple(fractions),
                              molecule=dataclasses.replace(MoleculeModel(), **molecule))
    if params:
        config = apply_overrides(config, params)
    if ranges:
        config = dataclasses.replace(config, randomize=ParameterRanges.load(ranges))
    return config


def simulate_and_preprocess(name, config, sim, windows, cpus):
    """Simulates `config` into `sim`, then preprocesses it (with truth) into `windows`."""
    from dczoo.data import TruthInputs, preprocess
    from dczoo.simulate import simulate

    _step(f"simulate {name}", os.path.join(sim, "simulation.json"),
          lambda: simulate(config, sim, cpus=cpus, progress=False, force=True,
                           command_line=f"recipes/make_data.py ({name})"))
    truth = TruthInputs(*(os.path.join(sim, f) for f in ("truth_to_ccs.bam", "truth.bed", "truth_split.tsv")))
    _step(f"preprocess {name}", os.path.join(windows, "summary.json"),
          lambda: preprocess(os.path.join(sim, "subreads_to_ccs.bam"), os.path.join(sim, "ccs.bam"), windows,
                             truth=truth, cpus=cpus, overwrite=True))
    with open(os.path.join(windows, "summary.json")) as handle:
        summary = json.load(handle)
    return {split: info["windows"] for split, info in summary.get("splits", {}).items()}


def _molecule(args, kind):
    insert_mean = args.insert_mean or (6000 if kind == "train" else REAL_INSERTS["insert_mean"])
    insert_sd = args.insert_sd or (min(2500, round(0.42 * insert_mean)) if kind == "train"
                                   else REAL_INSERTS["insert_sd"])
    molecule = {"insert_mean": float(insert_mean), "insert_sd": float(insert_sd)}
    if kind != "train":
        molecule.update(low_pass_share=REAL_PASSES["low_pass_share"], passes_mean=float(REAL_PASSES["passes_mean"]))
    return molecule


def _ranges(args):
    return None if args.ranges == "none" else args.ranges


def make(args):
    """Makes the set `args.kind`; returns a dict of what was written."""
    from recipe_utils import record_settings

    kind = args.kind
    defaults = {"train": (8000, 1), "calibration": (400, 3), "test": (1000, 2), "shift": (300, 10)}
    zmws = args.zmws or defaults[kind][0]
    seed = args.seed if args.seed is not None else defaults[kind][1]
    record_settings(args.out, args, extra={"kind": kind}, name=f"settings_{kind}.json")
    regions = os.path.join(args.out, "regions")
    made = {}
    if kind == "train":
        paths = write_regions(args.reference, regions, args.test_fraction, args.random_genome, seed)
        fractions = (1 - args.eval_fraction, args.eval_fraction, 0.0)
        config = simulation_config(paths["train"], zmws, seed, fractions, _molecule(args, kind), ranges=_ranges(args))
        made["train"] = simulate_and_preprocess("train", config, os.path.join(args.out, "sim_train"),
                                                os.path.join(args.out, "windows_train"), args.cpus)
    elif kind == "calibration":
        fasta = random_fasta(regions, "random_calibration", 1_000_000, seed)
        config = simulation_config(fasta, zmws, seed, (0.0, 0.0, 1.0), _molecule(args, kind), ranges=_ranges(args))
        made["calibration"] = simulate_and_preprocess(
            "calibration", config, os.path.join(args.out, "sim_calibration"),
            os.path.join(args.out, "windows_calibration"), args.cpus)
    elif kind == "test":
        paths = write_regions(args.reference, regions, args.test_fraction)
        config = simulation_config(paths["test"], zmws, seed, (0.0, 0.0, 1.0), _molecule(args, kind))
        made["test"] = simulate_and_preprocess("test", config, os.path.join(args.out, "sim_test"),
                                               os.path.join(args.out, "windows_test"), args.cpus)
    else:
        paths = write_regions(args.reference, regions, args.test_fraction)
        for k, name in enumerate(_SHIFT_ORDER):
            spec = SHIFT_SETS[name]
            if args.only and name not in args.only:
                continue
            folder = os.path.join(args.out, "shift", name)
            set_seed = defaults["test"][1] if spec.get("seed") == "test" else seed + k
            config = simulation_config(paths["test"], zmws, set_seed, (0.0, 0.0, 1.0), _molecule(args, kind),
                                       params=spec["params"])
            made[name] = simulate_and_preprocess(f"shift {name}", config, os.path.join(folder, "sim"),
                                                 os.path.join(folder, "windows"), args.cpus)
            with open(os.path.join(folder, "shift.json"), "w") as handle:
                json.dump(dict(spec, name=name, zmws=zmws, seed=set_seed), handle, indent=1)
    print(json.dumps(made, indent=1))
    return made


def main(argv=None):
    return make(parse_args(argv))


if __name__ == "__main__":
    main()

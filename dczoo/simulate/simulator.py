"""Orchestration of a simulation run: configuration, reference, workers, output.

Example:
>>> from dczoo.simulate import SimulationConfig, simulate
>>> config = SimulationConfig(n_zmws=20, seed=7, random_genome=200_000)
>>> summary = simulate(config, "sim/", cpus=2)  # doctest: +SKIP
"""

import concurrent.futures
import dataclasses
import multiprocessing
import time

import numpy as np

from dczoo.errors import DczooInputError, DczooWorkerError, output_error
from dczoo.progress import DEFAULT_PROGRESS_EVERY, Progress
from dczoo.simulate.bam_writer import BamSetWriter
from dczoo.simulate.draft_consensus import MAX_POA_LENGTH
from dczoo.simulate.kinetics import KineticsModel
from dczoo.simulate.molecule import MoleculeModel
from dczoo.simulate.reference import RANDOM_GENOME_NAME, make_contigs, random_genome, read_fasta
from dczoo.simulate.subread_errors import SubreadErrorModel
from dczoo.simulate.zmw import simulate_zmw
from dczoo.validation import check_number

_HOLE_STREAM = 0xFFFFFFFF
_GENOME_STREAM = 0xFFFFFFFE


@dataclasses.dataclass
class SimulationConfig:
    """Every parameter of a simulation (recorded in simulation.json).

    Attributes:
        n_zmws: int, ZMWs to simulate.
        seed: int; the output is a function of the seed and the parameters only.
        reference: str, FASTA path, or None with `random_genome`.
        random_genome: int, length of a random genome to use instead of a FASTA.
        movie: str, movie name in read names (default derived from the seed).
        first_hole: int, hole number of the first ZMW (later ones grow by 1-3).
        split_fractions: (train, eval, test) shares of each reference record.
        split_of: dict record -> split, records given whole to one split.
        split_chroms: dict split -> chromosome-like name in truth_split.tsv.
        molecule: MoleculeModel (insert length, passes).
        errors: SubreadErrorModel.
        kinetics: KineticsModel.
        polish_rounds: int, draft polishing rounds after POA.
        max_poa_passes: int, full passes used by the POA.
        max_poa_length: int, passes longer than this go through the POA in
            pieces of about 10 kb (abPOA reserves memory growing with the
            square of the length: a 29 kb pass asks for 34 GB).
        randomize: optional `ParameterRanges`; when set, every ZMW draws these
            parameters anew (dczoo.simulate.randomization).
    """

    n_zmws: int = 100
    seed: int = 0
    reference: str = None
    random_genome: int = None
    movie: str = None
    first_hole: int = 4194304
    split_fractions: tuple = (0.8, 0.1, 0.1)
    split_of: dict = dataclasses.field(default_factory=dict)
    split_chroms: dict = dataclasses.field(default_factory=dict)
    molecule: MoleculeModel = dataclasses.field(default_factory=MoleculeModel)
    errors: SubreadErrorModel = dataclasses.field(default_factory=SubreadErrorModel)
    kinetics: KineticsModel = dataclasses.field(default_factory=KineticsModel)
    polish_rounds: int = 2
    max_poa_passes: int = 5
    max_poa_length: int = MAX_POA_LENGTH
    randomize: object = None

    @property
    def movie_name(self):
        """str: `movie`, or `m64001_<seed>_000000` by default."""
        return self.movie or f"m64001_{int(self.seed):06d}_000000"

    def validate(self):
        """Raises DczooInputError for parameters that cannot produce data."""
        if self.reference is None and self.random_genome is None:
            raise DczooInputError("no genome to sample from: give --reference FASTA or --random-genome LENGTH")
        if self.reference is not None and self.random_genome is not None:
            raise DczooInputError("give either --reference or --random-genome, not both")
        if self.n_zmws < 1:
            raise DczooInputError(f"--zmws {self.n_zmws}: need at least 1 ZMW")
        if self.seed < 0:
            raise DczooInputError(f"--seed {self.seed}: must be >= 0")
        if "/" in self.movie_name or not self.movie_name:
            raise DczooInputError(f"--movie {self.movie_name!r}: must be non-empty without '/'")
        self.molecule.validate()
        self.errors.validate()
        self.kinetics.validate()

    def to_dict(self):
        """dict of every parameter (JSON-ready)."""
        out = dataclasses.asdict(self)
        out["movie"] = self.movie_name
        out["split_fractions"] = list(self.split_fractions)
        out["randomize"] = None if self.randomize is None else self.randomize.to_dict()
        return out


def load_reference(config):
    """Loads (or generates) the genome and cuts it into contigs.

    Args:
        config: SimulationConfig.

    Returns:
        (sequences, contigs): dict record -> uint8 array, list of Contig.

    Raises:
        DczooInputError: when no contig can hold an insert of the mean length.
    """
    config.validate()
    if config.reference is not None:
        sequences = read_fasta(config.reference)
        source = config.reference
    else:
        rng = np.random.default_rng([int(config.seed), _GENOME_STREAM])
        sequences = {RANDOM_GENOME_NAME: random_genome(int(config.random_genome), rng)}
        source = f"--random-genome {config.random_genome}"
    contigs = make_contigs({k: v.size for k, v in sequences.items()}, config.split_fractions,
                           config.split_of, config.split_chroms)
    longest = max((c.length for c in contigs), default=0)
    insert_mean = config.molecule.insert_mean
    if config.randomize is not None:
        insert_mean = config.randomize.upper("molecule.insert_mean", insert_mean)
    needed = max(config.molecule.min_insert, int(insert_mean))
    if longest < needed:
        raise DczooInputError(
            f"{source}: the longest contig is {longest} bp (after cutting records into train/eval/test "
            f"blocks), shorter than the {needed} bp insert; use a longer reference or a smaller --insert-mean")
    return sequences, contigs


def hole_numbers(config):
    """int array of the ZMW hole numbers, increasing by 1 to 3 like real movies."""
    rng = np.random.default_rng([int(config.seed), _HOLE_STREAM])
    steps = rng.integers(1, 4, size=config.n_zmws)
    return config.first_hole + np.cumsum(steps) - steps[0]


_WORKER = {}


def _init_worker(config, contigs, sequences):
    _WORKER.update(config=config, contigs=contigs, sequences=sequences)


def _run_one(job):
    index, hole = job
    return simulate_zmw(index, hole, _WORKER["config"], _WORKER["contigs"], _WORKER["sequences"])


def simulate(config, out_dir, cpus=1, progress=True, force=False, command_line="",
             progress_every=DEFAULT_PROGRESS_EVERY):
    """Simulates ZMWs and writes the five files and simulation.json to `out_dir`.

    Args:
        config: SimulationConfig.
        out_dir: str, output folder.
        cpus: int, worker processes (the output does not depend on it).
        progress: bool, report progress on stderr: a tqdm bar on a terminal,
            else a line every `progress_every` seconds (`dczoo.progress`).
        force: bool, overwrite existing outputs.
        command_line: str, recorded in the BAM `@PG` lines.
        progress_every: float, seconds between those lines (0: one per ZMW).

    Returns:
        dict with "paths" (output name -> path), "zmws", "seconds", "zmws_per_second".

    Raises:
        DczooInputError: on bad parameters or an unusable reference.
        DczooOutputError: the outputs could not be written (nothing is left,
            not even a folder this call created).
        DczooWorkerError: a worker process died (nothing is left).
    """
    from dczoo.version import __version__

    if cpus < 1:
        raise DczooInputError(f"--cpus {cpus}: must be >= 1")
    check_number("--progress-every", progress_every, minimum=0)
    sequences, contigs = load_reference(config)
    holes = hole_numbers(config)
    writer = BamSetWriter(out_dir, config.movie_name, command_line, __version__, force=force)
    jobs = [(i, int(h)) for i, h in enumerate(holes)]
    start = time.perf_counter()
    bar = Progress("simulate", len(jobs), every=progress_every, enabled=progress)
    try:
        if cpus == 1:
            _init_worker(config, contigs, sequences)
            for job in jobs:
                writer.add(_run_one(job))
                bar.update(1)
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            # an executor, not a Pool: a worker that dies (killed, out of memory)
            # breaks it with an error instead of leaving its ZMWs waiting forever
            with concurrent.futures.ProcessPoolExecutor(cpus, mp_context=ctx, initializer=_init_worker,
                                                        initargs=(config, contigs, sequences)) as pool:
                try:
                    for result in pool.map(_run_one, jobs, chunksize=2):
                        writer.add(result)
                        bar.update(1)
                except concurrent.futures.process.BrokenProcessPool:
                    raise DczooWorkerError(
                        f"dczoo simulate: a worker process died after {bar.done} of {len(jobs)} ZMWs "
                        "(killed, or out of memory); nothing was written") from None
        info = {
            "dczoo_version": __version__,
            "parameters": config.to_dict(),
            "reference": config.reference,
            "contigs": [dataclasses.asdict(c) for c in contigs],
        }
        paths = writer.finish(info)
        elapsed = time.perf_counter() - start
    except OSError as error:  # a full disk, a folder made read-only meanwhile, ...
        writer.abort()
        raise output_error(out_dir, error) from error
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    return {"paths": paths, "zmws": len(jobs), "seconds": elapsed,
            "zmws_per_second": len(jobs) / elapsed if elapsed > 0 else float("inf")}

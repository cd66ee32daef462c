"""The genome the simulator samples inserts from, cut into train/eval/test contigs.

A FASTA file (or a random genome with human-like base composition and
homopolymers) is loaded into memory. Each record is cut into consecutive blocks,
one per split, in the proportions of `split_fractions`; the blocks are the
simulated "contigs" of `truth.bed`, named `<record>_<begin>_<end>` (0-based,
end-exclusive record coordinates), so a user can always tell where an insert
came from. `--split-of RECORD=SPLIT` instead gives a whole record to one split.
`truth_split.tsv` maps each contig to a chromosome-like name whose split is the
one intended under the DeepConsensus human tables (train chr1-18/X/Y, eval
chr21/22, test chr19/20), unless the user names other chromosomes.
"""

import dataclasses
import os

import numpy as np
import pysam

from dczoo.errors import DczooInputError

SPLITS = ("train", "eval", "test")
DEFAULT_SPLIT_CHROMS = {"train": "chr1", "eval": "chr21", "test": "chr19"}
RANDOM_GENOME_NAME = "random"


@dataclasses.dataclass
class Contig:
    """A stretch of one reference record given to one split.

    Attributes:
        name: str, the contig name written to truth.bed (e.g. "chr20_0_160000").
        record: str, the FASTA record it comes from.
        offset: int, record coordinate of the contig's first base.
        length: int.
        split: "train", "eval" or "test".
        chrom: the chromosome-like name written to truth_split.tsv.
    """

    name: str
    record: str
    offset: int
    length: int
    split: str
    chrom: str


def read_fasta(path):
    """Loads every record of a FASTA file, upper-cased.

    Args:
        path: str. FASTA (optionally gzipped).

    Returns:
        dict record name -> uint8 array of bases.

    Raises:
        DczooInputError: when the file is missing, unreadable or has no sequence.
    """
    if not os.path.exists(path):
        raise DczooInputError(f"{path}: reference FASTA not found")
    _check_fasta_start(path)
    records = {}
    try:
        with pysam.FastxFile(path) as fasta:
            for entry in fasta:
                seq = (entry.sequence or "").upper().encode()
                records[entry.name] = np.frombuffer(seq, dtype=np.uint8).copy()
    except (OSError, ValueError) as error:
        raise DczooInputError(f"{path}: cannot read as FASTA ({error})") from error
    if not records or not any(r.size for r in records.values()):
        raise DczooInputError(f"{path}: no sequence in the FASTA file")
    return records


def _check_fasta_start(path):
    """Refuses a file that does not start like FASTA (a BAM, a FASTQ, binary data)."""
    import gzip

    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            start = handle.read(4096)
    except (OSError, EOFError) as error:
        raise DczooInputError(f"{path}: cannot read as FASTA ({error})") from error
    if start.startswith(b"BAM\x01"):
        raise DczooInputError(f"{path}: is a BAM file, not FASTA; --reference takes the genome as FASTA")
    first = start.lstrip()[:1]
    if first == b"@":
        raise DczooInputError(f"{path}: looks like FASTQ, not FASTA (a FASTA record starts with '>')")
    if first != b">" or b"\0" in start:
        raise DczooInputError(
            f"{path}: not a FASTA file (it must start with a '>' header line); --reference takes "
            "the genome as FASTA, optionally gzipped"
        )


def random_genome(length, rng):
    """A random genome with human-like composition and homopolymer lengths.

    Bases are drawn run by run (41% GC); run lengths follow a mixture whose tail
    is heavier than i.i.d. bases give, and (CA)n/(AT)n-like dinucleotide repeats
    are sprinkled in, so homopolymer and repeat errors have realistic contexts.

    Args:
        length: int, > 0.
        rng: numpy Generator.

    Returns:
        uint8 array of `length` ACGT bases.
    """
    if length <= 0:
        raise DczooInputError(f"--random-genome must be a positive length, got {length}")
    probs = np.array([0.295, 0.205, 0.205, 0.295])
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    n_runs = int(length / 1.45) + 64
    draws = rng.choice(4, size=n_runs, p=probs)
    shift = rng.integers(1, 4, size=n_runs)
    run_base = np.empty(n_runs, dtype=np.int64)
    run_base[0] = draws[0]
    for i in range(1, n_runs):  # consecutive runs must differ
        run_base[i] = draws[i] if draws[i] != run_base[i - 1] else (run_base[i - 1] + shift[i]) % 4
    long_run = rng.random(n_runs) < 0.04
    run_len = np.where(long_run, 3 + rng.geometric(0.3, size=n_runs), rng.geometric(0.74, size=n_runs))
    seq = np.repeat(bases[run_base], run_len)
    # dinucleotide repeats, about one per 2 kb
    for start in rng.integers(0, max(1, seq.size - 40), size=max(1, seq.size // 2000)):
        unit = bases[rng.choice(4, size=2, replace=False)]
        span = min(2 * int(rng.integers(5, 20)), seq.size - int(start))
        seq[start:start + span] = np.resize(unit, span)
    return seq[:length].copy() if seq.size >= length else np.resize(seq, length)


def parse_split_of(items):
    """Parses `--split-of RECORD=SPLIT` options.

    Args:
        items: list of str, or None.

    Returns:
        dict record -> split.

    Raises:
        DczooInputError: on a malformed item or unknown split.
    """
    out = {}
    for item in items or []:
        record, sep, split = item.rpartition("=")
        if not sep or not record or split not in SPLITS:
            raise DczooInputError(f"--split-of {item!r}: expected RECORD=SPLIT with SPLIT one of {', '.join(SPLITS)}")
        out[record] = split
    return out


def make_contigs(record_lengths, split_fractions=(0.8, 0.1, 0.1), split_of=None, split_chroms=None):
    """Cuts the reference records into per-split contigs.

    Args:
        record_lengths: dict record -> length (insertion order is kept).
        split_fractions: (train, eval, test) shares of each record not in `split_of`.
        split_of: dict record -> split, for records given whole to one split.
        split_chroms: dict split -> chromosome-like name for truth_split.tsv.

    Returns:
        list of Contig (empty blocks are left out).

    Raises:
        DczooInputError: on bad fractions or a `split_of` record not in the reference.

    Example:
    >>> [c.name for c in make_contigs({"chr20": 1000})]
    ['chr20_0_800', 'chr20_800_900', 'chr20_900_1000']
    """
    split_of = dict(split_of or {})
    chroms = dict(DEFAULT_SPLIT_CHROMS, **(split_chroms or {}))
    fractions = np.asarray(split_fractions, dtype=np.float64)
    if fractions.shape != (3,) or (fractions < 0).any() or fractions.sum() <= 0:
        raise DczooInputError(f"--split-fractions {tuple(split_fractions)}: need three non-negative shares, not all 0")
    fractions = fractions / fractions.sum()
    missing = sorted(set(split_of) - set(record_lengths))
    if missing:
        raise DczooInputError(f"--split-of names records not in the reference: {', '.join(missing)}")
    contigs = []
    for record, length in record_lengths.items():
        if record in split_of:
            split = split_of[record]
            contigs.append(Contig(record, record, 0, int(length), split, chroms[split]))
            continue
        bounds = np.round(np.concatenate([[0], np.cumsum(fractions)]) * length).astype(np.int64)
        for split, begin, end in zip(SPLITS, bounds[:-1], bounds[1:]):
            if end > begin:
                contigs.append(Contig(f"{record}_{begin}_{end}", record, int(begin), int(end - begin),
                                      split, chroms[split]))
    return contigs

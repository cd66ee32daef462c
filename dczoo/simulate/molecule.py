"""SMRTbell molecules: the insert, its passes, and where each subread starts and ends.

A molecule is an insert sampled from one contig of the reference, on either
strand. The polymerase starts somewhere inside one strand, reads to the
adapter, then makes full passes on alternating strands and stops somewhere
inside a last strand. Subreads carry the PacBio `cx` flags: 1 = adapter before,
2 = adapter after (full passes have 3, a read that saw no adapter has 0). About
a third of ZMWs are low-pass (0 to 2 full passes), as in real data.
"""

import dataclasses

import numpy as np

from dczoo.errors import DczooInputError
from dczoo.simulate.subread_errors import reverse_complement

_ACGT_MASK = np.zeros(256, dtype=bool)
_ACGT_MASK[np.frombuffer(b"ACGT", dtype=np.uint8)] = True
CX_ADAPTER_BEFORE = 1
CX_ADAPTER_AFTER = 2


@dataclasses.dataclass
class MoleculeModel:
    """Insert length and pass count distributions.

    Attributes:
        insert_mean: mean insert length (bp); lengths are log-normal.
        insert_sd: sd of the insert length (bp).
        min_insert: shortest insert (bp).
        low_pass_share: share of ZMWs with 0 to 2 full passes.
        passes_mean: mean full passes of the other ZMWs (negative binomial, >= 3).
        passes_dispersion: negative binomial size; smaller = more spread.
        max_passes: cap on full passes.
        fixed_passes: if set, every ZMW gets exactly this many full passes.
        adapter_length: bases between consecutive subreads (the adapter).
        min_subread_length: shorter partial subreads are dropped (like baz2bam).
    """

    insert_mean: float = 3000.0
    insert_sd: float = 750.0
    min_insert: int = 500
    low_pass_share: float = 0.35
    passes_mean: float = 12.0
    passes_dispersion: float = 5.0
    max_passes: int = 60
    fixed_passes: int = None
    adapter_length: int = 45
    min_subread_length: int = 50

    def validate(self):
        """Raises DczooInputError for parameters that cannot make a ZMW."""
        if self.insert_mean <= 0 or self.insert_sd < 0:
            raise DczooInputError(f"insert length mean {self.insert_mean} / sd {self.insert_sd}: mean must be > 0")
        if self.fixed_passes is not None and self.fixed_passes < 1:
            raise DczooInputError(f"--passes {self.fixed_passes}: a ZMW needs at least 1 full pass")
        if self.fixed_passes is None and self.passes_mean <= 0:
            raise DczooInputError(f"--passes-mean {self.passes_mean}: must be > 0 (zero passes make no draft)")
        if not 0.0 <= self.low_pass_share <= 1.0:
            raise DczooInputError(f"--low-pass-share {self.low_pass_share}: must be in [0, 1]")


@dataclasses.dataclass
class Insert:
    """The molecule's insert.

    Attributes:
        contig: Contig it comes from.
        begin, end: contig coordinates (0-based, end-exclusive).
        reverse: bool. The molecule's top strand is the reference's reverse complement.
        sequence: uint8 array, the top strand.
    """

    contig: object
    begin: int
    end: int
    reverse: bool
    sequence: np.ndarray

    def strand(self, bottom):
        """uint8 array: the top strand, or the bottom one when `bottom`."""
        return reverse_complement(self.sequence) if bottom else self.sequence

    def interval(self, bottom, start, end):
        """Contig interval and strand of bases [start, end) of one strand.

        Args:
            bottom: bool. Coordinates are on the bottom strand.
            start, end: int, positions on that strand.

        Returns:
            (begin, end, "+" or "-") in contig coordinates.
        """
        forward = bottom == self.reverse
        if forward:
            return self.begin + start, self.begin + end, "+"
        return self.end - end, self.end - start, "-"


@dataclasses.dataclass
class SubreadPlan:
    """One subread of a ZMW before sequencing.

    Attributes:
        bottom: bool. The pass reads the bottom strand.
        span: (start, end) on that strand.
        cx: int, PacBio adapter flags.
    """

    bottom: bool
    span: tuple
    cx: int

    @property
    def full(self):
        """bool: a full pass (adapters on both sides)."""
        return self.cx == CX_ADAPTER_BEFORE | CX_ADAPTER_AFTER


def sample_insert_length(model, rng, longest):
    """Draws an insert length (log-normal), clipped to [min_insert, longest]."""
    cv2 = (model.insert_sd / model.insert_mean) ** 2
    sigma = np.sqrt(np.log1p(cv2))
    mu = np.log(model.insert_mean) - sigma ** 2 / 2
    length = int(round(np.exp(mu + sigma * rng.standard_normal())))
    return int(min(max(length, min(model.min_insert, longest)), longest))


def sample_insert(contigs, sequences, model, rng, attempts=50):
    """Samples an insert uniformly over the contigs' positions, on either strand.

    Args:
        contigs: list of Contig to sample from.
        sequences: dict record -> uint8 array.
        model: MoleculeModel.
        rng: numpy Generator.
        attempts: int. Tries before giving up on N-free stretches.

    Returns:
        Insert.

    Raises:
        DczooInputError: when no stretch of ACGT bases long enough exists.
    """
    longest = max(c.length for c in contigs)
    for _ in range(attempts):
        length = sample_insert_length(model, rng, longest)
        room = np.array([max(c.length - length + 1, 0) for c in contigs], dtype=np.float64)
        contig = contigs[int(rng.choice(len(contigs), p=room / room.sum()))]
        begin = int(rng.integers(0, contig.length - length + 1))
        seq = sequences[contig.record][contig.offset + begin: contig.offset + begin + length]
        if _ACGT_MASK[seq].all():
            reverse = bool(rng.random() < 0.5)
            top = reverse_complement(seq) if reverse else seq.copy()
            return Insert(contig, begin, begin + length, reverse, top)
    raise DczooInputError(
        f"reference: found no stretch of {length} bp without N in {attempts} tries; "
        "use a reference with fewer N or shorter inserts (--insert-mean)")


def sample_full_passes(model, rng):
    """Draws the number of full passes of a ZMW.

    Args:
        model: MoleculeModel.
        rng: numpy Generator.

    Returns:
        int >= 0.
    """
    if model.fixed_passes is not None:
        return int(model.fixed_passes)
    if rng.random() < model.low_pass_share:
        return int(rng.integers(0, 3))
    size = model.passes_dispersion
    mean = max(model.passes_mean, 3.0)
    n = rng.negative_binomial(size, size / (size + mean))
    return int(min(max(n, 3), model.max_passes))


def plan_subreads(n_full, insert_length, model, rng):
    """Lays out the subreads of one polymerase read.

    Args:
        n_full: int, full passes.
        insert_length: int.
        model: MoleculeModel.
        rng: numpy Generator.

    Returns:
        list of SubreadPlan in sequencing order (never empty).
    """
    length = insert_length
    first_bottom = bool(rng.random() < 0.5)
    plans = []
    if n_full == 0 and rng.random() < 0.5:
        # the polymerase stopped before reaching an adapter
        size = int(rng.uniform(0.3, 1.0) * length)
        start = int(rng.integers(0, length - size + 1))
        return [SubreadPlan(first_bottom, (start, start + size), 0)]
    start = int(rng.integers(1, length))
    if length - start >= model.min_subread_length:
        plans.append(SubreadPlan(first_bottom, (start, length), CX_ADAPTER_AFTER))
    bottom = not first_bottom
    for _ in range(n_full):
        plans.append(SubreadPlan(bottom, (0, length), CX_ADAPTER_BEFORE | CX_ADAPTER_AFTER))
        bottom = not bottom
    stop = int(rng.integers(1, length))
    if stop >= model.min_subread_length or not plans:
        plans.append(SubreadPlan(bottom, (0, max(stop, min(length, model.min_subread_length))), CX_ADAPTER_BEFORE))
    return plans


def polymerase_coordinates(read_lengths, model, rng):
    """(qs, qe) of each subread on the polymerase read, with adapters in between.

    Args:
        read_lengths: list of int, subread lengths in sequencing order.
        model: MoleculeModel.
        rng: numpy Generator.

    Returns:
        list of (qs, qe) int tuples.
    """
    pos = 0 if rng.random() < 0.5 else int(rng.integers(1, 40000))
    coords = []
    for n in read_lengths:
        coords.append((pos, pos + int(n)))
        pos += int(n) + model.adapter_length + int(rng.integers(-3, 10))
    return coords

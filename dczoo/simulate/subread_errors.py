"""A PacBio CLR-like error model: turns one pass over a molecule into a subread.

Errors follow what the real human_1m subreads show (see docs/simulator.md):
insertions are the most common error and come in two kinds, extra copies of the
next base to be incorporated ("branching", which lengthens a homopolymer) and
random extra bases; a small share of insertions is long (6 to 50 bp); deletions
are mostly single bases and more likely inside homopolymers; substitutions are
rarer. Every rate is multiplied by a per-ZMW quality factor.

Besides these independent errors, a molecule carries a few *systematic* sites:
homopolymers whose length the polymerase misreads in a large share of the passes
of one or both strands. They are why real drafts keep errors at high pass
counts, and they are the errors a correction model has to learn.

Bases are uint8 ASCII codes (b"ACGT") throughout.
"""

import dataclasses

import numpy as np

STATE_MATCH = 0
STATE_MISMATCH = 1
STATE_INSERTION = 2

_ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclasses.dataclass
class SubreadErrorModel:
    """Rates of the subread error model (all per template base unless stated).

    Attributes:
        insertion_rate: insertion events before a template base.
        branch_share: share of insertion events that copy the next template base.
        insertion_extend: probability that a short insertion grows by one more base.
        medium_insertion_share: share of insertion events of 3 to 5 bp.
        long_insertion_share: share of insertion events that are long.
        long_insertion_mean: mean extra length of a long insertion (beyond 5 bp).
        deletion_rate: deletion events at a base outside homopolymers.
        deletion_homopolymer_factor: deletion rate multiplier inside runs of >= 2.
        deletion_extend: probability that a deletion grows by one more base.
        substitution_rate: substitutions per kept template base.
        zmw_quality_sd: sd of the log of the per-ZMW error multiplier.
        systematic_sites_per_kb: homopolymers (>= `systematic_min_run`) per kb of
            molecule whose length is misread in many passes.
        systematic_min_run: shortest run that can be a systematic site.
        systematic_strength: (low, high) range of the per-strand probability that
            a pass shows the systematic error.
        confident_sites_per_kb: sites per kb misread by most passes of both strands.
        confident_strength: (low, high) per-strand probability at those sites.
        systematic_deletion_share: share of sites where passes drop a base of the
            run (the others add one; real high-pass drafts err mostly by an
            extra homopolymer base).
    """

    insertion_rate: float = 0.046
    branch_share: float = 0.28
    insertion_extend: float = 0.20
    medium_insertion_share: float = 0.01
    long_insertion_share: float = 0.019
    long_insertion_mean: float = 10.0
    deletion_rate: float = 0.027
    deletion_homopolymer_factor: float = 1.7
    deletion_extend: float = 0.075
    substitution_rate: float = 0.021
    zmw_quality_sd: float = 0.22
    systematic_sites_per_kb: float = 1.5
    systematic_min_run: int = 3
    systematic_strength: tuple = (0.1, 0.5)
    confident_sites_per_kb: float = 0.6
    confident_strength: tuple = (0.85, 1.0)
    systematic_deletion_share: float = 0.35

    def validate(self):
        """Raises DczooInputError when a rate is outside [0, 1)."""
        from dczoo.errors import DczooInputError

        for name in ("insertion_rate", "branch_share", "insertion_extend", "medium_insertion_share",
                     "long_insertion_share",
                     "deletion_rate", "deletion_extend", "substitution_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise DczooInputError(f"subread error model: {name}={value} must be in [0, 1)")
        if self.deletion_rate * self.deletion_homopolymer_factor >= 1.0:
            raise DczooInputError("subread error model: deletion_rate * deletion_homopolymer_factor must be < 1")


@dataclasses.dataclass
class SystematicSites:
    """Systematic homopolymer-length errors of one molecule (top-strand coordinates).

    Attributes:
        position: int array, first base of each affected run.
        is_deletion: bool array, True: a base of the run is dropped, False: one is added.
        strength: float array (n, 2), probability per pass for the top and bottom strand.
    """

    position: np.ndarray
    is_deletion: np.ndarray
    strength: np.ndarray


def run_lengths(seq):
    """Homopolymer run length at each position of a uint8 sequence.

    Args:
        seq: uint8 array.

    Returns:
        int64 array of the same length, e.g. b"AACGGG" -> [2, 2, 1, 3, 3, 3].
    """
    if seq.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(seq[1:] != seq[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [seq.size]]))
    return np.repeat(lengths, lengths)


def sample_systematic_sites(molecule, model, rng):
    """Picks the systematic error sites of a molecule.

    Most sites are misread in a share of the passes of mainly one strand (a
    consensus usually gets them right, with a lower quality); a few
    (`confident_sites_per_kb`) are misread by most passes of both strands, so
    the draft is confidently wrong there, as real drafts sometimes are.

    Args:
        molecule: uint8 array, the top strand of the insert.
        model: SubreadErrorModel.
        rng: numpy Generator.

    Returns:
        SystematicSites.
    """
    rl = run_lengths(molecule)
    starts = np.flatnonzero(np.concatenate([[True], molecule[1:] != molecule[:-1]]))
    long_runs = starts[rl[starts] >= model.systematic_min_run]
    kb = molecule.size / 1000.0
    n_regular = rng.poisson(model.systematic_sites_per_kb * kb)
    n_confident = rng.poisson(model.confident_sites_per_kb * kb)
    n_total = min(long_runs.size, n_regular + n_confident)
    chosen = rng.choice(long_runs, size=n_total, replace=False) if n_total else long_runs[:0]
    n_confident = min(n_confident, n_total)
    lo, hi = model.systematic_strength
    strength = rng.uniform(lo, hi, size=(n_total, 2))
    # regular sites are strongly strand-specific
    weak = rng.integers(0, 2, size=n_total)
    strength[np.arange(n_total), weak] *= rng.uniform(0.0, 0.5, size=n_total)
    clo, chi = model.confident_strength
    strength[:n_confident] = rng.uniform(clo, chi, size=(n_confident, 2))
    order = np.argsort(chosen)
    is_deletion = rng.random(n_total) < model.systematic_deletion_share
    return SystematicSites(chosen[order], is_deletion[order], strength[order])


def _pass_template(molecule, sites, reverse, rng):
    """Applies the systematic sites to one pass.

    Returns:
        (template, extra, source): the strand as read, the extra-base flags, and
        per template base its top-strand position in `molecule`.
    """
    strand = 1 if reverse else 0
    hit = rng.random(sites.position.size) < sites.strength[:, strand]
    repeat = np.ones(molecule.size, dtype=np.int64)
    repeat[sites.position[hit & sites.is_deletion]] = 0
    repeat[sites.position[hit & ~sites.is_deletion]] = 2
    template = np.repeat(molecule, repeat)
    source = np.repeat(np.arange(molecule.size), repeat)
    extra = np.zeros(template.size, dtype=bool)
    doubled = np.flatnonzero(repeat == 2)
    if doubled.size:
        extra[np.cumsum(repeat)[doubled] - 1] = True
    if reverse:
        template = reverse_complement(template)
        extra = extra[::-1]
        source = source[::-1]
    return template, extra, source


def reverse_complement(seq):
    """Reverse complement of a uint8 ACGT sequence (other bytes map to N)."""
    table = np.full(256, ord("N"), dtype=np.uint8)
    table[_ACGT] = np.frombuffer(b"TGCA", dtype=np.uint8)
    return table[seq[::-1]]


def _geometric_extra(rng, p_continue, size):
    """Number of extra units when each continues with probability p (0, 1, 2, ...)."""
    if p_continue <= 0:
        return np.zeros(size, dtype=np.int64)
    return rng.geometric(1.0 - p_continue, size=size) - 1


def apply_errors(template, model, rng, scale=1.0, extra=None, return_origin=False):
    """Sequences one pass: applies CLR-like errors to a template.

    Args:
        template: uint8 array, the strand as the polymerase reads it.
        model: SubreadErrorModel.
        rng: numpy Generator.
        scale: float. Per-ZMW multiplier of every error rate.
        extra: optional bool array; template bases flagged True are systematic
            extra bases, reported as insertions.
        return_origin: bool. Also return, per read base, the template index it
            comes from (an inserted base: the template base it was inserted
            before, the last one after the end) and the number of template
            bases deleted just before it (0 for inserted bases and the first
            base). Draws no random numbers.

    Returns:
        (read, state): uint8 array of read bases and int8 array of the same
        length with STATE_MATCH, STATE_MISMATCH or STATE_INSERTION per base;
        with `return_origin`, (read, state, origin, deleted_before).

    Example:
    >>> rng = np.random.default_rng(0)
    >>> read, state = apply_errors(np.frombuffer(b"ACGT" * 50, np.uint8), SubreadErrorModel(), rng)
    >>> read.size == state.size
    True
    """
    n = template.size
    rl = run_lengths(template)
    p_del = model.deletion_rate * scale * np.where(rl >= 2, model.deletion_homopolymer_factor, 1.0)
    starts = np.flatnonzero(rng.random(n) < np.minimum(p_del, 0.9))
    keep = np.ones(n, dtype=bool)
    if starts.size:
        lengths = 1 + _geometric_extra(rng, model.deletion_extend, starts.size)
        keep[starts] = False
        for s, length in zip(starts[lengths > 1], lengths[lengths > 1]):
            keep[s:s + length] = False
    bases = template.copy()
    substituted = (rng.random(n) < min(model.substitution_rate * scale, 0.9)) & keep
    n_sub = int(substituted.sum())
    if n_sub:
        shift = rng.integers(1, 4, size=n_sub)
        idx = np.searchsorted(_ACGT, bases[substituted]).clip(0, 3)
        bases[substituted] = _ACGT[(idx + shift) % 4]
    # insertion events before each template base, and one slot after the last
    events = rng.random(n + 1) < min(model.insertion_rate * scale, 0.9)
    ev_pos = np.flatnonzero(events)
    is_long = rng.random(ev_pos.size) < model.long_insertion_share
    ins_len = 1 + _geometric_extra(rng, model.insertion_extend, ev_pos.size)
    n_long = int(is_long.sum())
    if n_long:
        ins_len[is_long] = 6 + np.minimum(rng.geometric(1.0 / model.long_insertion_mean, size=n_long) - 1, 44)
    is_medium = ~is_long & (rng.random(ev_pos.size) < model.medium_insertion_share)
    ins_len[is_medium] = rng.integers(3, 6, size=int(is_medium.sum()))
    branch = (rng.random(ev_pos.size) < model.branch_share) & (ev_pos < n) & ~is_long
    slot_len = np.zeros(n + 1, dtype=np.int64)
    slot_len[ev_pos] = ins_len
    # output layout: for each i, slot_len[i] inserted bases, then base i if kept
    per_pos = slot_len[:n] + keep
    total = int(per_pos.sum() + slot_len[n])
    read = np.empty(total, dtype=np.uint8)
    state = np.full(total, STATE_INSERTION, dtype=np.int8)
    base_at = np.cumsum(per_pos) - 1
    kept = np.flatnonzero(keep)
    read[base_at[kept]] = bases[kept]
    st = np.where(substituted[kept], STATE_MISMATCH, STATE_MATCH).astype(np.int8)
    if extra is not None:
        st[extra[kept]] = STATE_INSERTION
    state[base_at[kept]] = st
    is_inserted = np.ones(total, dtype=bool)
    is_inserted[base_at[kept]] = False
    ins_slots = np.flatnonzero(is_inserted)
    owner_event = np.repeat(np.arange(ev_pos.size), ins_len)
    random_bases = _ACGT[rng.integers(0, 4, size=ins_slots.size)]
    owner_pos = np.minimum(ev_pos[owner_event], max(n - 1, 0))
    read[ins_slots] = np.where(branch[owner_event], template[owner_pos], random_bases) if n else random_bases
    if not return_origin:
        return read, state
    origin = np.empty(total, dtype=np.int64)
    origin[base_at[kept]] = kept
    origin[ins_slots] = owner_pos
    deleted_before = np.zeros(total, dtype=np.int64)
    if kept.size:
        gaps = np.diff(kept, prepend=-1) - 1
        gaps[0] = 0
        deleted_before[base_at[kept]] = gaps
    return read, state, origin, deleted_before


@dataclasses.dataclass
class PassLayout:
    """Where the bases of one sequenced pass come from.

    Attributes:
        position: int array, per read base the top-strand position in the
            molecule (an inserted base: the position it was inserted before).
        deleted_before: int array, per read base the number of template bases
            deleted just before it in sequencing order (0 for inserted bases).
    """

    position: np.ndarray
    deleted_before: np.ndarray


def sequence_pass(molecule, sites, reverse, model, rng, scale=1.0, span=None, return_origin=False):
    """One full pass over a strand of a molecule, with systematic and random errors.

    Args:
        molecule: uint8 array, top strand of the insert.
        sites: SystematicSites of the molecule.
        reverse: bool. Whether the pass reads the bottom strand.
        model: SubreadErrorModel.
        rng: numpy Generator.
        scale: float. Per-ZMW error multiplier.
        span: optional (start, end) in the pass's native orientation, for a
            partial pass (the polymerase started or stopped inside the strand).
        return_origin: bool. Also return a `PassLayout` of the read (draws no
            random numbers).

    Returns:
        (read, state) as `apply_errors`, in the pass's own (native) orientation;
        with `return_origin`, (read, state, layout).
    """
    template, extra, source = _pass_template(molecule, sites, reverse, rng)
    if span is not None:
        start, end = max(0, span[0]), min(template.size, span[1])
        template, extra, source = template[start:end], extra[start:end], source[start:end]
    out = apply_errors(template, model, rng, scale=scale, extra=extra, return_origin=return_origin)
    if not return_origin:
        return out
    read, state, origin, deleted_before = out
    position = source[origin] if source.size else origin
    return read, state, PassLayout(position=position, deleted_before=deleted_before)

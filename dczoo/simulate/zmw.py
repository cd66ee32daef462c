"""Simulation of one ZMW: molecule -> subreads with kinetics -> draft -> alignments -> truth.

`simulate_zmw` is a pure function of the configuration, the reference and the
ZMW's index: its random numbers come from `numpy.random.default_rng([seed,
index])`, so the output does not depend on how ZMWs are spread over processes.
"""

import dataclasses

import numpy as np

from dczoo.simulate import draft_consensus, kinetics, molecule, randomization, subread_errors
from dczoo.simulate.alignment import align_to_draft, cigar_column_counts

MIN_POLISHED_PASSES = 3
# random stream of the per-position kinetics factors and deletion traces: drawn
# apart, so that the ZMW's other draws are the same with and without them
_LAYOUT_KINETICS_STREAM = 0x4B1E


@dataclasses.dataclass
class SimulatedSubread:
    """A subread ready for `subreads_to_ccs.bam`.

    Attributes:
        qs, qe: polymerase coordinates.
        sequence: str in draft orientation (the BAM SEQ).
        is_reverse: bool, the BAM reverse flag.
        pw, ip: uint8 arrays in native (sequencing) orientation.
        cx: int adapter flags.
        reference_start: int, draft position of the alignment.
        cigartuples: list of (op, length).
    """

    qs: int
    qe: int
    sequence: str
    is_reverse: bool
    pw: np.ndarray
    ip: np.ndarray
    cx: int
    reference_start: int
    cigartuples: list


@dataclasses.dataclass
class SimulatedZmw:
    """Everything written for one ZMW.

    Attributes:
        index: int, position in the output.
        hole: int, the ZMW hole number (`zm`).
        n_full_passes: int (`np`).
        draft: str.
        draft_qualities: uint8 array.
        draft_tags: dict with np, rq and, when polished, ec.
        sn: float32 array of 4.
        subreads: list of SimulatedSubread in sequencing order.
        truth: str, the true insert bases the draft covers, in draft orientation.
        truth_start: int, draft position of the truth alignment.
        truth_cigartuples: list of (op, length).
        truth_identity: float, = / (= + X + I + D) of the truth alignment.
        contig, begin, end, strand: truth.bed fields.
        split: "train", "eval" or "test".
        chrom: chromosome-like name of the contig.
    """

    index: int
    hole: int
    n_full_passes: int
    draft: str
    draft_qualities: np.ndarray
    draft_tags: dict
    sn: np.ndarray
    subreads: list
    truth: str
    truth_start: int
    truth_cigartuples: list
    truth_identity: float
    contig: str
    begin: int
    end: int
    strand: str
    split: str
    chrom: str


def _to_str(seq):
    return seq.tobytes().decode()


def simulate_zmw(index, hole, config, contigs, sequences):
    """Simulates one ZMW.

    Args:
        index: int. ZMW index; with `config.seed` it fixes every random draw.
        hole: int. ZMW hole number to record.
        config: SimulationConfig.
        contigs: list of Contig to sample inserts from.
        sequences: dict record -> uint8 array.

    Returns:
        SimulatedZmw.
    """
    config = randomization.zmw_config(config, index)
    rng = np.random.default_rng([int(config.seed), int(index)])
    insert = molecule.sample_insert(contigs, sequences, config.molecule, rng)
    n_full = molecule.sample_full_passes(config.molecule, rng)
    plans = molecule.plan_subreads(n_full, insert.sequence.size, config.molecule, rng)
    quality_z = float(rng.standard_normal())
    scale = float(np.exp(config.errors.zmw_quality_sd * quality_z))
    zmw_kinetics = kinetics.sample_zmw_kinetics(config.kinetics, rng, quality_z)
    sites = subread_errors.sample_systematic_sites(insert.sequence, config.errors, rng)
    polished = n_full >= MIN_POLISHED_PASSES
    if polished:
        draft_bottom = bool(rng.random() < 0.5)
        representative = None
    else:
        # `ccs --all` keeps one subread as the draft: the first full pass, else the longest
        full = [i for i, p in enumerate(plans) if p.full]
        representative = full[0] if full else None
    kin_rng = effects = None
    if config.kinetics.needs_layout:
        kin_rng = np.random.default_rng([int(config.seed), int(index), _LAYOUT_KINETICS_STREAM])
        if config.kinetics.has_position_effects:
            effects = kinetics.sample_position_effects(config.kinetics, insert.sequence.size, kin_rng)
    reads = []
    for plan in plans:
        # the layout draws no random numbers, so the default model's draws are unchanged
        read, state, layout = subread_errors.sequence_pass(
            insert.sequence, sites, plan.bottom, config.errors, rng, scale=scale, span=plan.span,
            return_origin=True)
        strand = int(plan.bottom)
        position = None if effects is None else (effects[0][strand, layout.position],
                                                 effects[1][strand, layout.position])
        pw, ip = kinetics.sample_kinetics(read, state, config.kinetics, zmw_kinetics, rng, position=position,
                                          deleted_before=layout.deleted_before, trace_rng=kin_rng)
        reads.append((read, pw, ip))
    if not polished:
        if representative is None:
            representative = int(np.argmax([r[0].size for r in reads]))
        draft_bottom = plans[representative].bottom
    oriented = []
    for plan, (read, _, _) in zip(plans, reads):
        flip = plan.bottom != draft_bottom
        oriented.append(_to_str(subread_errors.reverse_complement(read) if flip else read))
    if polished:
        full_passes = [s for s, p in zip(oriented, plans) if p.full]
        draft, quals, pileup = draft_consensus.consensus_draft(
            full_passes, oriented, polish_rounds=config.polish_rounds, max_poa_passes=config.max_poa_passes,
            max_poa_length=config.max_poa_length)
        alignments = pileup.alignments
        tags = draft_consensus.draft_tags(quals, n_full, pileup, polished=True)
        truth_span = (0, insert.sequence.size)
    else:
        draft = oriented[representative]
        quals = np.full(len(draft), draft_consensus.UNPOLISHED_QUALITY, dtype=np.uint8)
        alignments = [align_to_draft(s, draft) for s in oriented]
        tags = draft_consensus.draft_tags(quals, n_full, polished=False)
        truth_span = plans[representative].span
    truth = _to_str(insert.strand(draft_bottom)[truth_span[0]:truth_span[1]])
    truth_aln = align_to_draft(truth, draft, mode="infix")
    counts = cigar_column_counts(truth_aln.cigartuples)
    begin, end, strand = insert.interval(draft_bottom, *truth_span)
    coords = molecule.polymerase_coordinates([r[0].size for r in reads], config.molecule, rng)
    subreads = [
        SimulatedSubread(qs, qe, seq, plan.bottom != draft_bottom, pw, ip, plan.cx,
                         aln.reference_start, aln.cigartuples)
        for (qs, qe), seq, plan, (_, pw, ip), aln in zip(coords, oriented, plans, reads, alignments)
    ]
    return SimulatedZmw(
        index=index, hole=hole, n_full_passes=n_full, draft=draft, draft_qualities=quals,
        draft_tags=tags, sn=zmw_kinetics.sn, subreads=subreads, truth=truth,
        truth_start=truth_aln.reference_start, truth_cigartuples=truth_aln.cigartuples,
        truth_identity=counts["match"] / max(1, sum(counts.values())),
        contig=insert.contig.name, begin=begin, end=end, strand=strand,
        split=insert.contig.split, chrom=insert.contig.chrom,
    )

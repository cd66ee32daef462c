"""Draft (CCS-like) reads computed from subreads, never from the truth.

`consensus_draft` runs partial-order alignment (abPOA through pyabpoa) on up to
`max_poa_passes` full-pass subreads, then polishes the POA consensus: every
subread, full or partial, is aligned to the current draft with edlib; one
majority vote of this pileup fixes the obvious errors, and mutation scoring
(`dczoo.simulate.local_polish`) re-decides the contested positions. Per-base
qualities come from the final pileup (how many subreads agree minus how many
disagree, lower in homopolymers), so, as in real `ccs` output, they are high
where passes agree and low at contested homopolymers. `draft_tags` gives the
`rq`, `np` and `ec` tags.

Low-pass ZMWs follow `ccs --all`: with fewer than 3 full passes the draft is one
subread as sequenced, every quality is 10 and `rq` is -1 (see `dczoo.simulate.zmw`).
"""

import numpy as np
import pyabpoa

from dczoo.simulate.alignment import OP_DEL, OP_DIFF, OP_EQUAL, OP_INS, align_to_draft
from dczoo.simulate.local_polish import mutation_polish
from dczoo.simulate.subread_errors import run_lengths

UNPOLISHED_QUALITY = 10
MAX_QUALITY = 93
_ROW = np.full(256, 0, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _ROW[_b] = _i
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


class Pileup:
    """Votes of aligned subreads over a draft.

    Attributes:
        base_votes: int array (5, L): reads showing A, C, G, T or a deletion at each draft base.
        insertion_votes: int array (4, L + 1): reads inserting bases before each
            draft base (and at the end), by the first inserted base.
        coverage: int array (L,): reads spanning each draft base.
        alignments: list of Alignment, one per subread.
    """

    def __init__(self, draft, reads):
        self.length = len(draft)
        self.base_votes = np.zeros((5, self.length), dtype=np.int64)
        self.insertion_votes = np.zeros((4, self.length + 1), dtype=np.int64)
        self.coverage = np.zeros(self.length, dtype=np.int64)
        self.alignments = []
        self.reads = list(reads)
        self._slot_starts = []
        for read in self.reads:
            aln = align_to_draft(read, draft, mode="infix")
            self.alignments.append(aln)
            self._add(read, aln)

    @property
    def insertion_reads(self):
        """int array (L + 1,): reads with any insertion before each draft base."""
        return self.insertion_votes.sum(axis=0)

    def _add(self, read, aln):
        length = self.length
        ops = np.array([op for op, _ in aln.cigartuples], dtype=np.int64)
        lens = np.array([n for _, n in aln.cigartuples], dtype=np.int64)
        col_op = np.repeat(ops, lens)
        q_adv = (col_op == OP_EQUAL) | (col_op == OP_DIFF) | (col_op == OP_INS)
        r_adv = (col_op == OP_EQUAL) | (col_op == OP_DIFF) | (col_op == OP_DEL)
        qidx = np.cumsum(q_adv) - q_adv
        ridx = aln.reference_start + np.cumsum(r_adv) - r_adv
        rows = _ROW[np.frombuffer(read.encode(), dtype=np.uint8)]
        aligned = (col_op == OP_EQUAL) | (col_op == OP_DIFF)
        flat = np.concatenate([rows[qidx[aligned]] * length + ridx[aligned],
                               4 * length + ridx[col_op == OP_DEL]])
        self.base_votes += np.bincount(flat, minlength=5 * length).reshape(5, length)
        # one vote per insertion event, at its first column
        first = np.flatnonzero((col_op == OP_INS) & np.concatenate([[True], col_op[:-1] != OP_INS]))
        if first.size:
            slot = rows[qidx[first]] * (length + 1) + ridx[first]
            self.insertion_votes += np.bincount(slot, minlength=4 * (length + 1)).reshape(4, length + 1)
        self.coverage[aln.reference_start:aln.reference_end] += 1
        # query offset at the start of each draft slot (insertions before base r, then base r)
        first_col = np.searchsorted(ridx, np.arange(aln.reference_start, aln.reference_end + 1))
        qidx_end = np.concatenate([qidx, [len(read)]])
        self._slot_starts.append(qidx_end[np.minimum(first_col, qidx.size)])

    def read_windows(self, lo, hi):
        """The part of every read spanning draft[lo:hi] that aligns there.

        Args:
            lo, hi: int draft positions, lo < hi.

        Returns:
            list of str (reads that do not span the window are left out).
        """
        out = []
        for read, aln, starts in zip(self.reads, self.alignments, self._slot_starts):
            if aln.reference_start <= lo and hi <= aln.reference_end:
                a = starts[lo - aln.reference_start]
                b = starts[hi - aln.reference_start] if hi < aln.reference_end else len(read)
                out.append(read[a:b])
        return out


def _slot_coverage(coverage):
    """Reads spanning each gap between draft bases (L + 1 slots)."""
    left = np.concatenate([[0], coverage])
    right = np.concatenate([coverage, [0]])
    return np.minimum(left, right)


def polish_once(draft, pileup):
    """Majority-vote polish of a draft from its pileup.

    A draft base becomes the base (or the deletion) most subreads show; a base
    is added before a draft base when most subreads spanning that gap insert
    something there.

    Args:
        draft: str.
        pileup: Pileup of the subreads over `draft`.

    Returns:
        (new_draft, changed): str and the number of edits made.
    """
    length = len(draft)
    idx = np.arange(length)
    current = _ROW[np.frombuffer(draft.encode(), dtype=np.uint8)]
    winner = np.argmax(pileup.base_votes, axis=0)
    # keep the current base on ties and where nothing covers it
    better = pileup.base_votes[winner, idx] > pileup.base_votes[current, idx]
    winner = np.where((pileup.coverage > 0) & better, winner, current)
    ins_votes = pileup.insertion_votes
    add = ins_votes.sum(axis=0) * 2 > np.maximum(_slot_coverage(pileup.coverage), 1)
    keep = winner != 4
    changed = int(add.sum() + (winner != current).sum())
    per_pos = add[:length].astype(np.int64) + keep
    total = int(per_pos.sum() + add[length])
    out = np.empty(total, dtype=np.uint8)
    base_at = np.cumsum(per_pos) - 1
    out[base_at[keep]] = _BASES[winner[keep]]
    slots = np.flatnonzero(add)
    if slots.size:
        block_start = np.concatenate([np.cumsum(per_pos) - per_pos, [total - 1]])
        out[block_start[slots]] = _BASES[np.argmax(ins_votes[:, slots], axis=0)]
    return out.tobytes().decode(), changed


def base_qualities(draft, pileup, per_vote=8.5, offset=10.0, homopolymer_penalty=6.0):
    """Phred qualities of each draft base from the pileup.

    A base's quality grows by `per_vote` for every subread that shows it and
    falls by as much for every subread that shows another base or a deletion,
    and by half as much for an insertion next to it. Bases in homopolymers,
    where length errors concentrate, lose `homopolymer_penalty` per extra base
    of the run (at most 5), as real `ccs` qualities are lower there; neither
    the offset nor this penalty takes a base that a clear majority supports
    below Q10.

    Args:
        draft: str.
        pileup: Pileup over `draft`.
        per_vote: float. Phred points per agreeing subread.
        offset: float. Subtracted from every quality.
        homopolymer_penalty: float. Phred points per extra base of the run.

    Returns:
        uint8 array of qualities in [0, 93].
    """
    idx = np.arange(len(draft))
    seq = np.frombuffer(draft.encode(), dtype=np.uint8)
    current = _ROW[seq]
    support = pileup.base_votes[current, idx]
    against = pileup.coverage - support
    ins = pileup.insertion_reads
    near = np.maximum(ins[:-1], ins[1:])
    run = run_lengths(seq) if seq.size else np.zeros(0, dtype=np.int64)
    votes = per_vote * (support - against - 0.5 * near)
    q = votes - offset - homopolymer_penalty * np.minimum(run - 1, 5)
    # the offset and the homopolymer penalty never take a base that a clear
    # majority supports below Q10: real drafts keep Q < 10 for contested bases
    q = np.maximum(q, np.minimum(votes - 2.0, 10.0))
    return np.clip(np.round(q), 0, MAX_QUALITY).astype(np.uint8)


# abPOA reserves memory for a whole (graph nodes x read length) matrix, of which
# its adaptive band touches little: 8 GB of address space for 16 kb passes,
# 16 GB for 22 kb, 34 GB for 29 kb, which the kernel of a 24 GB machine refuses
# (the worker dies). Longer passes go through the POA in pieces (`_poa`).
MAX_POA_LENGTH = 25_000
POA_PIECE = 10_000


def _poa_block(seqs):
    aligner = pyabpoa.msa_aligner(aln_mode="g")
    result = aligner.msa(seqs, out_cons=True, out_msa=False)
    return result.cons_seq[0] if result.cons_seq else max(seqs, key=len)


def query_positions(alignment, positions):
    """Query positions aligned to the given reference positions.

    Args:
        alignment: Alignment of a query to a reference (global).
        positions: sorted ints, reference positions.

    Returns:
        list of int: for each position, how many query bases the alignment
        consumes before it reaches that reference base.

    Example:
    >>> from dczoo.simulate.alignment import align_to_draft
    >>> query_positions(align_to_draft("ACGTTACG", "ACGTACG", mode="global"), [4])
    [5]
    """
    out, ref, query, k = [], alignment.reference_start, 0, 0
    positions = list(positions)
    for op, n in alignment.cigartuples:
        on_ref, on_query = op in (OP_EQUAL, OP_DIFF, OP_DEL), op in (OP_EQUAL, OP_DIFF, OP_INS)
        while k < len(positions) and on_ref and positions[k] < ref + n:
            out.append(query + max(positions[k] - ref, 0) * on_query)
            k += 1
        ref += n * on_ref
        query += n * on_query
    return out + [query] * (len(positions) - k)


def _poa(full_passes, max_poa_passes, max_length=MAX_POA_LENGTH, piece=POA_PIECE):
    """POA consensus of the full passes of median length.

    Passes longer than `max_length` are cut into pieces of about `piece` bases
    (at most half of `max_length`): the median pass evenly, the others where
    they align to its cuts, and the consensus of each piece is joined
    (polishing then sees the whole draft).
    """
    seqs = sorted(full_passes, key=len)
    if len(seqs) > max_poa_passes:  # keep the passes of median length
        drop = len(seqs) - max_poa_passes
        seqs = seqs[drop // 2: drop // 2 + max_poa_passes]
    if max(len(s) for s in seqs) <= max_length:
        return _poa_block(seqs)
    guide = seqs[len(seqs) // 2]
    pieces = -(-len(guide) // min(piece, max(max_length // 2, 1)))
    cuts = [round(k * len(guide) / pieces) for k in range(1, pieces)]
    bounds = []
    for seq in seqs:
        if seq is guide:
            at = cuts
        else:
            at = query_positions(align_to_draft(seq, guide, mode="global", left_align=False), cuts)
        bounds.append([0, *at, len(seq)])
    parts = []
    for k in range(pieces):
        block = [seq[b[k]:b[k + 1]] for seq, b in zip(seqs, bounds)]
        block = [s for s in block if s]
        parts.append(_poa_block(block) if block else "")
    return "".join(parts)


def consensus_draft(full_passes, all_subreads, polish_rounds=2, max_poa_passes=5, majority_pass=True,
                    max_poa_length=MAX_POA_LENGTH):
    """Draft sequence and qualities from the subreads of one ZMW.

    Args:
        full_passes: list of str, the full-pass subreads in draft orientation.
        all_subreads: list of str, every subread (full and partial) in draft orientation.
        polish_rounds: int. Mutation-scoring rounds after POA and one
            majority-vote pass (see `dczoo.simulate.local_polish`).
        max_poa_passes: int. At most this many full passes go into the POA.
        max_poa_length: int. Longer passes go through the POA in pieces of
            about 10 kb (abPOA's memory grows with the square of the length).
        majority_pass: bool. Run one majority-vote polish before mutation scoring.

    Returns:
        (draft, qualities, pileup): str, uint8 array, and the Pileup of
        `all_subreads` over the final draft (its alignments are reused for the BAM).

    Example:
    >>> draft, quals, pileup = consensus_draft(["ACGTACGTAC"] * 3, ["ACGTACGTAC"] * 3)
    >>> draft
    'ACGTACGTAC'
    """
    draft = _poa(full_passes, max_poa_passes, max_length=max_poa_length)
    pileup = Pileup(draft, all_subreads)
    new_draft, changed = polish_once(draft, pileup) if majority_pass else (draft, 0)
    if changed and new_draft:
        draft = new_draft
        pileup = Pileup(draft, all_subreads)
    for _ in range(polish_rounds):
        new_draft, changed = mutation_polish(draft, pileup)
        if not changed or not new_draft:
            break
        draft = new_draft
        pileup = Pileup(draft, all_subreads)
    return draft, base_qualities(draft, pileup), pileup


def draft_tags(qualities, n_full_passes, pileup=None, polished=True):
    """The `np`, `rq` and `ec` tags of a draft.

    Args:
        qualities: uint8 array of the draft's base qualities.
        n_full_passes: int.
        pileup: Pileup, for `ec` (aligned subread bases per draft base).
        polished: bool. False for `ccs --all` single-subread drafts (rq = -1, no ec).

    Returns:
        dict with "np", "rq" and, for polished drafts, "ec".
    """
    tags = {"np": int(n_full_passes)}
    if not polished:
        tags["rq"] = -1.0
        return tags
    q = np.asarray(qualities, dtype=np.float64)
    tags["rq"] = float(1.0 - np.mean(10.0 ** (-q / 10.0))) if q.size else 0.0
    if pileup is not None and q.size:
        tags["ec"] = float(pileup.coverage.sum() / q.size)
    return tags

"""Pairwise alignment of a read to a draft, as =/X/I/D CIGARs.

The simulator aligns every subread, and the truth, to its draft with edlib
(unit-cost edit distance, exact and fast). The draft is the reference; the read
is the query. Ops use pysam's codes: `=` 7, `X` 8, `I` 1, `D` 2.
"""

import dataclasses

import edlib
import numpy as np

from dczoo.errors import DczooInputError

OP_INS = 1
OP_DEL = 2
OP_SOFT_CLIP = 4
OP_EQUAL = 7
OP_DIFF = 8

_EDLIB_OPS = {"=": OP_EQUAL, "X": OP_DIFF, "I": OP_INS, "D": OP_DEL}
_QUERY_OPS = (OP_EQUAL, OP_DIFF, OP_INS, OP_SOFT_CLIP)
_REF_OPS = (OP_EQUAL, OP_DIFF, OP_DEL)


@dataclasses.dataclass
class Alignment:
    """A query aligned to a reference (the draft).

    Attributes:
        reference_start: int. 0-based draft position of the first aligned column.
        cigartuples: list of (op, length) with pysam op codes (=, X, I, D).
        edit_distance: int. Number of X, I and D columns.
        reference_end: int. Draft position one past the last aligned draft base.
        query_length: int. Number of query bases the CIGAR consumes.
    """

    reference_start: int
    cigartuples: list
    edit_distance: int
    reference_end: int = dataclasses.field(init=False)
    query_length: int = dataclasses.field(init=False)

    def __post_init__(self):
        self.reference_end = self.reference_start + sum(n for op, n in self.cigartuples if op in _REF_OPS)
        self.query_length = sum(n for op, n in self.cigartuples if op in _QUERY_OPS)


_OP_OF_CHAR = np.zeros(256, dtype=np.int64)
for _char, _code in _EDLIB_OPS.items():
    _OP_OF_CHAR[ord(_char)] = _code


def parse_edlib_cigar(cigar):
    """Turns edlib's extended CIGAR string into pysam tuples.

    Args:
        cigar: str such as "5=1I3=1D1=".

    Returns:
        list of (op, length) tuples.

    Example:
    >>> parse_edlib_cigar("5=1I3=1D1=")
    [(7, 5), (1, 1), (7, 3), (2, 1), (7, 1)]
    """
    ops, lens = _cigar_arrays(cigar)
    return list(zip(ops.tolist(), lens.tolist()))


def _cigar_arrays(cigar):
    chars = np.frombuffer(cigar.encode(), dtype=np.uint8)
    is_op = chars > 57  # not a digit
    op_at = np.flatnonzero(is_op)
    if op_at.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    digit_at = np.flatnonzero(~is_op)
    segment = np.searchsorted(op_at, digit_at)  # which op each digit belongs to
    power = op_at[segment] - digit_at - 1
    values = (chars[digit_at].astype(np.int64) - 48) * (10 ** power)
    lens = np.bincount(segment, weights=values, minlength=op_at.size).astype(np.int64)
    return _OP_OF_CHAR[chars[op_at]], lens


def left_align_indels(cigartuples, query, draft, reference_start):
    """Moves every insertion and deletion as far left as its repeat allows.

    Real subread-to-CCS alignments place an indel inside a homopolymer (or any
    repeat) at its leftmost position; edlib does not always. An indel moves
    left across the `=` columns just before it while the base leaving its
    right end equals the base entering at its left, which keeps every column's
    match status. (An indel right after another indel's shifted bases may stop
    a little early; the alignment stays valid.)

    Args:
        cigartuples: list of (op, length) pysam tuples (=, X, I, D).
        query: str, the aligned read.
        draft: str, the reference.
        reference_start: int, draft position of the first column.

    Returns:
        list of (op, length) tuples, adjacent equal ops merged.

    Example:
    >>> left_align_indels([(7, 3), (2, 1), (7, 2)], "AAACG", "AAAACG", 0)
    [(2, 1), (7, 5)]
    """
    if not cigartuples:
        return []
    ops = np.array([op for op, _ in cigartuples], dtype=np.int64)
    lens = np.array([n for _, n in cigartuples], dtype=np.int64)
    return _left_align_arrays(ops, lens, query, draft, reference_start)


def _left_align_arrays(ops, lens, query, draft, reference_start, max_passes=3):
    """Left-aligns (ops, lens) arrays; returns pysam tuples."""
    for _ in range(max_passes):
        ops, lens, moved = _left_align_pass(ops, lens, query, draft, reference_start)
        if not moved:
            break
    return list(zip(ops.tolist(), lens.tolist()))


def _left_align_pass(ops, lens, query, draft, reference_start):
    q_len = np.where((ops == OP_EQUAL) | (ops == OP_DIFF) | (ops == OP_INS), lens, 0)
    r_len = np.where((ops == OP_EQUAL) | (ops == OP_DIFF) | (ops == OP_DEL), lens, 0)
    q_at = np.cumsum(q_len) - q_len
    r_at = reference_start + np.cumsum(r_len) - r_len
    k = np.flatnonzero(((ops == OP_INS) | (ops == OP_DEL))[1:] & (ops[:-1] == OP_EQUAL)) + 1
    moved_any = False
    if k.size:
        qb = np.frombuffer(query.encode(), dtype=np.uint8)
        db = np.frombuffer(draft.encode(), dtype=np.uint8)
        is_del = ops[k] == OP_DEL
        avail = lens[k - 1]
        shift = np.zeros(k.size, dtype=np.int64)
        active = np.ones(k.size, dtype=bool)
        while active.any():
            a = np.flatnonzero(active)
            t = shift[a]
            left = db[r_at[k[a]] - t - 1]
            right = np.where(is_del[a], db[np.minimum(r_at[k[a]] + lens[k[a]] - t - 1, db.size - 1)],
                             qb[np.minimum(q_at[k[a]] + lens[k[a]] - t - 1, qb.size - 1)])
            ok = left == right
            shift[a[ok]] += 1
            active[a] = ok & (shift[a] < avail[a])
        moved = shift > 0
        moved_any = bool(moved.any())
        if moved_any:
            lens[k[moved] - 1] -= shift[moved]
            # re-insert the moved `=` columns right after each shifted indel
            ops = np.insert(ops, k[moved] + 1, OP_EQUAL)
            lens = np.insert(lens, k[moved] + 1, shift[moved])
    keep = lens > 0
    ops, lens = ops[keep], lens[keep]
    # merge runs of equal ops
    start = np.concatenate([[True], ops[1:] != ops[:-1]])
    group = np.cumsum(start) - 1
    merged_lens = np.bincount(group, weights=lens).astype(np.int64)
    return ops[start], merged_lens, moved_any


def align_to_draft(query, draft, mode="infix", left_align=True):
    """Aligns a read to a draft with edlib.

    Args:
        query: str. The read (subread or truth), in draft orientation.
        draft: str. The reference.
        mode: "infix" (the whole query aligned somewhere inside the draft; draft
            ends are free, as for partial subreads) or "global" (both whole).

    Returns:
        Alignment.

    Raises:
        DczooInputError: when either sequence is empty.

    Example:
    >>> align_to_draft("ACGTTACG", "GGACGTACGGG").cigartuples
    [(7, 3), (1, 1), (7, 4)]
    """
    if not query or not draft:
        raise DczooInputError("cannot align an empty sequence to a draft")
    edlib_mode = {"infix": "HW", "global": "NW"}[mode]
    # a band of 22% of the read finds the alignment of a CLR-like read quickly;
    # if the read is worse than that, edlib reports -1 and the full search runs
    band = max(64, (len(query) * 22) // 100)
    result = edlib.align(query, draft, mode=edlib_mode, task="path", k=band)
    if result["editDistance"] < 0:
        result = edlib.align(query, draft, mode=edlib_mode, task="path")
    start = int(result["locations"][0][0] or 0)
    ops, lens = _cigar_arrays(result["cigar"])
    if left_align:
        cigartuples = _left_align_arrays(ops, lens, query, draft, start)
    else:
        cigartuples = list(zip(ops.tolist(), lens.tolist()))
    return Alignment(reference_start=start, cigartuples=cigartuples,
                     edit_distance=int(result["editDistance"]))


def cigar_column_counts(cigartuples):
    """Counts alignment columns by kind.

    Args:
        cigartuples: list of (op, length) pysam tuples.

    Returns:
        dict with keys "match", "mismatch", "insertion", "deletion" (columns).
    """
    counts = {"match": 0, "mismatch": 0, "insertion": 0, "deletion": 0}
    names = {OP_EQUAL: "match", OP_DIFF: "mismatch", OP_INS: "insertion", OP_DEL: "deletion"}
    for op, length in cigartuples:
        if op in names:
            counts[names[op]] += length
    return counts


def identity(cigartuples):
    """Fraction of `=` columns among =, X, I and D columns.

    Args:
        cigartuples: list of (op, length) pysam tuples.

    Returns:
        float in [0, 1] (0 for an empty alignment).
    """
    counts = cigar_column_counts(cigartuples)
    total = sum(counts.values())
    return counts["match"] / total if total else 0.0

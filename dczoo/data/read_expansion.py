"""Aligned reads (subreads or the truth) placed in the draft's column frame.

DeepConsensus puts every read of a ZMW on a shared grid whose columns are
either *slots* (one per draft position: the read has a base, a deletion or,
before its alignment starts, an indent there) or *insertion columns* between
two slots. This module computes, for all reads of a ZMW at once and fully
vectorised, which slot each kept base belongs to:

* `trim_insertions` removes insertion operations longer than `ins_trim`
  (with their bases; callers drop the same bases from pw/ip) and counts them.
* `expand_alignments` maps every remaining query base to `(slot,
  ins_offset)`: the slot it sits in (`ins_offset == -1`), or the slot that
  follows its insertion run and its offset in that run. `dczoo.data.spacing`
  turns these into spaced columns shared by all reads.

Reads are given as one `CigarBatch`: the CIGARs of all reads concatenated,
with the read number of every operation. Slots are counted, not read from
reference positions: a read aligned from draft position `p` first gets `p`
indent slots, then one slot per match, mismatch or deletion column, which is
how the reference's spacing loop synchronises reads.
"""

import dataclasses

import numpy as np

from dczoo.constants import VOCAB
from dczoo.errors import DczooInputError

# pysam / BAM CIGAR operation codes.
CIGAR_M, CIGAR_I, CIGAR_D, CIGAR_N, CIGAR_S, CIGAR_H, CIGAR_P, CIGAR_EQ, CIGAR_X = (
    range(9)
)
CONSUMES_QUERY = np.array([1, 1, 0, 0, 1, 0, 0, 1, 1], dtype=bool)
CONSUMES_REF = np.array([1, 0, 1, 1, 0, 0, 0, 1, 1], dtype=bool)

# Byte -> token id; every byte other than A, T, C, G maps to the gap id 0.
_BASE_LOOKUP = np.zeros(256, dtype=np.uint8)
for _code, _char in enumerate(VOCAB):
    if _char != " ":
        _BASE_LOOKUP[ord(_char)] = _code


def encode_bases(sequence):
    """Encodes a DNA string as token ids (gap 0, A 1, T 2, C 3, G 4).

    Args:
        sequence: str. Bases; anything other than upper-case A, T, C, G
            (for example N) becomes 0, like a gap.

    Returns:
        np.ndarray of uint8, one id per base.

    Example:
        >>> encode_bases("ATCGN").tolist()
        [1, 2, 3, 4, 0]
    """
    return _BASE_LOOKUP[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]


def _exclusive_cumsum(values):
    total = np.cumsum(values)
    return total - values


@dataclasses.dataclass(frozen=True)
class CigarBatch:
    """The CIGARs of several reads, concatenated.

    Attributes:
        ops: int64 array of operation codes.
        lens: int64 array of operation lengths.
        read: int64 array, the read number (0-based) of each operation;
            non-decreasing.
        n_reads: int.
    """

    ops: np.ndarray
    lens: np.ndarray
    read: np.ndarray
    n_reads: int

    @classmethod
    def from_cigars(cls, cigars):
        """Builds a batch from a list of `(ops, lens)` pairs, one per read."""
        ops = np.concatenate([np.asarray(o, dtype=np.int64) for o, _ in cigars])
        lens = np.concatenate([np.asarray(n, dtype=np.int64) for _, n in cigars])
        sizes = [len(o) for o, _ in cigars]
        read = np.repeat(np.arange(len(cigars), dtype=np.int64), sizes)
        return cls(ops, lens, read, len(cigars))


@dataclasses.dataclass(frozen=True)
class TrimmedBatch:
    """A `CigarBatch` after removing long insertions.

    Attributes:
        cigars: `CigarBatch` without the removed operations (nothing merged).
        keep_query: bool array over the concatenated query bases, False for
            removed bases; None when nothing was removed.
        total_bp: int. Sum of all operation lengths before trimming.
        trimmed_ops: int. Insertion operations removed.
        trimmed_bp: int. Bases removed.
    """

    cigars: CigarBatch
    keep_query: np.ndarray
    total_bp: int
    trimmed_ops: int
    trimmed_bp: int


def trim_insertions(cigars, ins_trim):
    """Removes every insertion operation longer than `ins_trim`.

    Args:
        cigars: `CigarBatch`.
        ins_trim: int. Insertions of length `> ins_trim` are removed;
            0 or less disables trimming.

    Returns:
        `TrimmedBatch`.

    Example:
        >>> batch = CigarBatch.from_cigars([([0, 1, 0], [4, 6, 4])])
        >>> t = trim_insertions(batch, 5)
        >>> t.cigars.lens.tolist(), t.trimmed_bp, int(t.keep_query.sum())
        ([4, 4], 6, 8)
    """
    ops, lens = cigars.ops, cigars.lens
    total_bp = int(lens.sum())
    long_ins = (ops == CIGAR_I) & (lens > ins_trim) if ins_trim > 0 else None
    if long_ins is None or not long_ins.any():
        return TrimmedBatch(cigars, None, total_bp, 0, 0)
    query_ops = CONSUMES_QUERY[ops]
    keep_query = ~np.repeat(long_ins[query_ops], lens[query_ops])
    kept = ~long_ins
    trimmed = CigarBatch(ops[kept], lens[kept], cigars.read[kept], cigars.n_reads)
    return TrimmedBatch(
        trimmed, keep_query, total_bp, int(long_ins.sum()), int(lens[long_ins].sum())
    )


@dataclasses.dataclass(frozen=True)
class ExpandedReads:
    """Where the kept bases of a batch of reads go, in draft slots.

    Kept bases are the query bases from each read's first to its last
    aligned (not soft-clipped) base, concatenated over reads.

    Attributes:
        query_index: int64 array, for each kept base its index in the
            concatenated (trimmed) query sequences.
        base_read: int64 array, the read number of each kept base.
        slot: int64 array: the slot of each kept base, or for an inserted
            base the slot that follows its insertion run.
        ins_offset: int64 array: -1 for a base in a slot, else its 0-based
            offset in its insertion run.
        n_slots: int64 array (n_reads,): indent slots plus reference columns.
        query_start: int64 array (n_reads,): first kept base of each read
            (in the read's own trimmed query).
        query_end: int64 array (n_reads,): one past its last kept base.
        ref_ops: `(slot_start, ref_len, lead_ref, read)` arrays of the kept
            reference-consuming operations, from which the properties
            `ref_slot`, `ref_pos` and `ref_read` are computed on demand.
    """

    query_index: np.ndarray
    base_read: np.ndarray
    slot: np.ndarray
    ins_offset: np.ndarray
    n_slots: np.ndarray
    query_start: np.ndarray
    query_end: np.ndarray
    ref_ops: tuple

    @property
    def ref_slot(self):
        """int64 array: slot of every reference column (match, mismatch,
        deletion) of every read, in order."""
        slot_start, ref_len, _, _ = self.ref_ops
        op = np.repeat(np.arange(ref_len.size), ref_len)
        before = np.cumsum(ref_len) - ref_len
        return slot_start[op] + np.arange(op.size) - before[op]

    @property
    def ref_read(self):
        """int64 array: read number of each reference column."""
        _, ref_len, _, read = self.ref_ops
        return np.repeat(read, ref_len)

    @property
    def ref_pos(self):
        """int64 array: draft position of each reference column."""
        return self.ref_slot + self.ref_ops[2][self.ref_read]

    @property
    def base_ref_pos(self):
        """int64 array: draft position of each kept base aligned to a draft
        base (match or mismatch), -1 for an inserted base. Unlike `slot`, it
        counts the deletions before a read's first aligned base."""
        lead_ref = self.ref_ops[2][self.base_read]
        return np.where(self.ins_offset < 0, self.slot + lead_ref, -1)

    def insertion_counts(self, size, reads=None):
        """Inserted bases before each slot, per read.

        Args:
            size: int. Number of slots to report (longer runs are cut).
            reads: optional int, number of reads (default: all).

        Returns:
            int64 array `(n_reads, size)`.
        """
        n_reads = self.n_slots.size if reads is None else reads
        inserted = self.ins_offset >= 0
        slots = np.minimum(self.slot[inserted], size - 1)
        keys = self.base_read[inserted] * size + slots
        counts = np.bincount(keys, minlength=n_reads * size)
        return counts.reshape(n_reads, size)


def _read_bounds(mask_index, op_read, n_reads, where):
    """First and last operation index of each read among `mask_index`."""
    readers = op_read[mask_index]
    reads = np.arange(n_reads)
    lo = np.searchsorted(readers, reads, side="left")
    hi = np.searchsorted(readers, reads, side="right")
    empty = np.flatnonzero(lo == hi)
    if empty.size:
        raise DczooInputError(f"{where(int(empty[0]))}: the alignment has no aligned bases")
    return mask_index[lo], mask_index[hi - 1]


def expand_alignments(cigars, reference_starts, where=None):
    """Maps the kept query bases of a batch of alignments to draft slots.

    Hard clips have no columns. Each alignment is cut to the span from its first
    to its last aligned (not soft-clipped) query base, so soft clips and any
    deletion outside that span disappear. An alignment starting at draft
    position `p > 0` gets `p` leading indent slots.

    Args:
        cigars: `CigarBatch` (after `trim_insertions`).
        reference_starts: int array (n_reads,), 0-based draft positions.
        where: optional callable `read_number -> str` ("file: read") for
            error messages.

    Returns:
        `ExpandedReads`.

    Raises:
        DczooInputError: padding or unknown operations, a soft clip inside
            an alignment, or an alignment without aligned bases.

    Example:
        >>> batch = CigarBatch.from_cigars([([0, 1, 0], [1, 2, 1])])
        >>> e = expand_alignments(batch, [3])
        >>> e.slot.tolist(), e.ins_offset.tolist(), e.n_slots.tolist()
        ([3, 4, 4, 4], [-1, 0, 1, -1], [5])
    """
    where = where or (lambda read: f"read {read}")
    n_reads = cigars.n_reads
    starts = np.asarray(reference_starts, dtype=np.int64)
    ops, lens, op_read = cigars.ops, cigars.lens, cigars.read
    if ops.size and (ops.min() < 0 or ops.max() > CIGAR_X):
        bad = int(op_read[np.flatnonzero((ops < 0) | (ops > CIGAR_X))[0]])
        raise DczooInputError(f"{where(bad)}: unknown CIGAR operation")
    if (ops == CIGAR_P).any():
        bad = int(op_read[np.flatnonzero(ops == CIGAR_P)[0]])
        raise DczooInputError(f"{where(bad)}: CIGAR padding (P) is not supported")

    query_len = np.where(CONSUMES_QUERY[ops], lens, 0)
    ref_len = np.where(CONSUMES_REF[ops], lens, 0)
    query_before = _exclusive_cumsum(query_len)
    ref_before = _exclusive_cumsum(ref_len)
    read_first_op = np.searchsorted(op_read, np.arange(n_reads), side="left")
    first, last = _read_bounds(
        np.flatnonzero(CONSUMES_QUERY[ops] & (ops != CIGAR_S)),
        op_read,
        n_reads,
        where,
    )
    op_index = np.arange(ops.size)
    kept = (op_index >= first[op_read]) & (op_index <= last[op_read])
    inner_clip = kept & (ops == CIGAR_S)
    if inner_clip.any():
        bad = int(op_read[np.flatnonzero(inner_clip)[0]])
        raise DczooInputError(f"{where(bad)}: soft clip inside the alignment")

    read_query0 = query_before[read_first_op]
    query_start = query_before[first] - read_query0
    query_end = query_before[last] + query_len[last] - read_query0
    lead_ref = ref_before[first] - ref_before[read_first_op]

    k_ops = ops[kept]
    k_read = op_read[kept]
    k_query_len = query_len[kept]
    k_ref_len = ref_len[kept]
    k_ref_before = _exclusive_cumsum(k_ref_len)
    k_first = np.searchsorted(k_read, np.arange(n_reads), side="left")
    slot_start = starts[k_read] + k_ref_before - k_ref_before[k_first][k_read]
    n_slots = starts + np.bincount(k_read, weights=k_ref_len, minlength=n_reads).astype(
        np.int64
    )

    # Insertion runs: an insertion op starts a run unless the previous kept
    # op of the same read is an insertion too (ops are never merged).
    is_ins = k_ops == CIGAR_I
    kept_before = _exclusive_cumsum(k_query_len)
    previous_ins = np.zeros_like(is_ins)
    previous_ins[1:] = is_ins[:-1] & (k_read[1:] == k_read[:-1])
    run_start = np.maximum.accumulate(np.where(is_ins & ~previous_ins, kept_before, -1))

    base_op = np.repeat(np.arange(k_ops.size), k_query_len)
    base_index = np.arange(base_op.size)
    within = base_index - kept_before[base_op]
    base_is_ins = is_ins[base_op]
    slot = slot_start[base_op] + np.where(base_is_ins, 0, within)
    ins_offset = np.where(base_is_ins, base_index - run_start[base_op], -1)
    query_index = query_before[kept][base_op] + within

    has_ref = k_ref_len > 0
    return ExpandedReads(
        query_index=query_index,
        base_read=k_read[base_op],
        slot=slot,
        ins_offset=ins_offset,
        n_slots=n_slots,
        query_start=query_start,
        query_end=query_end,
        ref_ops=(slot_start[has_ref], k_ref_len[has_ref], lead_ref, k_read[has_ref]),
    )

"""The shared "spaced" alignment of all reads of one ZMW, in closed form.

The reference implementation walks all reads column by column: whenever any
subread (or the draft) has an insertion at its cursor, every other read gets a
gap column instead of advancing. The result is that all reads stay
synchronised on the draft's slots, and before slot `j` there is an insertion
block as wide as the longest insertion run any read has before `j`:

    width[j]   = max over subreads of (inserted bases before slot j)
    column(j)  = j + width[0] + ... + width[j]          (the slot's column)
    block(j)   = column(j) - width[j]                   (first insertion column)

An inserted base at offset `t` of its run before slot `j` lands in column
`block(j) + t`: runs are left-aligned in their block.

The truth label is a special read: it never makes other reads wait, and it
writes its own insertion runs immediately, so every label column drifts right
by the number of label insertions seen so far (`label_shift`).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class SpacedLayout:
    """Column numbers of slots and insertion blocks shared by a ZMW's reads.

    Attributes:
        widths: int64 array, the insertion block width before each slot.
        slot_column: int64 array, the spaced column of each slot.
        block_start: int64 array, the first column of each insertion block.
    """

    widths: np.ndarray
    slot_column: np.ndarray
    block_start: np.ndarray

    def query_columns(self, expanded, shift=None):
        """Spaced columns of the kept query bases of one read.

        Args:
            expanded: `dczoo.data.read_expansion.ExpandedReads`.
            shift: optional `LabelShift` (truth label only).

        Returns:
            int64 array, one column per kept query base.
        """
        slot, offset = expanded.slot, expanded.ins_offset
        inserted = offset >= 0
        columns = np.where(
            inserted, self.block_start[slot] + offset, self.slot_column[slot]
        )
        if shift is not None:
            columns += np.where(inserted, shift.before[slot], shift.through[slot])
        return columns

    def ref_columns(self, expanded, shift=None):
        """Spaced columns of the reference columns (incl. deletions) of a read.

        Args:
            expanded: `ExpandedReads`.
            shift: optional `LabelShift` (truth label only).

        Returns:
            int64 array aligned with `expanded.ref_pos`.
        """
        columns = self.slot_column[expanded.ref_slot]
        if shift is not None:
            columns = columns + shift.through[expanded.ref_slot]
        return columns


@dataclasses.dataclass(frozen=True)
class LabelShift:
    """How far the truth label's columns drift right of the shared grid.

    Attributes:
        before: int64 array, label insertions before each slot's block.
        through: int64 array, label insertions up to and including the
            insertion run right before each slot.
    """

    before: np.ndarray
    through: np.ndarray


def build_layout(subreads, n_slots):
    """Computes the shared spaced layout of a ZMW.

    Args:
        subreads: `dczoo.data.read_expansion.ExpandedReads` of all subreads
            (the draft has no insertions and the label makes no one wait).
        n_slots: int. Largest slot count of any read, label included.

    Returns:
        `SpacedLayout` whose arrays have `n_slots + 1` entries.

    Example:
        >>> from dczoo.data.read_expansion import CigarBatch, expand_alignments
        >>> reads = expand_alignments(
        ...     CigarBatch.from_cigars([([1, 0], [2, 2]), ([1, 0], [1, 2])]), [0, 0])
        >>> layout = build_layout(reads, 2)
        >>> layout.slot_column.tolist(), layout.block_start.tolist()
        ([2, 3, 4], [0, 3, 4])
    """
    counts = subreads.insertion_counts(n_slots + 1)
    widths = counts.max(axis=0) if counts.shape[0] else np.zeros(n_slots + 1, np.int64)
    slot_column = np.arange(n_slots + 1, dtype=np.int64) + np.cumsum(widths)
    return SpacedLayout(
        widths=widths,
        slot_column=slot_column,
        block_start=slot_column - widths,
    )


def label_shift(label, n_slots):
    """The drift of the label's columns caused by its own insertions.

    Args:
        label: `ExpandedReads` of the truth alignment (one read).
        n_slots: int. Size of the layout minus one (`build_layout`).

    Returns:
        `LabelShift` with `n_slots + 1` entries per array.
    """
    counts = label.insertion_counts(n_slots + 1)[0]
    through = np.cumsum(counts)
    return LabelShift(before=through - counts, through=through)

"""Training labels: the truth segment of each ZMW, cut into window labels.

Inputs (as made by the DeepConsensus training recipe):

* `truth_to_ccs.bam` (indexed): one truth segment per ZMW, aligned to the
  ZMW's draft. The first record fetched for the draft's name is used.
* `truth.bed`: `contig begin end draft_name ...`; the truth range of a ZMW.
* `truth_split.tsv`: `contig chromosome` per line. The chromosome is mapped
  to a split through a chromosome table (the reference's human table by
  default; maize, or a user file). A second column that already says
  `train`, `eval` or `test` is used as is, so any genome can be split by
  contig without a chromosome table.

A window's label is the truth between the first and last draft positions of
the window. It keeps internal gaps when it fits in the window; when it is
longer, its gaps are removed and it is kept if at most `window_length` bases
remain ("adjusted"), else the window is dropped ("label overflow").
"""

import dataclasses
import os

import numpy as np

from dczoo.data.bam_reader import open_bam, quiet_htslib
from dczoo.data.read_expansion import CigarBatch, encode_bases, expand_alignments
from dczoo.data.spacing import label_shift
from dczoo.errors import DczooInputError

SPLITS = ("train", "eval", "test")

LABEL_KEPT = 0
LABEL_ADJUSTED = 1
LABEL_OVERFLOW = 2


def _chromosome_table(train, eval_, test):
    table = {}
    for split, names in (("train", train), ("eval", eval_), ("test", test)):
        for name in names:
            table[str(name)] = split
            table[f"chr{name}"] = split
    return table


# The reference's chromosome -> split tables (bare and chr-prefixed names).
HUMAN_CHROMOSOME_SPLITS = _chromosome_table(
    list(range(1, 19)) + ["X", "Y"], [21, 22], [19, 20]
)
MAIZE_CHROMOSOME_SPLITS = _chromosome_table(range(1, 9), [9], [10])
CHROMOSOME_SPLIT_TABLES = {
    "human": HUMAN_CHROMOSOME_SPLITS,
    "maize": MAIZE_CHROMOSOME_SPLITS,
}


def _data_lines(path, role):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DczooInputError(f"{path}: {role} does not exist")
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                yield number, fields


def load_chromosome_splits(table="human"):
    """A chromosome -> split table.

    Args:
        table: "human", "maize", or a path to a file of
            `chromosome split` lines (split is train, eval or test).

    Returns:
        dict mapping chromosome name to split name.

    Example:
        >>> load_chromosome_splits("human")["chr19"]
        'test'
    """
    if table in CHROMOSOME_SPLIT_TABLES:
        return dict(CHROMOSOME_SPLIT_TABLES[table])
    splits = {}
    for number, fields in _data_lines(table, "chromosome split table"):
        if len(fields) < 2 or fields[1] not in SPLITS:
            raise DczooInputError(
                f"{table}: line {number}: expected `chromosome split` with split "
                f"one of {', '.join(SPLITS)}"
            )
        splits[fields[0]] = fields[1]
    return splits


def read_truth_split(path, chromosome_splits):
    """Reads `truth_split.tsv` into a contig -> split mapping.

    Args:
        path: str or Path. Lines `contig chromosome` (or `contig split`).
        chromosome_splits: dict chromosome -> split
            (`load_chromosome_splits`).

    Returns:
        dict contig -> split; contigs whose chromosome is in no split are
        left out (their ZMWs count as `n_zmw_missing_contig_split`).
    """
    contig_splits = {}
    for number, fields in _data_lines(path, "truth split file"):
        if len(fields) < 2:
            raise DczooInputError(f"{path}: line {number}: expected `contig chromosome`")
        contig, value = fields[0], fields[1]
        split = value if value in SPLITS else chromosome_splits.get(value)
        if split is not None:
            contig_splits[contig] = split
    return contig_splits


@dataclasses.dataclass(frozen=True)
class TruthRange:
    """Where a ZMW's truth segment comes from: `contig:[begin, end)`."""

    contig: str
    begin: int
    end: int


def read_truth_bed(path):
    """Reads `truth.bed` into a draft name -> `TruthRange` mapping.

    Args:
        path: str or Path. Tab-separated `contig begin end draft_name ...`.

    Returns:
        dict.
    """
    ranges = {}
    for number, fields in _data_lines(path, "truth bed file"):
        if len(fields) < 4:
            raise DczooInputError(
                f"{path}: line {number}: expected `contig begin end draft_name`"
            )
        try:
            begin, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise DczooInputError(
                f"{path}: line {number}: begin and end must be integers"
            ) from None
        ranges[fields[3]] = TruthRange(fields[0], begin, end)
    return ranges


@dataclasses.dataclass
class TruthInputs:
    """The truth files of training mode; picklable, opened per process.

    Args:
        truth_to_ccs: str or Path of the indexed truth alignments.
        truth_bed: str or Path of the truth ranges.
        truth_split: str or Path of the contig -> chromosome (or split) file.
        chromosome_splits: "human" (default), "maize", or a path (see
            `load_chromosome_splits`).

    Example:
        >>> truth = TruthInputs("truth_to_ccs.bam", "truth.bed",
        ...                     "truth_split.tsv")  # doctest: +SKIP
    """

    truth_to_ccs: str
    truth_bed: str
    truth_split: str
    chromosome_splits: str = "human"

    def __post_init__(self):
        self.truth_to_ccs = os.fspath(self.truth_to_ccs)
        open_bam(self.truth_to_ccs, "truth_to_ccs.bam", require_index=True).close()
        self.ranges = read_truth_bed(self.truth_bed)
        self.contig_splits = read_truth_split(
            self.truth_split, load_chromosome_splits(self.chromosome_splits)
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_bam", None)
        state.pop("_bam_pid", None)
        return state

    def lookup(self, draft_name):
        """Finds the truth of one ZMW.

        Args:
            draft_name: str. Name of the ZMW's draft read.

        Returns:
            `(skip_counter, record, truth_range, split)`: `skip_counter` is
            None when the ZMW has a label, else the counter name explaining
            why it is skipped.
        """
        truth_range = self.ranges.get(draft_name)
        if truth_range is None:
            return "n_zmw_missing_truth_range", None, None, None
        bam = self.__dict__.get("_bam")
        if bam is None or self._bam_pid != os.getpid():
            # A handle inherited through fork shares its file offset: reopen.
            bam = self._bam = open_bam(
                self.truth_to_ccs, "truth_to_ccs.bam", require_index=True
            )
            self._bam_pid = os.getpid()
        try:
            with quiet_htslib():
                record = next(bam.fetch(draft_name), None)
        except ValueError:  # the draft is not a reference of the truth BAM
            record = None
        if record is None:
            return "n_zmw_no_label_alignment", None, None, None
        if record.is_supplementary:
            return "n_zmw_truth_label_supp_alignment", None, None, None
        split = self.contig_splits.get(truth_range.contig)
        if split is None:
            return "n_zmw_missing_contig_split", None, None, None
        return None, record, truth_range, split


def expand_label(record, truth_range, path):
    """Places a truth alignment in the draft's slots.

    Args:
        record: pysam.AlignedSegment of the truth aligned to the draft.
        truth_range: `TruthRange` of the ZMW.
        path: str. For messages.

    Returns:
        `(expanded, bases)`: `ExpandedReads` of the one truth read and the
        uint8 token ids of its kept (not soft-clipped) bases.

    Raises:
        DczooInputError: no sequence, or the range length differs from the
            truth segment length.
    """
    where = f"{path}: truth read {record.query_name}"
    sequence = record.query_sequence
    if not sequence or not record.cigartuples:
        raise DczooInputError(f"{where}: has no sequence or CIGAR")
    cigar = np.array(record.cigartuples, dtype=np.int64)
    expanded = expand_alignments(
        CigarBatch.from_cigars([(cigar[:, 0], cigar[:, 1])]),
        [record.reference_start],
        where=lambda _: where,
    )
    if truth_range.end - truth_range.begin != len(sequence):
        raise DczooInputError(
            f"{where}: its truth.bed range {truth_range.contig}:"
            f"{truth_range.begin}-{truth_range.end} has "
            f"{truth_range.end - truth_range.begin} bases but the read has "
            f"{len(sequence)}"
        )
    bases = encode_bases(sequence)[expanded.query_index]
    return expanded, bases


def window_labels(layout, label, bases, grid, window_length):
    """Cuts the label of every window.

    Args:
        layout: `dczoo.data.spacing.SpacedLayout` of the ZMW.
        label: `ExpandedReads` of the truth (`expand_label`).
        bases: uint8 token ids of its kept bases.
        grid: `dczoo.data.windows.WindowGrid`.
        window_length: int.

    Returns:
        `(codes, status)`: uint8 `(n_windows, window_length)` labels and an
        int8 `(n_windows,)` array of `LABEL_KEPT`, `LABEL_ADJUSTED` or
        `LABEL_OVERFLOW`.
    """
    n_slots = layout.slot_column.size - 1
    shift = label_shift(label, n_slots)
    base_columns = layout.query_columns(label, shift)
    ref_columns = layout.ref_columns(label, shift)
    length = int(max(base_columns.max(initial=-1), ref_columns.max(initial=-1))) + 1
    spaced = np.zeros(max(length, 1), dtype=np.uint8)
    spaced[base_columns] = bases

    n = grid.n_windows
    codes = np.zeros((n, window_length), dtype=np.uint8)
    status = np.full(n, LABEL_KEPT, dtype=np.int8)
    if ref_columns.size == 0 or n == 0:
        return codes, status
    first = np.searchsorted(label.ref_pos, grid.first_slot, side="left")
    last = np.searchsorted(label.ref_pos, grid.last_slot, side="right") - 1
    found = grid.has_draft & (first <= last)
    first_c = np.clip(first, 0, ref_columns.size - 1)
    last_c = np.clip(last, 0, ref_columns.size - 1)
    start = ref_columns[first_c]
    # Reference quirk: a slice whose only matching column is column 0 is empty.
    found &= ~((first == last) & (start == 0))
    width = np.where(found, ref_columns[last_c] + 1 - start, 0)

    fits = found & (width <= window_length)
    offsets = np.arange(window_length)
    index = np.minimum(start[fits, None] + offsets, spaced.size - 1)
    codes[fits] = np.where(offsets < width[fits, None], spaced[index], 0)
    for k in np.flatnonzero(found & (width > window_length)):
        segment = spaced[start[k] : start[k] + width[k]]
        segment = segment[segment != 0]
        if segment.size > window_length:
            status[k] = LABEL_OVERFLOW
        else:
            codes[k, : segment.size] = segment
            status[k] = LABEL_ADJUSTED
    return codes, status

"""Grouping subreads by ZMW and matching each ZMW's draft in ccs.bam.

Both files are streamed forward only, like the reference implementation; no
index is needed. Subreads are grouped by consecutive equal `zm` tag (by the
name's `movie/zmw` when the tag is absent); unmapped subreads are skipped like
the reference, secondary and supplementary alignments too. A ZMW none of
whose subreads is aligned is dropped like the reference does, but counted:
each group carries `dropped`, the number of such ZMWs just before it (and,
for the last group, after it), which preprocessing adds up as the counter
`n_zmw_no_aligned_subreads`, so every ZMW of the input appears in the
summaries. Drafts without subreads are skipped silently; a draft that is
missing, or that comes before the previous ZMW's draft, is an error, and so
are a draft whose length is not the `@SQ LN` its subreads were aligned to and
a subread aligned past the end of its draft (the two files do not belong
together).

Two ways to read:

* `iter_zmw_groups`: one pass, parsing every ZMW (one process).
* `scan_zmw_locations` + `GroupReader`: a parent process scans once and
  records where each ZMW's records start (BGZF virtual offsets); workers seek
  there and parse only their own ZMWs.
"""

import dataclasses
import os

from dczoo.data.bam_reader import (
    check_subreads_header,
    close_quietly,
    iter_records,
    open_bam,
    parse_draft,
    parse_subread,
)
from dczoo.errors import DczooInputError

_SUBREADS = "subreads_to_ccs.bam"


@dataclasses.dataclass
class ZmwGroup:
    """The records of one ZMW.

    Attributes:
        ordinal: int. 0-based index of the ZMW in `subreads_to_ccs.bam`.
        name: str. Name of the draft read (`movie/zmw/ccs`).
        subreads: list of `dczoo.data.bam_reader.Subread`.
        draft: `dczoo.data.bam_reader.Draft`.
        dropped: int. ZMWs without any aligned subread just before this one
            (and after it, for the last one), counted with it.
    """

    ordinal: int
    name: str
    subreads: list
    draft: object
    dropped: int = 0


@dataclasses.dataclass(frozen=True)
class ZmwLocation:
    """Where one ZMW's records are.

    Attributes:
        ordinal: int. 0-based index of the ZMW.
        name: str. Draft name.
        subreads_offset: int. Virtual offset of its first subread record.
        span: int. Records to read from there (skipped records included).
        draft_offset: int. Virtual offset of its draft in ccs.bam.
        dropped: int. ZMWs without aligned subreads counted with this one.
    """

    ordinal: int
    name: str
    subreads_offset: int
    span: int
    draft_offset: int
    dropped: int = 0


def _skipped(record):
    return record.is_unmapped or record.is_secondary or record.is_supplementary


def _zmw_key(record):
    if record.has_tag("zm"):
        return record.get_tag("zm")
    return record.query_name.rsplit("/", 1)[0]


class _DraftMatcher:
    """Finds each ZMW's draft by streaming `ccs.bam` forward only."""

    def __init__(self, ccs_path, subreads_path):
        self.path = os.fspath(ccs_path)
        self._subreads_path = os.fspath(subreads_path)
        self._bam = open_bam(self.path, "ccs.bam")
        self._records = iter_records(self._bam, self.path, "ccs.bam")
        self._previous = None

    def close(self):
        close_quietly(self._bam)

    def find(self, draft_name, subread_name):
        """Advances to the draft `draft_name`; returns `(record, offset)`."""
        for record, offset in self._records:
            if record.query_name == draft_name:
                self._previous = draft_name
                return record, offset
        raise self._missing_error(draft_name, subread_name)

    def _missing_error(self, draft_name, subread_name):
        bam = open_bam(self.path, "ccs.bam")
        try:
            present = any(
                record.query_name == draft_name
                for record, _ in iter_records(bam, self.path, "ccs.bam")
            )
        finally:
            close_quietly(bam)
        if present:
            after = f" after {self._previous}" if self._previous else ""
            return DczooInputError(
                f"{self.path}: draft read {draft_name} (of subread {subread_name}) is "
                f"not ahead of the previous draft{after}: ccs.bam must list drafts in "
                f"the same ZMW order as {self._subreads_path}"
            )
        return DczooInputError(
            f"{self.path}: no draft read named {draft_name}, the draft that subread "
            f"{subread_name} of {self._subreads_path} is aligned to"
        )


def check_bam_roles(subreads_path, ccs_path):
    """Checks that the subreads BAM is aligned (has @SQ lines), naming a swap.

    Args:
        subreads_path: str. What was given as `subreads_to_ccs.bam`.
        ccs_path: str. What was given as `ccs.bam`.

    Raises:
        DczooInputError: the subreads BAM has no @SQ lines; when the drafts
            BAM has them, the message says the two files look swapped.

    Example:
    ```python
    check_bam_roles("ccs.bam", "subreads_to_ccs.bam")  # "... look swapped ..."
    ```
    """
    bam = open_bam(subreads_path, _SUBREADS)
    try:
        aligned = bam.nreferences > 0
    finally:
        close_quietly(bam)
    if aligned:
        return
    ccs = open_bam(ccs_path, "ccs.bam")
    try:
        swapped = ccs.nreferences > 0
    finally:
        close_quietly(ccs)
    if swapped:
        raise DczooInputError(
            f"{subreads_path} has no @SQ lines but {ccs_path} has: the two BAMs look swapped; "
            "give the subreads aligned to their drafts as --subreads-to-ccs and the drafts "
            "as --ccs-bam"
        )


class _DroppedZmws:
    """Counts the ZMWs whose records are all unmapped, secondary or supplementary."""

    def __init__(self):
        self.pending = []  # keys of ZMWs seen only in skipped records, in order

    def skipped(self, record, current_key):
        key = _zmw_key(record)
        if key != current_key and (not self.pending or self.pending[-1] != key):
            self.pending.append(key)

    def take(self, key):
        """The count before the ZMW `key`, which has an aligned record."""
        if self.pending and self.pending[-1] == key:
            self.pending.pop()
        count, self.pending = len(self.pending), []
        return count


def _iter_raw(subreads_path, ccs_path):
    """Yields `(ordinal, records, offset, span, draft_record, draft_offset, dropped)`."""
    check_bam_roles(subreads_path, ccs_path)
    bam = open_bam(subreads_path, _SUBREADS)
    matcher = None
    try:
        check_subreads_header(bam, subreads_path)
        matcher = _DraftMatcher(ccs_path, subreads_path)
        dropped = _DroppedZmws()
        ordinal, n_records = 0, 0
        group, key, start, span, group_dropped = [], None, 0, 0, 0
        for record, offset in iter_records(bam, subreads_path, _SUBREADS):
            n_records += 1
            if _skipped(record):
                span += 1 if group else 0
                dropped.skipped(record, key if group else None)
                continue
            record_key = _zmw_key(record)
            if group and record_key != key:
                draft, draft_offset = matcher.find(group[0].reference_name, group[0].query_name)
                yield ordinal, group, start, span, draft, draft_offset, group_dropped
                ordinal, group, span = ordinal + 1, [], 0
            if not group:
                start = offset
                group_dropped = dropped.take(record_key)
            key = record_key
            group.append(record)
            span += 1
        if group:
            draft, draft_offset = matcher.find(group[0].reference_name, group[0].query_name)
            yield ordinal, group, start, span, draft, draft_offset, group_dropped + dropped.take(None)
            ordinal += 1
        if ordinal == 0:
            problem = (
                "has no records" if n_records == 0
                else f"has none of its {n_records} records aligned"
            )
            raise DczooInputError(f"{subreads_path}: {_SUBREADS} {problem}")
    finally:
        close_quietly(bam)
        if matcher is not None:
            matcher.close()


def _check_extent(records, draft, subreads_path, ccs_path):
    """The draft must have its `@SQ LN` and hold every subread alignment."""
    draft_name = records[0].reference_name
    length = records[0].header.get_reference_length(draft_name)
    draft_length = len(draft.sequence)
    if draft_length != length:
        raise DczooInputError(
            f"{ccs_path}: draft read {draft_name} has {draft_length} bases, but {subreads_path} "
            f"aligned its subreads to a {length} bp draft (@SQ LN); the two BAMs do not belong "
            "together (a re-made or truncated ccs.bam?)"
        )
    for record in records:
        end = record.reference_end
        if end is not None and end > length:
            raise DczooInputError(
                f"{subreads_path}: subread {record.query_name} is aligned past the end of its "
                f"draft {draft_name} (to position {end}, the draft has {length} bp)"
            )


def _build_group(ordinal, records, draft_record, subreads_path, ccs_path, dropped=0):
    draft_name = records[0].reference_name
    for record in records[1:]:
        if record.reference_name != draft_name:
            raise DczooInputError(
                f"{subreads_path}: subread {record.query_name} is aligned to "
                f"{record.reference_name}, but its ZMW's draft is {draft_name}"
            )
    draft = parse_draft(draft_record, ccs_path)
    _check_extent(records, draft, subreads_path, ccs_path)
    subreads = [parse_subread(record, subreads_path) for record in records]
    return ZmwGroup(ordinal, draft_name, subreads, draft, dropped)


def iter_zmw_groups(subreads_path, ccs_path, select=None):
    """Streams ZMWs with their subreads and draft, in file order.

    Args:
        subreads_path: str or Path of `subreads_to_ccs.bam`.
        ccs_path: str or Path of `ccs.bam`.
        select: optional callable `ordinal -> bool`; unselected ZMWs are
            matched against ccs.bam but not parsed or yielded.

    Yields:
        `ZmwGroup`.

    Raises:
        DczooInputError: for any problem with the inputs.
    """
    subreads_path, ccs_path = os.fspath(subreads_path), os.fspath(ccs_path)
    for ordinal, records, _, _, draft, _, dropped in _iter_raw(subreads_path, ccs_path):
        if select is None or select(ordinal):
            yield _build_group(ordinal, records, draft, subreads_path, ccs_path, dropped)


def scan_zmw_locations(subreads_path, ccs_path, select=None):
    """Streams where each ZMW's records are, checking order as it goes.

    Args:
        subreads_path: str or Path of `subreads_to_ccs.bam`.
        ccs_path: str or Path of `ccs.bam`.
        select: optional callable `ordinal -> bool`.

    Yields:
        `ZmwLocation` for each selected ZMW.
    """
    subreads_path, ccs_path = os.fspath(subreads_path), os.fspath(ccs_path)
    for ordinal, records, offset, span, _, draft_offset, dropped in _iter_raw(subreads_path, ccs_path):
        if select is None or select(ordinal):
            yield ZmwLocation(ordinal, records[0].reference_name, offset, span, draft_offset, dropped)


class GroupReader:
    """Reads the ZMWs found by `scan_zmw_locations`, seeking to each.

    Args:
        subreads_path: str or Path of `subreads_to_ccs.bam`.
        ccs_path: str or Path of `ccs.bam`.
    """

    def __init__(self, subreads_path, ccs_path):
        self.subreads_path = os.fspath(subreads_path)
        self.ccs_path = os.fspath(ccs_path)
        self._subreads = open_bam(self.subreads_path, _SUBREADS)
        self._ccs = open_bam(self.ccs_path, "ccs.bam")

    def close(self):
        close_quietly(self._subreads)
        close_quietly(self._ccs)

    def read(self, location):
        """Returns the `ZmwGroup` at `location`."""
        self._subreads.seek(location.subreads_offset)
        records = []
        iterator = iter_records(self._subreads, self.subreads_path, _SUBREADS)
        for _, (record, _) in zip(range(location.span), iterator):
            if not _skipped(record):
                records.append(record)
        self._ccs.seek(location.draft_offset)
        draft, _ = next(iter_records(self._ccs, self.ccs_path, "ccs.bam"))
        return _build_group(
            location.ordinal, records, draft, self.subreads_path, self.ccs_path, location.dropped
        )

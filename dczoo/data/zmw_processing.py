"""Preprocessing of one ZMW: subreads + draft (+ truth) -> `ZmwWindows`.

This is the per-ZMW work that `dczoo.data.pipeline` runs in worker processes.
It follows DeepConsensus 1.2 exactly: trim long insertions, place every read
on the shared spaced alignment, cut windows, build tensors and labels, and
count what the reference counts.
"""

import collections
import dataclasses

import numpy as np

from dczoo.constants import INS_TRIM, MAX_PASSES, WINDOW_LENGTH, WindowLayout
from dczoo.data.kinetics import draft_kinetics, is_complete_pass
from dczoo.data.labels import LABEL_ADJUSTED, LABEL_OVERFLOW, expand_label, window_labels
from dczoo.data.read_expansion import (
    CigarBatch,
    encode_bases,
    expand_alignments,
    trim_insertions,
)
from dczoo.data.spacing import build_layout
from dczoo.data.windows import build_rows, cut_windows
from dczoo.data.zmw_windows import ZmwWindows


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """Settings of the preprocessing (the reference's defaults).

    Attributes:
        max_passes: int. Subreads that fill tensor rows (20).
        window_length: int. Spaced columns per window (100).
        ins_trim: int. Insertions longer than this are removed (5; 0 off).
        use_ccs_bq: bool. Add the draft base-quality row (86 rows).
        kinetics: bool. Also average the subreads' ip/pw per strand and
            draft position (`ZmwWindows.kinetics`, see `dczoo.data.kinetics`).
    """

    max_passes: int = MAX_PASSES
    window_length: int = WINDOW_LENGTH
    ins_trim: int = INS_TRIM
    use_ccs_bq: bool = False
    kinetics: bool = False

    @property
    def layout(self):
        """The `WindowLayout` of the windows."""
        return WindowLayout(self.max_passes, self.use_ccs_bq)

    @property
    def tensor_height(self):
        """Rows of a window tensor."""
        return self.layout.num_rows

    def as_dict(self):
        """The settings plus the tensor shape, for summaries."""
        settings = dataclasses.asdict(self)
        settings["tensor_height"] = self.tensor_height
        settings["tensor_width"] = self.window_length
        return settings


@dataclasses.dataclass
class PlacedSubreads:
    """All subreads of a ZMW after trimming, in the draft's slots.

    Attributes:
        expanded: `ExpandedReads` of all subreads.
        bases: uint8 token ids of the kept bases (concatenated).
        pw: uint8 pulse widths of the kept bases.
        ip: uint8 inter-pulse codes of the kept bases.
        strands: int array (n_subreads,).
    """

    expanded: object
    bases: np.ndarray
    pw: np.ndarray
    ip: np.ndarray
    strands: np.ndarray


def place_subreads(subreads, ins_trim, path="subreads_to_ccs.bam"):
    """Trims and expands all subreads of a ZMW at once.

    Args:
        subreads: list of `dczoo.data.bam_reader.Subread`.
        ins_trim: int.
        path: str. For error messages.

    Returns:
        `(PlacedSubreads, counters)` where counters has `zmw_total_bp`,
        `zmw_trimmed_insertions` and `zmw_trimmed_insertions_bp`.
    """
    cigars = CigarBatch.from_cigars([(s.ops, s.lens) for s in subreads])
    trimmed = trim_insertions(cigars, ins_trim)
    counters = collections.Counter(
        zmw_total_bp=trimmed.total_bp,
        zmw_trimmed_insertions=trimmed.trimmed_ops,
        zmw_trimmed_insertions_bp=trimmed.trimmed_bp,
    )
    bases = encode_bases("".join(s.sequence for s in subreads))
    pw = np.concatenate([s.pw for s in subreads])
    ip = np.concatenate([s.ip for s in subreads])
    if trimmed.keep_query is not None:
        keep = trimmed.keep_query
        bases, pw, ip = bases[keep], pw[keep], ip[keep]
    expanded = expand_alignments(
        trimmed.cigars,
        [s.reference_start for s in subreads],
        where=lambda i: f"{path}: subread {subreads[i].name}",
    )
    index = expanded.query_index
    placed = PlacedSubreads(
        expanded=expanded,
        bases=bases[index],
        pw=pw[index],
        ip=ip[index],
        strands=np.array([s.strand for s in subreads], dtype=np.uint8),
    )
    return placed, counters


def _empty(group, config, counters, split, skip_reason=None):
    width = config.window_length
    return ZmwWindows(
        name=group.name,
        ordinal=group.ordinal,
        draft=group.draft,
        num_subreads=len(group.subreads),
        max_passes=config.max_passes,
        use_ccs_bq=config.use_ccs_bq,
        ccs_width=0,
        rows=np.zeros((0, config.layout.num_int_rows, width), dtype=np.uint8),
        ccs_bq=np.zeros((0, width), dtype=np.int16),
        sn=group.subreads[0].sn,
        window_pos=np.zeros(0, dtype=np.int64),
        window_index=np.zeros(0, dtype=np.int64),
        label_codes=None if skip_reason is None else np.zeros((0, width), np.uint8),
        split=split,
        skip_reason=skip_reason,
        counters={k: v for k, v in counters.items() if v},
    )


def process_zmw(group, config, truth=None, *, subreads_path="subreads_to_ccs.bam"):
    """Turns one ZMW into windows (and labels in training mode).

    Args:
        group: `dczoo.data.zmw_groups.ZmwGroup` with subreads and draft.
        config: `PreprocessConfig`.
        truth: optional `dczoo.data.labels.TruthInputs` (training mode).
        subreads_path: str. For error messages.

    Returns:
        `ZmwWindows`. In training mode a ZMW without a usable truth has no
        windows and says why in `skip_reason`.

    Example:
        >>> for group in iter_zmw_groups(subreads, ccs):  # doctest: +SKIP
        ...     zmw = process_zmw(group, PreprocessConfig())
    """
    placed, counters = place_subreads(group.subreads, config.ins_trim, subreads_path)
    counters["n_zmw_processed"] += 1
    counters["n_zmw_no_aligned_subreads"] += group.dropped
    split = "inference"
    label = None
    if truth is not None:
        skip, record, truth_range, split = truth.lookup(group.name)
        if skip is not None:
            counters[skip] += 1
            return _empty(group, config, counters, None, skip)
        label = expand_label(record, truth_range, truth.truth_to_ccs)

    draft = group.draft
    draft_length = len(draft.sequence)
    kinetics = None
    if config.kinetics:
        complete = [is_complete_pass(subread.cx) for subread in group.subreads]
        kinetics = draft_kinetics(placed, complete, draft_length)
    n_slots = max(draft_length, int(placed.expanded.n_slots.max()))
    if label is not None:
        n_slots = max(n_slots, int(label[0].n_slots.max()))
    layout = build_layout(placed.expanded, n_slots)
    grid = cut_windows(layout, draft_length, config.window_length)
    rows, ccs_bq = build_rows(
        grid,
        layout,
        placed,
        encode_bases(draft.sequence),
        draft.qualities,
        config.max_passes,
        config.window_length,
    )

    n = grid.n_windows
    counters[f"example_width_bucket_{config.window_length}"] += n
    keep = grid.has_draft.copy()
    counters["n_examples_no_ccs_idx"] += int(n - keep.sum())
    label_codes = None
    if label is not None:
        label_codes, status = window_labels(
            layout, label[0], label[1], grid, config.window_length
        )
        overflow = keep & (status == LABEL_OVERFLOW)
        counters["n_examples_label_overflow"] += int(overflow.sum())
        counters["n_examples_adjusted_label"] += int(
            (keep & (status == LABEL_ADJUSTED)).sum()
        )
        keep &= ~overflow
        label_codes = label_codes[keep]
    n_kept = int(keep.sum())
    counters["n_examples_skip_large_windows_keep"] += n_kept
    counters["n_zmw_pass"] += 1
    counters[f"n_zmw_{split}"] += 1
    counters["n_examples"] += n_kept
    if label is not None:
        counters[f"n_examples_{split}"] += n_kept
    return ZmwWindows(
        name=group.name,
        ordinal=group.ordinal,
        draft=draft,
        num_subreads=len(group.subreads),
        max_passes=config.max_passes,
        use_ccs_bq=config.use_ccs_bq,
        ccs_width=grid.ccs_width,
        rows=rows[keep] if n_kept < n else rows,
        ccs_bq=ccs_bq[keep] if n_kept < n else ccs_bq,
        sn=group.subreads[0].sn,
        window_pos=grid.first_slot[keep],
        window_index=np.flatnonzero(keep).astype(np.int64),
        label_codes=label_codes,
        split=split,
        counters={k: v for k, v in counters.items() if v},
        kinetics=kinetics,
    )

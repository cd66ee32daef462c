"""Cutting a ZMW's spaced alignment into windows and building their tensors.

Window `k` of a ZMW covers spaced columns `[k * W, (k + 1) * W)` of the
shared alignment (`W = window_length`, 100). The number of windows is
`ceil(ccs_width / W)`, where `ccs_width` is the column after the draft's
last base; subread insertion columns after that base still show in the last
window. Concatenating all windows of a ZMW therefore gives the whole spaced
draft, left to right, padded with gaps at the end.

The window tensor follows `dczoo.constants.WindowLayout` (`P = max_passes`):
the first P subreads in BAM order fill the bases, pw, ip and strand rows
(strand 1 forward, 2 reverse, constant over the width), then the draft
bases, the draft base qualities (-1 off draft bases; `use_ccs_bq` only) and
the first subread's signal-to-noise (constant).

Everything but the signal-to-noise is an integer in 0..255 (qualities
-1..93), so windows are kept compactly as uint8 `rows` (the first `4P + 1`
rows, `WindowLayout.num_int_rows`), int16 draft qualities and 4 float32 SNR
values; `assemble_windows` rebuilds the float32 tensor bit for bit.
"""

import dataclasses

import numpy as np

from dczoo.constants import NUM_SN, WindowLayout


@dataclasses.dataclass(frozen=True)
class WindowGrid:
    """Which draft bases fall in which window.

    Attributes:
        n_windows: int. `ceil(ccs_width / window_length)`.
        ccs_width: int. Spaced column after the draft's last base.
        draft_columns: int64 array, the spaced column of each draft base.
        first_slot: int64 array (n_windows,), the first draft position in
            each window (the window's `window_pos`).
        last_slot: int64 array (n_windows,), the last draft position.
        has_draft: bool array (n_windows,), False for a window without any
            draft base (only possible when long insertions are kept).
    """

    n_windows: int
    ccs_width: int
    draft_columns: np.ndarray
    first_slot: np.ndarray
    last_slot: np.ndarray
    has_draft: np.ndarray


def cut_windows(layout, draft_length, window_length):
    """Splits the spaced alignment into windows.

    Args:
        layout: `dczoo.data.spacing.SpacedLayout`.
        draft_length: int. Number of draft bases.
        window_length: int. Spaced columns per window.

    Returns:
        `WindowGrid`.
    """
    draft_columns = layout.slot_column[:draft_length]
    ccs_width = int(draft_columns[-1]) + 1 if draft_length else 0
    n_windows = -(-ccs_width // window_length)
    starts = np.arange(n_windows, dtype=np.int64) * window_length
    first = np.searchsorted(draft_columns, starts, side="left")
    last = np.searchsorted(draft_columns, starts + window_length, side="left") - 1
    return WindowGrid(
        n_windows=n_windows,
        ccs_width=ccs_width,
        draft_columns=draft_columns,
        first_slot=first.astype(np.int64),
        last_slot=last.astype(np.int64),
        has_draft=first <= last,
    )


def build_rows(grid, layout, placed, draft_bases, draft_qualities, max_passes, window_length):
    """Builds the integer rows of every window of a ZMW.

    Args:
        grid: `WindowGrid`.
        layout: `dczoo.data.spacing.SpacedLayout`.
        placed: `dczoo.data.zmw_processing.PlacedSubreads`; the first
            `max_passes` subreads fill rows.
        draft_bases: uint8 token ids of the draft.
        draft_qualities: uint8 draft base qualities.
        max_passes: int.
        window_length: int.

    Returns:
        `(rows, ccs_bq)`: uint8 `(n_windows, 4 * max_passes + 1,
        window_length)` and int16 `(n_windows, window_length)` with -1 off
        draft bases.
    """
    n, rows_of = grid.n_windows, WindowLayout(max_passes)
    total = n * window_length
    flat = np.zeros((rows_of.num_int_rows, total), dtype=np.uint8)
    read = placed.expanded.base_read
    columns = layout.query_columns(placed.expanded)
    shown = (read < max_passes) & (columns < total)
    cells = flat.reshape(-1)
    index = read[shown] * total + columns[shown]
    cells[index + rows_of.bases.start * total] = placed.bases[shown]
    cells[index + rows_of.pw.start * total] = placed.pw[shown]
    cells[index + rows_of.ip.start * total] = placed.ip[shown]
    strands = placed.strands[:max_passes]
    flat[rows_of.first_rows("strand", strands.size)] = strands[:, None]
    flat[rows_of.ccs, grid.draft_columns] = draft_bases
    quality = np.full(total, -1, dtype=np.int16)
    quality[grid.draft_columns] = draft_qualities
    rows = flat.reshape(rows_of.num_int_rows, n, window_length).transpose(1, 0, 2)
    return np.ascontiguousarray(rows), quality.reshape(n, window_length)


def assemble_windows(rows, ccs_bq, sn, use_ccs_bq):
    """Rebuilds the float32 window tensors from their compact parts.

    Args:
        rows: uint8 `(n, 4P + 1, W)` integer rows.
        ccs_bq: int16 `(n, W)` draft qualities (-1 off draft bases).
        sn: float32 `(4,)` (one ZMW) or `(n, 4)` signal-to-noise values.
        use_ccs_bq: bool. Add the draft-quality row (86 rows instead of 85).

    Returns:
        float32 `(n, 4P + 5 [+ 1], W)`, equal to the reference's
        `subreads/encoded` tensor (without its trailing axis of size 1).

    Example:
        >>> rows = np.zeros((2, 81, 100), np.uint8)
        >>> bq = np.full((2, 100), -1, np.int16)
        >>> assemble_windows(rows, bq, np.ones(4, np.float32), True).shape
        (2, 86, 100)
    """
    n, base_rows, width = rows.shape
    height = base_rows + NUM_SN + (1 if use_ccs_bq else 0)
    windows = np.empty((n, height, width), dtype=np.float32)
    windows[:, :base_rows] = rows
    if use_ccs_bq:
        windows[:, base_rows] = ccs_bq
    sn = np.asarray(sn, dtype=np.float32)
    windows[:, height - NUM_SN :] = (sn if sn.ndim == 2 else sn[None])[:, :, None]
    return windows

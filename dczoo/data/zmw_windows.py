"""`ZmwWindows`: all windows of one ZMW, with what training and correction need."""

import dataclasses

import numpy as np

from dczoo.constants import WindowLayout
from dczoo.data.windows import assemble_windows


@dataclasses.dataclass
class ZmwWindows:
    """The windows of one ZMW, as numpy arrays (one row per kept window).

    Windows of a ZMW are contiguous pieces of its spaced draft: window `k`
    covers spaced columns `[k * window_length, (k + 1) * window_length)`
    (`window_index` holds `k`). In inference mode no window is dropped, so
    concatenating the model's `window_length` predictions of windows
    `0, 1, ..., n - 1` in order and removing gap tokens gives the corrected
    read. `window_pos[i]` is the draft position of the first draft base in
    window `i` (the number of draft bases in earlier windows); the draft
    bases of window `i` are at the columns where `ccs_bq[i] >= 0`, in order.
    In training mode windows may be dropped (label overflow), so use
    `window_index` rather than counting.

    Attributes:
        name: str. Draft read name `movie/zmw/ccs` (the output read name).
        ordinal: int. Index of the ZMW in `subreads_to_ccs.bam`.
        draft: `dczoo.data.bam_reader.Draft` (sequence, qualities, ec, np,
            rq, rg, zm) for writing the corrected read.
        num_subreads: int. Subreads of the ZMW (all of them shape the
            spaced alignment; the first `max_passes` fill rows).
        max_passes: int.
        use_ccs_bq: bool. Whether `windows` has the draft-quality row.
        ccs_width: int. Spaced columns up to the draft's last base.
        rows: uint8 `(n, layout.num_int_rows, window_length)`: the integer
            rows of the window tensors (see `dczoo.data.windows`).
        ccs_bq: int16 `(n, window_length)`: draft base quality per column,
            -1 at gaps and padding (the reference's
            `ccs_base_quality_scores`).
        sn: float32 `(4,)`: signal-to-noise of the first subread.
        window_pos: int64 `(n,)`.
        window_index: int64 `(n,)`.
        label_codes: uint8 `(n, window_length)` truth token ids (training
            mode), else None.
        split: str. "train", "eval" or "test" in training mode, else
            "inference".
        skip_reason: str or None. In training mode, the counter that explains
            why a ZMW has no windows (e.g. "n_zmw_missing_truth_range").
        counters: dict of str -> int, this ZMW's share of the summary
            counters (`n_zmw_processed`, `n_examples`, ...).
        kinetics: `dczoo.data.kinetics.DraftKinetics` (mean ip/pw per strand
            and draft position) when preprocessing ran with `kinetics=True`,
            else None.
    """

    name: str
    ordinal: int
    draft: object
    num_subreads: int
    max_passes: int
    use_ccs_bq: bool
    ccs_width: int
    rows: np.ndarray
    ccs_bq: np.ndarray
    sn: np.ndarray
    window_pos: np.ndarray
    window_index: np.ndarray
    label_codes: np.ndarray = None
    split: str = "inference"
    skip_reason: str = None
    counters: dict = dataclasses.field(default_factory=dict)
    kinetics: object = None

    @property
    def n_windows(self):
        """Number of windows kept."""
        return int(self.window_pos.shape[0])

    @property
    def windows(self):
        """float32 `(n, rows, window_length)` tensors, exactly the reference's
        unclipped `subreads/encoded` (85 rows, 86 with `use_ccs_bq`)."""
        return assemble_windows(self.rows, self.ccs_bq, self.sn, self.use_ccs_bq)

    @property
    def labels(self):
        """float32 `(n, window_length)` label token ids, or None."""
        if self.label_codes is None:
            return None
        return self.label_codes.astype(np.float32)

    @property
    def num_passes(self):
        """int64 `(n,)`: subreads in the tensor, `min(num_subreads, max_passes)`."""
        value = min(self.num_subreads, self.max_passes)
        return np.full(self.n_windows, value, dtype=np.int64)

    @property
    def layout(self):
        """The `dczoo.constants.WindowLayout` of the windows."""
        return WindowLayout(self.max_passes, self.use_ccs_bq)

    @property
    def zm(self):
        """ZMW hole number (int), from the read name."""
        return self.draft.zm if self.draft is not None else None

"""`ZmwCorrector`: streams ZMWs' windows through the model into reads.

Windows that need the model are copied into one fixed-size batch buffer,
across ZMW boundaries, so every model call but the last is a full batch and
no Python code runs per window. When a batch is predicted its calls are
scattered back to their ZMWs; a ZMW is stitched, filtered and emitted as soon
as all its windows are called and every earlier ZMW has been emitted, so the
output follows the input order whatever the batch size. Each ZMW is emitted
as a `ZmwResult`: its windows, which of them kept the draft, the calls of
every window, and the read.
"""

import collections
import dataclasses
import time

import numpy as np

from dczoo.constants import MAX_BASE_QUALITY
from dczoo.data import assemble_windows
from dczoo.inference.corrected_read import CorrectedRead
from dczoo.inference.quality import probabilities_to_calls
from dczoo.inference.read_filter import SUCCESS, ReadFilter
from dczoo.inference.stitching import stitch_read, stitched_draft_positions
from dczoo.inference.window_skipping import (
    DEFAULT_SKIP_WINDOWS_ABOVE,
    draft_calls,
    skip_mask,
)


@dataclasses.dataclass
class ZmwResult:
    """One corrected ZMW, as `ZmwCorrector` emits it.

    Attributes:
        zmw: `dczoo.data.ZmwWindows` (name, draft, windows, `window_pos`).
        skipped: bool `(n_windows,)`, windows that kept the draft.
        tokens: uint8 `(n_windows, window_length)` called token ids of each
            window (the model's, or the draft's where skipped).
        qualities: int32 `(n_windows, window_length)` their qualities.
        read: `CorrectedRead` when `outcome` is "success", else None.
        outcome: str, one of `dczoo.inference.read_filter.OUTCOMES`.
        remaining: int. Windows still waiting for the model (0 once emitted).

    Example:
    ```python
    def on_zmw(result):
        print(result.name, result.outcome, result.skipped.sum(), "windows kept the draft")

    correct("subreads_to_ccs.bam", "ccs.bam", on_zmw=on_zmw)
    ```
    """

    zmw: object
    skipped: np.ndarray
    tokens: np.ndarray
    qualities: np.ndarray
    read: object = None
    outcome: str = None
    remaining: int = 0

    @property
    def name(self):
        """The ZMW's draft read name."""
        return self.zmw.name


class ZmwCorrector:
    """Corrects ZMWs given one at a time, emitting reads in the same order.

    Args:
        predictor: an `Engine` (`BatchedPredictor`, `OnnxPredictor`), or
            anything with `batch_size` and `predict_batch(windows)`.
        emit: callable taking a `ZmwResult`, called once per ZMW in input
            order.
        calibration: `QualityCalibration` or None for model qualities.
        ccs_calibration: `QualityCalibration` or None for passed-through
            draft qualities.
        skip_windows_above: float. Draft-average threshold (0: off).
        max_base_quality: int. Quality cap.
        read_filter: `ReadFilter` (counts outcomes).

    Attributes:
        counts: dict of window counters (`windows`, `windows_model`,
            `windows_skipped_quality`, `zmws`).
        postprocess_seconds: float. Time spent on calls, stitching, filters
            and `emit`.
    """

    def __init__(
        self,
        predictor,
        emit,
        calibration=None,
        ccs_calibration=None,
        skip_windows_above=DEFAULT_SKIP_WINDOWS_ABOVE,
        max_base_quality=MAX_BASE_QUALITY,
        read_filter=None,
    ):
        self.predictor = predictor
        self.emit = emit
        self.calibration = calibration
        self.ccs_calibration = ccs_calibration
        self.skip_windows_above = skip_windows_above
        self.max_base_quality = max_base_quality
        self.read_filter = read_filter or ReadFilter()
        self.counts = collections.Counter(
            zmws=0, windows=0, windows_model=0, windows_skipped_quality=0,
        )
        self.postprocess_seconds = 0.0
        self._order = collections.deque()
        self._buffer = None
        self._fill = 0
        self._segments = []

    def add(self, zmw):
        """Takes one `dczoo.data.ZmwWindows` (in input order)."""
        skip = skip_mask(zmw.ccs_bq, self.skip_windows_above)
        shape = (zmw.n_windows, zmw.ccs_bq.shape[1])
        pending = ZmwResult(zmw, skip, np.zeros(shape, np.uint8), np.zeros(shape, np.int32))
        self._order.append(pending)
        self.counts["zmws"] += 1
        self.counts["windows"] += zmw.n_windows
        if skip.any():
            draft_row = zmw.rows[skip, zmw.layout.ccs]
            pending.tokens[skip], pending.qualities[skip] = draft_calls(
                draft_row, zmw.ccs_bq[skip], self.ccs_calibration, self.max_base_quality
            )
            self.counts["windows_skipped_quality"] += int(skip.sum())
        model_index = np.flatnonzero(~skip)
        pending.remaining = model_index.size
        self.counts["windows_model"] += model_index.size
        position = 0
        while position < model_index.size:
            buffer = self._batch_buffer(zmw)
            take = min(buffer.shape[0] - self._fill, model_index.size - position)
            index = model_index[position : position + take]
            buffer[self._fill : self._fill + take] = assemble_windows(
                zmw.rows[index], zmw.ccs_bq[index], zmw.sn, zmw.use_ccs_bq
            )
            self._segments.append((pending, index, self._fill))
            self._fill += take
            position += take
            if self._fill == buffer.shape[0]:
                self._run_batch()
        if self._fill and not getattr(self.predictor, "batch_invariant", True):
            # this engine's outputs depend on the batch: keep each ZMW to itself
            self._run_batch()
        self._emit_ready()

    def finish(self):
        """Predicts the last partial batch and emits every remaining ZMW."""
        if self._fill:
            self._run_batch()
        self._emit_ready()
        if self._order:
            raise RuntimeError("ZMWs left unemitted after the last batch")

    def _batch_buffer(self, zmw):
        shape = (self.predictor.batch_size, zmw.layout.num_rows, zmw.ccs_bq.shape[1])
        if self._buffer is None:
            self._buffer = np.zeros(shape, np.float32)
        elif self._buffer.shape != shape:
            raise ValueError(
                f"{zmw.name}: windows of shape {shape[1:]} differ from earlier "
                f"ones {self._buffer.shape[1:]}"
            )
        return self._buffer

    def _run_batch(self):
        probs = self.predictor.predict_batch(self._buffer[: self._fill])
        start = time.perf_counter()
        tokens, qualities = probabilities_to_calls(
            probs, self.calibration, self.max_base_quality
        )
        for pending, index, offset in self._segments:
            stop = offset + index.size
            pending.tokens[index] = tokens[offset:stop]
            pending.qualities[index] = qualities[offset:stop]
            pending.remaining -= index.size
        self._segments = []
        self._fill = 0
        self.postprocess_seconds += time.perf_counter() - start

    def _emit_ready(self):
        start = time.perf_counter()
        while self._order and self._order[0].remaining == 0:
            result = self._order.popleft()
            zmw = result.zmw
            stitched = stitch_read(
                zmw.window_pos, result.tokens, result.qualities, zmw.ccs_bq.shape[1]
            )
            sequence, qualities = stitched if stitched is not None else (None, None)
            result.outcome = self.read_filter.outcome(sequence, qualities)
            if result.outcome == SUCCESS:
                result.read = CorrectedRead.from_draft(zmw.draft, sequence, qualities)
                if zmw.kinetics is not None:
                    positions = stitched_draft_positions(zmw.window_pos, result.tokens, zmw.ccs_bq)
                    result.read.kinetics = zmw.kinetics.for_read(positions)
            self.emit(result)
        self.postprocess_seconds += time.perf_counter() - start

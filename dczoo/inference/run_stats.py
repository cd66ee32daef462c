"""`RunStats`: the counters and timings of one correction run, and its summary.

The summary is the dict `run_correction` returns as `reads.summary` and
writes to `<output>.summary.json`: inputs, settings, the model, ZMW and
window counts, outcomes, the ZMWs dropped before correction and why, the
reference's preprocessing counters, timings per stage and throughput. Every
ZMW of the input (of the chunk) is in `zmws` or in `zmws_dropped`.
"""

import collections
import contextlib
import dataclasses
import os
import time

from dczoo.inference.read_filter import SUCCESS
from dczoo.version import __version__

# Reasons a ZMW of the input is dropped before correction -> the
# preprocessing counter that counts it.
DROP_REASONS = {"no_aligned_subreads": "n_zmw_no_aligned_subreads"}


def _rate(count, seconds, digits):
    return round(count / seconds, digits) if seconds else None


@dataclasses.dataclass
class RunStats:
    """Counters and timings of a run, gathered while it goes.

    Args:
        subreads_to_ccs: str or Path. ccs_bam: str or Path. The inputs.
        output: str or Path, or None.
        command_line: str or None.

    Attributes:
        preprocessing: `collections.Counter` of the ZMWs' counters.
        started: float. `time.perf_counter()` when the run began.
        setup_seconds: float. From the start to `end_setup()`.
        loop_seconds: float. Time inside `timed_loop()`.

    Example:
    ```python
    stats = RunStats("subreads_to_ccs.bam", "ccs.bam", "out.fastq")
    engine = load_engine(...)
    stats.end_setup()
    with stats.timed_loop():
        ...  # stats.add_counters(zmw.counters) per ZMW
    summary = stats.summary(options, engine, corrector, prefetcher)
    ```
    """

    subreads_to_ccs: object
    ccs_bam: object
    output: object = None
    command_line: str = None
    preprocessing: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    started: float = dataclasses.field(default_factory=time.perf_counter)
    setup_seconds: float = 0.0
    loop_seconds: float = 0.0

    def add_counters(self, counters):
        """Adds one ZMW's preprocessing counters."""
        self.preprocessing.update(counters)

    def end_setup(self):
        """Marks the end of the setup (model loading, checks)."""
        self.setup_seconds = time.perf_counter() - self.started

    @contextlib.contextmanager
    def timed_loop(self):
        """Times the correction loop (the `with` block)."""
        start = time.perf_counter()
        try:
            yield self
        finally:
            self.loop_seconds = time.perf_counter() - start

    def summary(self, options, engine, corrector, prefetcher, exit_status=0):
        """The run summary.

        Args:
            options: `CorrectionOptions` as run (batch size and calibration
                resolved).
            engine: `dczoo.inference.engine.Engine`.
            corrector: `ZmwCorrector` (window counts, outcomes).
            prefetcher: `Prefetcher` (preprocessing busy and wait times).
            exit_status: int. 1 when no read passed the filters.

        Returns:
            dict, ready for `json.dumps`.
        """
        counts = corrector.counts
        outcomes = dict(corrector.read_filter.counts)
        settings = dataclasses.asdict(options)
        settings.pop("progress")
        settings.pop("progress_every")
        loop = self.loop_seconds
        return {
            "dczoo_version": __version__,
            "command_line": self.command_line,
            "inputs": {"subreads_to_ccs": os.fspath(self.subreads_to_ccs),
                       "ccs_bam": os.fspath(self.ccs_bam)},
            "output": None if self.output is None else os.fspath(self.output),
            "output_written": self.output is not None and exit_status == 0,
            "exit_status": exit_status,
            "model": engine.description(),
            "settings": settings,
            "zmws": counts["zmws"],
            "zmws_dropped": {reason: self.preprocessing.get(counter, 0)
                             for reason, counter in DROP_REASONS.items()},
            "windows": {
                "total": counts["windows"],
                "model": counts["windows_model"],
                "skipped_draft_quality": counts["windows_skipped_quality"],
                "padding_computed": engine.n_padded,
            },
            "outcomes": outcomes,
            "reads_written": outcomes[SUCCESS] if exit_status == 0 else 0,
            "preprocessing_counters": dict(sorted(self.preprocessing.items())),
            "timings_s": {
                "setup_model_loading": round(self.setup_seconds, 3),
                "preprocess_producer_busy": round(prefetcher.busy_seconds, 3),
                "wait_for_preprocessing": round(prefetcher.wait_seconds, 3),
                "model": round(engine.model_seconds, 3),
                "calls_stitch_filter_write": round(corrector.postprocess_seconds, 3),
                "correction_loop": round(loop, 3),
                "total": round(time.perf_counter() - self.started, 3),
            },
            "throughput": {
                "zmws_per_s": _rate(counts["zmws"], loop, 3),
                "model_windows_per_s": _rate(engine.n_predicted, engine.model_seconds, 2),
            },
        }

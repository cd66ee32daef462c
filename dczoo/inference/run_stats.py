"""`RunStats`: the counters and timings of one correction run, and its summary.

The summary is the dict `run_correction` returns as `reads.summary` and
writes to `<output>.summary.json`: inputs, settings, the model, ZMW and
window counts, outcomes, the ZMWs dropped before correction and why, the
reference's preprocessing counters, timings per stage and throughput. Every
ZMW of the input (of the chunk) is in `zmws` or in `zmws_dropped`.

Two entries let `dczoo merge` put shards back together and check them:
`input_fingerprints` (`input_fingerprint` of each input) and, for a
`--chunk i/N` run, `chunk` (`chunk_summary`: which ZMWs of the chunk have a
read in the output, in output order).
"""

import collections
import contextlib
import dataclasses
import hashlib
import os
import time

from dczoo.inference.read_filter import SUCCESS
from dczoo.version import __version__

# Reasons a ZMW of the input is dropped before correction -> the
# preprocessing counter that counts it.
DROP_REASONS = {"no_aligned_subreads": "n_zmw_no_aligned_subreads"}


# Bytes hashed at each end of an input for its fingerprint.
FINGERPRINT_END_BYTES = 1 << 20


def input_fingerprint(path):
    """A cheap identity of an input file: its size and a hash of both ends.

    Reads at most 2 MiB whatever the file's size, so every shard of a SMRT
    Cell can record it; two BAM files of the same size whose first and last
    MiB are equal are taken as the same input.

    Args:
        path: str or Path.

    Returns:
        str `"<bytes>:<sha256 hex of the first and last MiB>"`.

    Example:
    ```python
    input_fingerprint("ccs.bam")   # '19714:5f0c...'
    ```
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(handle.read(FINGERPRINT_END_BYTES))
        if size > FINGERPRINT_END_BYTES:
            handle.seek(max(FINGERPRINT_END_BYTES, size - FINGERPRINT_END_BYTES))
            digest.update(handle.read())
    return f"{size}:{digest.hexdigest()}"


def chunk_summary(chunk, ordinals):
    """The summary's `chunk` entry of a `--chunk i/N` run.

    Args:
        chunk: `(i, N)`.
        ordinals: iterable of int, the input ordinals (positions in
            `subreads_to_ccs.bam`) of the ZMWs whose read was written, in
            output order (increasing, each `i` modulo `N`).

    Returns:
        dict with `index` (i), `count` (N) and `read_positions`: where the
        written reads are in the chunk, as ranges of `j` (the chunk's
        `j`-th ZMW has ordinal `i + j * N`), e.g. `"0-4,6,9-12"`.

    Example:
    >>> chunk_summary((1, 3), [1, 4, 7, 13])
    {'index': 1, 'count': 3, 'read_positions': '0-2,4'}
    """
    index, count = chunk
    ranges = []
    for position in ((ordinal - index) // count for ordinal in ordinals):
        if ranges and position == ranges[-1][1] + 1:
            ranges[-1][1] = position
        else:
            ranges.append([position, position])
    text = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
    return {"index": index, "count": count, "read_positions": text}


def read_ordinals(chunk):
    """The input ordinals of a shard's reads, from its summary's `chunk`.

    Args:
        chunk: dict, as `chunk_summary` returns it.

    Returns:
        list of int, in the shard's output order.

    Raises:
        ValueError: `read_positions` is not a list of increasing ranges.

    Example:
    >>> read_ordinals({"index": 1, "count": 3, "read_positions": "0-2,4"})
    [1, 4, 7, 13]
    """
    index, count, text = int(chunk["index"]), int(chunk["count"]), chunk["read_positions"]
    positions = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        first, last = int(first), int(last or first)
        if last < first or (positions and first <= positions[-1]):
            raise ValueError(f"read_positions {part!r} is not increasing")
        positions.extend(range(first, last + 1))
    return [index + position * count for position in positions]


def _rate(count, seconds, digits):
    return round(count / seconds, digits) if seconds else None


@dataclasses.dataclass
class RunStats:
    """Counters and timings of a run, gathered while it goes.

    Args:
        subreads_to_ccs: str or Path. ccs_bam: str or Path. The inputs.
        output: str or Path, or None.
        command_line: str or None.
        chunk: `(i, N)` of a `--chunk` run, or None.

    Attributes:
        preprocessing: `collections.Counter` of the ZMWs' counters.
        started: float. `time.perf_counter()` when the run began.
        setup_seconds: float. From the start to `end_setup()`.
        loop_seconds: float. Time inside `timed_loop()`.
        written_ordinals: list of int. Input ordinals of the reads written
            (`add_read`), recorded for a `--chunk` run only.

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
    chunk: tuple = None
    preprocessing: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    started: float = dataclasses.field(default_factory=time.perf_counter)
    setup_seconds: float = 0.0
    loop_seconds: float = 0.0
    written_ordinals: list = dataclasses.field(default_factory=list)

    def add_read(self, ordinal):
        """Notes that the read of the ZMW with input ordinal `ordinal` was written."""
        if self.chunk is not None:
            self.written_ordinals.append(ordinal)

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
        summary = {
            "dczoo_version": __version__,
            "command_line": self.command_line,
            "inputs": {"subreads_to_ccs": os.fspath(self.subreads_to_ccs),
                       "ccs_bam": os.fspath(self.ccs_bam)},
            "input_fingerprints": {"subreads_to_ccs": input_fingerprint(self.subreads_to_ccs),
                                   "ccs_bam": input_fingerprint(self.ccs_bam)},
            "output": None if self.output is None else os.fspath(self.output),
            "output_written": self.output is not None and exit_status == 0,
            "exit_status": exit_status,
            "model": engine.description(),
            "model_threads": dict(engine.threads),
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
        if self.chunk is not None:
            summary["chunk"] = chunk_summary(self.chunk, self.written_ordinals if exit_status == 0 else [])
        return summary

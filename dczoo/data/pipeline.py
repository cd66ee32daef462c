"""`iter_zmw_windows`: BAM pair -> one `ZmwWindows` per ZMW, in input order.

This is the single entry point that training data preparation
(`dczoo preprocess`) and read correction (`dczoo correct`) share.

With `cpus > 1`, the parent scans the BAMs once and workers seek to their
ZMWs (see `dczoo.data.workers`); results come back in input order whatever
`cpus` is, and equal the serial ones.
"""

import dataclasses
import itertools
import multiprocessing
import os
import sys

from dczoo.constants import INS_TRIM, MAX_PASSES, WINDOW_LENGTH
from dczoo.data.bam_reader import check_subreads_header, close_quietly, open_bam
from dczoo.data.workers import iter_parallel, run_job
from dczoo.data.zmw_groups import check_bam_roles, iter_zmw_groups
from dczoo.data.zmw_processing import PreprocessConfig
from dczoo.errors import DczooInputError
from dczoo.progress import DEFAULT_PROGRESS_EVERY, Progress
from dczoo.validation import check_number


@dataclasses.dataclass(frozen=True)
class _Job:
    subreads_to_ccs: str
    ccs_bam: str
    config: PreprocessConfig
    truth: object
    chunk: tuple
    transform: object = None


def parse_chunk(text):
    """Parses a `"i/N"` chunk string.

    Args:
        text: str such as "0/4", or None.

    Returns:
        `(i, N)` tuple, or None.

    Example:
        >>> parse_chunk("1/4")
        (1, 4)
    """
    if text is None:
        return None
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise DczooInputError(f"chunk {text!r}: expected i/N, e.g. 0/4") from None
    return _check_chunk((index, count))


def _check_chunk(chunk):
    if chunk is None:
        return None
    index, count = chunk
    if count < 1 or not 0 <= index < count:
        raise DczooInputError(f"chunk {index}/{count}: need 0 <= i < N")
    return int(index), int(count)


def _selector(chunk):
    if chunk is None:
        return None
    index, count = chunk
    return lambda ordinal: ordinal % count == index


def _iter_serial(job):
    for group in iter_zmw_groups(job.subreads_to_ccs, job.ccs_bam, _selector(job.chunk)):
        yield run_job(job, group)


_THREADED_BACKENDS = ("jax", "tensorflow", "torch")


def default_start_method():
    """"fork" when safe (cheapest), else "forkserver" or "spawn".

    Forking a process that already runs a multithreaded backend (JAX,
    TensorFlow, PyTorch) can deadlock, so then a fresh server process forks
    the workers instead (it imports numpy, pysam and dczoo.data only).
    """
    methods = multiprocessing.get_all_start_methods()
    threaded = any(name in sys.modules for name in _THREADED_BACKENDS)
    if "fork" in methods and not threaded:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def count_zmws(subreads_to_ccs, chunk=None):
    """Number of ZMWs a run will yield, from the @SQ lines (for progress).

    Args:
        subreads_to_ccs: str or Path.
        chunk: optional `(i, N)`.

    Returns:
        int (an upper bound when some drafts have no aligned subreads).
    """
    path = os.fspath(subreads_to_ccs)
    bam = open_bam(path, "subreads_to_ccs.bam")
    try:
        total = check_subreads_header(bam, path)
    finally:
        close_quietly(bam)
    if chunk is None:
        return total
    index, count = chunk
    return len(range(index, total, count))


def iter_zmw_windows(
    subreads_to_ccs,
    ccs_bam,
    *,
    use_ccs_bq=False,
    max_passes=MAX_PASSES,
    window_length=WINDOW_LENGTH,
    ins_trim=INS_TRIM,
    cpus=1,
    truth=None,
    chunk=None,
    progress=False,
    progress_every=DEFAULT_PROGRESS_EVERY,
    start_method=None,
    queue_size=4,
    transform=None,
    kinetics=False,
):
    """Preprocesses a BAM pair into windows, one `ZmwWindows` per ZMW.

    Output is bit-exact with DeepConsensus 1.2 preprocessing and in input
    order for any `cpus`. See `dczoo.data.ZmwWindows` for how windows tile a
    ZMW's spaced draft (needed to stitch predictions back into reads).

    Args:
        subreads_to_ccs: str or Path. Subreads aligned to their draft (actc).
        ccs_bam: str or Path. Drafts, in the same ZMW order.
        use_ccs_bq: bool. Add the draft base-quality row (86 rows).
        max_passes: int. Subreads filling tensor rows (20).
        window_length: int. Spaced columns per window (100).
        ins_trim: int. Insertions longer than this are removed (5; 0: off).
        cpus: int. Worker processes; 1 (or 0) runs in this process.
        truth: optional `dczoo.data.TruthInputs`: training mode (labels and
            splits; ZMWs without usable truth come with `skip_reason`).
        chunk: optional `(i, N)` or "i/N": only ZMWs whose 0-based ordinal in
            `subreads_to_ccs` is `i` modulo `N` (interleaved, so chunks are
            balanced without an index; every chunk still streams both files).
        progress: bool. Report progress on stderr: a tqdm bar on a
            terminal, else a line every `progress_every` seconds (ZMWs,
            ZMWs/s, windows/s, ETA; see `dczoo.progress`).
        progress_every: float. Seconds between those lines (0: one per ZMW).
        start_method: multiprocessing start method; default
            `default_start_method()` ("fork" unless a multithreaded deep
            learning backend is already imported, then "forkserver").
        queue_size: int. ZMWs in flight per worker.
        transform: optional picklable (module-level) function applied to
            each `ZmwWindows` inside the worker; its results are yielded
            instead (e.g. `dczoo.data.pack_for_shards`, which compresses
            windows for `DatasetWriter` in parallel). They must have the
            `n_windows` attribute for the progress bar.
        kinetics: bool. Also average the subreads' ip/pw per strand and
            draft position into `ZmwWindows.kinetics` (for the
            `ccs --hifi-kinetics` tags of `dczoo correct --kinetics`).

    Returns:
        An iterator of `ZmwWindows`, in the order of `subreads_to_ccs`.
        Arguments and file headers are checked before it is returned.

    Raises:
        DczooInputError: for bad inputs (file, read and problem named),
            here or while iterating.

    Example:
        >>> for zmw in iter_zmw_windows("subreads_to_ccs.bam", "ccs.bam",
        ...                             cpus=2):  # doctest: +SKIP
        ...     print(zmw.name, zmw.windows.shape)
    """
    chunk = parse_chunk(chunk) if isinstance(chunk, str) else _check_chunk(chunk)
    if window_length < 1 or max_passes < 1:
        raise DczooInputError("window_length and max_passes must be positive")
    check_number("ins_trim", ins_trim, minimum=0, integer=True)
    check_number("progress_every", progress_every, minimum=0)
    config = PreprocessConfig(
        max_passes=int(max_passes),
        window_length=int(window_length),
        ins_trim=int(ins_trim),
        use_ccs_bq=bool(use_ccs_bq),
        kinetics=bool(kinetics),
    )
    job = _Job(
        os.fspath(subreads_to_ccs), os.fspath(ccs_bam), config, truth, chunk, transform
    )
    check_bam_roles(job.subreads_to_ccs, job.ccs_bam)
    total = count_zmws(job.subreads_to_ccs, chunk)  # validates the file now
    close_quietly(open_bam(job.ccs_bam, "ccs.bam"))
    cpus = max(1, int(cpus or 1))
    return _generate(job, cpus, total, progress_every if progress else None, start_method,
                     queue_size)


def _generate(job, cpus, total, progress_every, start_method, queue_size):
    """Yields the ZMWs; `progress_every`: None (no progress), or the seconds
    between progress lines off a terminal."""
    if cpus == 1:
        results = _iter_serial(job)
    else:
        results = iter_parallel(
            job, _selector(job.chunk), cpus, start_method or default_start_method(),
            queue_size,
        )
    if progress_every is None:
        yield from results
        return
    # Start the workers (fork) before tqdm starts its monitor thread.
    first = next(results, None)
    if first is None:
        return
    with Progress("preprocess", total, every=progress_every) as progress:
        for zmw in itertools.chain([first], results):
            progress.update(1, windows=zmw.n_windows)
            yield zmw


def sum_counters(zmws_counters):
    """Adds up per-ZMW counters.

    Args:
        zmws_counters: iterable of dicts (e.g. `ZmwWindows.counters`).

    Returns:
        dict of str -> int, keys sorted.
    """
    total = {}
    for counters in zmws_counters:
        for key, value in counters.items():
            total[key] = total.get(key, 0) + value
    return dict(sorted(total.items()))

"""`iter_zmw_windows`: BAM pair -> one `ZmwWindows` per ZMW, in input order.

This is the single entry point that training data preparation
(`dczoo preprocess`) and read correction (`dczoo correct`) share.

With `cpus > 1`, worker process `k` of `K` handles the `k`-th, `(k + K)`-th,
... selected ZMW: every worker streams both BAMs itself (matching each ZMW's
draft, so order errors are found identically), but parses and processes only
its own ZMWs. The parent takes results round-robin from the workers, which
gives exactly the serial order whatever `cpus` is. Workers import numpy and
pysam only.
"""

import dataclasses
import itertools
import multiprocessing
import os
import queue as queue_module
import traceback

from dczoo.data.bam_reader import check_subreads_header, iter_zmw_groups, open_bam
from dczoo.data.zmw_processing import PreprocessConfig, process_zmw
from dczoo.errors import DczooError, DczooInputError

_END = "__dczoo_worker_done__"


@dataclasses.dataclass(frozen=True)
class _Job:
    subreads_to_ccs: str
    ccs_bam: str
    config: PreprocessConfig
    truth: object
    chunk: tuple
    transform: object = None


@dataclasses.dataclass
class _Failure:
    error: BaseException
    trace: str


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


def _selector(chunk, worker, n_workers):
    index, count = chunk or (0, 1)

    def select(ordinal):
        if ordinal % count != index:
            return False
        return (ordinal // count) % n_workers == worker

    return select


def _iter_job(job, worker=0, n_workers=1):
    select = _selector(job.chunk, worker, n_workers)
    for group in iter_zmw_groups(job.subreads_to_ccs, job.ccs_bam, select=select):
        if group.draft is not None:
            zmw = process_zmw(
                group, job.config, job.truth, subreads_path=job.subreads_to_ccs
            )
            yield zmw if job.transform is None else job.transform(zmw)


def _worker_main(job, worker, n_workers, results):
    try:
        for zmw in _iter_job(job, worker, n_workers):
            results.put(zmw)
        results.put(_END)
    except BaseException as error:  # reported to the parent, which re-raises
        if not isinstance(error, DczooError):
            error = RuntimeError(f"{type(error).__name__}: {error}")
        results.put(_Failure(error, traceback.format_exc()))


def _next_result(results, process, worker):
    while True:
        try:
            return results.get(timeout=0.5)
        except queue_module.Empty:
            if not process.is_alive():
                try:
                    return results.get(timeout=0.5)
                except queue_module.Empty:
                    raise RuntimeError(
                        f"preprocessing worker {worker} exited with code "
                        f"{process.exitcode} without reporting"
                    ) from None


def _iter_parallel(job, cpus, start_method, queue_size):
    context = multiprocessing.get_context(start_method)
    queues = [context.Queue(maxsize=queue_size) for _ in range(cpus)]
    processes = [
        context.Process(
            target=_worker_main,
            args=(job, k, cpus, queues[k]),
            name=f"dczoo-preprocess-{k}",
            daemon=True,
        )
        for k in range(cpus)
    ]
    for process in processes:
        process.start()
    try:
        turn = 0
        while True:
            k = turn % cpus
            item = _next_result(queues[k], processes[k], k)
            if isinstance(item, str) and item == _END:
                return
            if isinstance(item, _Failure):
                if isinstance(item.error, DczooError):
                    raise item.error
                raise RuntimeError(
                    f"preprocessing worker {k} failed:\n{item.trace}"
                ) from item.error
            yield item
            turn += 1
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        for results in queues:
            results.close()


def _default_start_method():
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods else "spawn"


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
        bam.close()
    if chunk is None:
        return total
    index, count = chunk
    return len(range(index, total, count))


def iter_zmw_windows(
    subreads_to_ccs,
    ccs_bam,
    *,
    use_ccs_bq=False,
    max_passes=20,
    window_length=100,
    ins_trim=5,
    cpus=1,
    truth=None,
    chunk=None,
    progress=False,
    start_method=None,
    queue_size=4,
    transform=None,
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
            balanced without an index; every chunk still reads both files).
        progress: bool. Show a tqdm bar (ZMWs/s) on stderr.
        start_method: multiprocessing start method; default "fork" where
            available (workers then inherit imported modules), else "spawn".
        queue_size: int. Finished ZMWs buffered per worker.
        transform: optional picklable (module-level) function applied to
            each `ZmwWindows` inside the worker; its results are yielded
            instead (e.g. `dczoo.data.pack_for_shards`, which compresses
            windows for `DatasetWriter` in parallel). They must have the
            `n_windows` attribute for the progress bar.

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
    config = PreprocessConfig(
        max_passes=int(max_passes),
        window_length=int(window_length),
        ins_trim=int(ins_trim),
        use_ccs_bq=bool(use_ccs_bq),
    )
    job = _Job(
        os.fspath(subreads_to_ccs), os.fspath(ccs_bam), config, truth, chunk, transform
    )
    total = count_zmws(job.subreads_to_ccs, chunk)  # validates the file now
    open_bam(job.ccs_bam, "ccs.bam").close()
    cpus = max(1, int(cpus or 1))
    return _generate(job, cpus, total, progress, start_method, queue_size)


def _generate(job, cpus, total, progress, start_method, queue_size):
    if cpus == 1:
        results = _iter_job(job)
    else:
        results = _iter_parallel(
            job, cpus, start_method or _default_start_method(), queue_size
        )
    if not progress:
        yield from results
        return
    from tqdm.auto import tqdm

    # Start the workers (fork) before tqdm starts its monitor thread.
    first = next(results, None)
    if first is None:
        return
    windows = 0
    with tqdm(total=total, unit="ZMW", desc="preprocess", dynamic_ncols=True) as bar:
        for zmw in itertools.chain([first], results):
            windows += zmw.n_windows
            bar.update(1)
            bar.set_postfix(windows=windows, refresh=False)
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

"""Multi-process preprocessing with the serial output order.

The parent scans both BAMs once (`scan_zmw_locations`: grouping, draft
matching and order checks) and sends each ZMW's file offsets to worker
`ordinal_rank % K`. Workers seek to their ZMWs, parse and process them, and
return results on their own queue; the parent takes results round-robin, so
the output order is the input order for any number of workers. At most
`depth` ZMWs per worker are in flight. Workers import numpy and pysam only.
"""

import collections
import dataclasses
import multiprocessing
import queue as queue_module
import traceback

from dczoo.data.zmw_groups import GroupReader, scan_zmw_locations
from dczoo.data.zmw_processing import process_zmw
from dczoo.errors import DczooError


@dataclasses.dataclass
class _Failure:
    error: BaseException
    trace: str


def run_job(job, group):
    """Processes one ZMW group of a job (and applies its transform)."""
    zmw = process_zmw(group, job.config, job.truth, subreads_path=job.subreads_to_ccs)
    return zmw if job.transform is None else job.transform(zmw)


def _worker_main(job, tasks, results):
    reader = None
    try:
        reader = GroupReader(job.subreads_to_ccs, job.ccs_bam)
        while True:
            location = tasks.get()
            if location is None:
                return
            results.put(run_job(job, reader.read(location)))
    except BaseException as error:  # reported to the parent, which re-raises
        if not isinstance(error, DczooError):
            error = RuntimeError(f"{type(error).__name__}: {error}")
        results.put(_Failure(error, traceback.format_exc()))
    finally:
        if reader is not None:
            reader.close()


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


def iter_parallel(job, select, cpus, start_method, depth=4):
    """Yields `run_job` results for the selected ZMWs, in input order.

    Args:
        job: the pipeline's job description (paths, config, truth, transform).
        select: callable `ordinal -> bool`.
        cpus: int. Worker processes.
        start_method: multiprocessing start method.
        depth: int. ZMWs in flight per worker.

    Yields:
        Results in the order of `subreads_to_ccs.bam`.
    """
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(["dczoo.data.workers"])
    tasks = [context.Queue() for _ in range(cpus)]
    results = [context.Queue() for _ in range(cpus)]
    processes = [
        context.Process(
            target=_worker_main,
            args=(job, tasks[k], results[k]),
            name=f"dczoo-preprocess-{k}",
            daemon=True,
        )
        for k in range(cpus)
    ]
    for process in processes:
        process.start()
    locations = scan_zmw_locations(job.subreads_to_ccs, job.ccs_bam, select)
    in_flight = collections.deque()
    scan_error = None
    sent = 0
    try:
        while True:
            while scan_error is None and len(in_flight) < cpus * depth:
                try:
                    location = next(locations)
                except StopIteration:
                    break
                except DczooError as error:  # report after earlier ZMWs
                    scan_error = error
                    break
                worker = sent % cpus
                tasks[worker].put(location)
                in_flight.append(worker)
                sent += 1
            if not in_flight:
                break
            worker = in_flight.popleft()
            item = _next_result(results[worker], processes[worker], worker)
            if isinstance(item, _Failure):
                if isinstance(item.error, DczooError):
                    raise item.error
                raise RuntimeError(
                    f"preprocessing worker {worker} failed:\n{item.trace}"
                ) from item.error
            yield item
        if scan_error is not None:
            raise scan_error
        for queue in tasks:
            queue.put(None)
        for process in processes:
            process.join(timeout=10)
    finally:
        locations.close()
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        for queue in tasks + results:
            queue.close()
            queue.cancel_join_thread()

"""Running an iterator ahead in a background thread.

The model call releases the GIL (TensorFlow, XLA and PyTorch kernels run in
C++), so preprocessing pulled by a thread, or gathered from worker processes
by a thread, overlaps with inference instead of alternating with it.
"""

import queue
import threading
import time

_END = object()


class _Raised:
    def __init__(self, error):
        self.error = error


class Prefetcher:
    """Iterates `iterable` in a daemon thread, up to `depth` items ahead.

    Exceptions raised by the iterable are re-raised by the consumer. `close()`
    (also on leaving a `with` block) stops the thread after its current item
    and closes the iterable from that thread.

    Args:
        iterable: any iterable (e.g. `dczoo.data.iter_zmw_windows(...)`).
        depth: int. Items buffered ahead (a memory bound).

    Attributes:
        busy_seconds: float. Time the thread spent producing items.
        wait_seconds: float. Time the consumer spent waiting for items.

    Example:
    >>> with Prefetcher(range(3), depth=2) as items:
    ...     list(items)
    [0, 1, 2]
    """

    def __init__(self, iterable, depth=8):
        self._iterable = iterable
        self._queue = queue.Queue(maxsize=max(1, int(depth)))
        self._stop = threading.Event()
        self.busy_seconds = 0.0
        self.wait_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name="dczoo-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        iterator = iter(self._iterable)
        try:
            while not self._stop.is_set():
                start = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    self._put(_END)
                    return
                finally:
                    self.busy_seconds += time.perf_counter() - start
                if not self._put(item):
                    return
        except BaseException as error:  # handed to the consumer
            self._put(_Raised(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def __iter__(self):
        while True:
            start = time.perf_counter()
            item = self._queue.get()
            self.wait_seconds += time.perf_counter() - start
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item

    def close(self, timeout=5.0):
        """Stops the producer thread (waits up to `timeout` seconds)."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

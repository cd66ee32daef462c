"""Running one correction at a time in a thread that a Cancel click can stop.

Gradio's cancel only stops a handler between two `yield`s; a correction is
one long call. So the handler runs the work in a `BackgroundJob` thread and
yields progress while it waits. Cancel raises `RunCancelled` inside that
thread (`PyThreadState_SetAsyncExc`), which takes effect as soon as the
thread runs Python code again, i.e. after the current model batch: the
pipeline then cleans up as it does on Ctrl-C. A process-wide lock makes sure
a cancelled run has stopped before the next one starts.
"""

import ctypes
import threading
import time

RUN_LOCK = threading.Lock()


class RunCancelled(KeyboardInterrupt):
    """Raised inside a job's thread when the visitor clicks Cancel."""


class BackgroundJob:
    """Calls `work()` in a daemon thread, holding `RUN_LOCK` while it runs.

    Args:
        work: callable with no arguments.

    Attributes:
        result: what `work` returned. error: the exception it raised, or None.
        waited_seconds: float. Time spent waiting for an earlier run to stop.

    Example:
    ```python
    job = BackgroundJob(lambda: 42).start()
    while not job.wait(0.5):
        pass
    job.result
    ```
    """

    def __init__(self, work):
        self._work = work
        self._thread = threading.Thread(target=self._run, name="dczoo-space-run", daemon=True)
        self._running = False
        self._state_lock = threading.Lock()
        self.cancelled = False
        self.result = None
        self.error = None
        self.waited_seconds = 0.0

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        started = time.perf_counter()
        try:
            with RUN_LOCK:
                self.waited_seconds = time.perf_counter() - started
                with self._state_lock:
                    self._running = not self.cancelled
                if not self._running:
                    raise RunCancelled()
                try:
                    self.result = self._work()
                finally:
                    with self._state_lock:
                        self._running = False
        except BaseException as error:  # handed to the waiting handler
            if self.cancelled and not isinstance(error, RunCancelled):
                # The asynchronous exception can land inside C code that does
                # not expect it (seen once as a SystemError from a list
                # operation under TensorFlow); the run was still cancelled,
                # and the pipeline cleans up on any exception.
                cancelled = RunCancelled(f"cancelled ({type(error).__name__}: {error})")
                cancelled.__cause__ = error
                error = cancelled
            self.error = error

    def wait(self, timeout):
        """Waits up to `timeout` seconds; True once the work has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self):
        """Stops the work at its next Python instruction (or before it starts)."""
        with self._state_lock:
            self.cancelled = True
            if self._running and self._thread.ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread.ident), ctypes.py_object(RunCancelled)
                )

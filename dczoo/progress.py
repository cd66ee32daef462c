"""Progress of a long run on stderr, on a terminal and in a batch job's log.

`dczoo correct`, `dczoo preprocess` and `dczoo simulate` report progress
through `Progress`. On a terminal (or in a Jupyter notebook) it is a tqdm
bar. When stderr is not a terminal (a cluster job that redirects it to a
file, a pipe, a workflow engine), a bar would write nothing useful, so
`Progress` writes a plain line every `every` seconds instead:

```
dczoo correct: DONE/TOTAL ZMWs (SHARE%), RATE ZMWs/s, RATE windows/s, elapsed H:MM:SS, ETA H:MM:SS
```

ZMWs done (of the total when it is known), the average rates since the
start, the time elapsed and the estimated time left (only with a total;
"windows/s" only when the caller counts windows). A last line follows when
the run ends, if any line was written and ZMWs were done since the last one.
Lines are written as the work advances, so a run that is stalled writes
none. `enabled=False` (the commands' `--quiet`) writes nothing.

Example:
```python
from dczoo.progress import Progress

with Progress("correct", total=len(zmws), every=30) as progress:
    for zmw in zmws:
        ...
        progress.update(windows=zmw.n_windows)
```
"""

import sys
import time

from dczoo.validation import check_number

DEFAULT_PROGRESS_EVERY = 30.0


def _clock(seconds):
    """Seconds as H:MM:SS."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _in_notebook():
    """Whether tqdm draws its notebook widget here (a Jupyter kernel)."""
    from tqdm.auto import tqdm  # noqa: F401  (picks the notebook or the console bar)
    from tqdm.std import tqdm as console

    chosen = sys.modules.get("tqdm.autonotebook")
    return chosen is not None and chosen.tqdm is not console


class Progress:
    """A tqdm bar on a terminal, else a log line every `every` seconds.

    Args:
        label: str. What runs, e.g. "correct": the bar's description and
            the `dczoo LABEL:` prefix of the log lines.
        total: optional int, the number of units the run will do.
        unit: str. What is counted, singular ("ZMW"); the log lines add "s".
        every: float >= 0. Seconds between log lines (0: a line at every
            update).
        enabled: bool. False: no bar and no lines.
        stream: where to write; default `sys.stderr`.
        terminal: optional bool. Draw a bar (True) or write lines (False);
            default: a bar when `stream` is a terminal or in a notebook.

    Raises:
        DczooInputError: `every` is negative, NaN or infinite.

    Example:
    >>> import io
    >>> log = io.StringIO()
    >>> with Progress("correct", total=4, every=0, stream=log) as progress:
    ...     progress.update(2, windows=30)
    >>> log.getvalue().startswith("dczoo correct: 2/4 ZMWs (50.0%), ")
    True
    """

    def __init__(self, label, total=None, *, unit="ZMW", every=DEFAULT_PROGRESS_EVERY,
                 enabled=True, stream=None, terminal=None):
        self.every = check_number("--progress-every", every, minimum=0)
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.windows = None
        self._bar = None
        self._lines = 0
        self._logged_done = 0
        self._start = self._last_line = time.monotonic()
        self._log = False
        if not enabled:
            return
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty and isatty()) or _in_notebook()
        if terminal:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit=unit, desc=label, dynamic_ncols=True,
                             file=self.stream)
        else:
            self._log = True

    def update(self, count=1, windows=None):
        """Counts `count` more units done (and `windows` more windows).

        Args:
            count: int, units done since the last call.
            windows: optional int, windows done since the last call; the
                log lines show windows/s once any call gave them.
        """
        self.done += count
        if windows is not None:
            self.windows = (self.windows or 0) + windows
        if self._bar is not None:
            self._bar.update(count)
            if windows is not None:
                self._bar.set_postfix(windows=self.windows, refresh=False)
        elif self._log and time.monotonic() - self._last_line >= self.every:
            self._write_line()

    def line(self):
        """The log line for the progress so far.

        Returns:
            str, without the newline.
        """
        elapsed = time.monotonic() - self._start
        units = f"{self.unit}s"
        if self.total:
            share = 100.0 * self.done / self.total
            parts = [f"dczoo {self.label}: {self.done}/{self.total} {units} ({share:.1f}%)"]
        else:
            parts = [f"dczoo {self.label}: {self.done} {units}"]
        if elapsed > 0:
            parts.append(f"{self.done / elapsed:.2f} {units}/s")
            if self.windows is not None:
                parts.append(f"{self.windows / elapsed:.1f} windows/s")
        parts.append(f"elapsed {_clock(elapsed)}")
        if self.total and self.done and elapsed > 0:
            left = max(0, self.total - self.done) * elapsed / self.done
            parts.append(f"ETA {_clock(left)}")
        return ", ".join(parts)

    def _write_line(self):
        print(self.line(), file=self.stream, flush=True)
        self._last_line = time.monotonic()
        self._logged_done = self.done
        self._lines += 1

    def close(self):
        """Closes the bar, or writes the last line (see the module doc)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._log and self._lines and self.done != self._logged_done:
            self._write_line()
        self._log = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

"""Keeps the start-up chatter of TensorFlow's C++ libraries off stderr.

Importing TensorFlow (the Keras backend, or a DeepConsensus checkpoint
read on another backend) writes INFO lines from C++ straight to file
descriptor 2: absl's "All log messages before absl::InitializeLog() is
called are written to STDERR", oneDNN's "custom operations are on" (once
per library that carries its own copy of absl) and the CPU feature guard's
"rebuild TensorFlow with the appropriate compiler flags". Several of these
libraries ignore `TF_CPP_MIN_LOG_LEVEL`, and they write before Python could
change any setting, so the environment variable alone cannot hide them.

`quiet_native_logs()`, around a command, therefore does two things: it sets
`TF_CPP_MIN_LOG_LEVEL=2` (unless the user set it) for the libraries that do
read it, and while the `tensorflow` package is first imported it points
file descriptor 2 at a temporary file, then writes back every line except
native INFO and WARNING lines and the two lines above. Errors (`E...`,
`F...` lines) and anything Python writes still reach stderr. The commands'
`--verbose` turns all of this off.

Example:
```python
with quiet_native_logs(enabled=not args.verbose):
    args.func(args)
```
"""

import contextlib
import importlib.abc
import os
import re
import sys
import tempfile

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LOG_LEVEL = "2"  # errors only
_QUIET_IMPORTS = ("tensorflow",)

# absl / glog line prefix: severity, MMDD, time (seconds since 1970 before absl
# is initialised), thread id, file:line]
_NATIVE_INFO = re.compile(r"^[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] ")
_NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "rebuild TensorFlow with the appropriate compiler flags",
)


def is_noise(line):
    """Whether a line written while TensorFlow loads is start-up chatter.

    Args:
        line: str, one line of stderr.

    Returns:
        bool. True for native INFO/WARNING lines (absl or glog format) and
        the absl and CPU-feature lines that have no such prefix.

    Example:
    >>> is_noise("I0000 00:00:1796624273.914173   19093 port.cc:153] oneDNN custom operations are on.")
    True
    >>> is_noise("E0000 00:00:1796624273.914173   19093 op.cc:1] something failed")
    False
    """
    return bool(_NATIVE_INFO.match(line)) or any(text in line for text in _NOISE)


@contextlib.contextmanager
def _filtered_stderr():
    """Sends file descriptor 2 to a temporary file; on exit writes back
    the lines that are not `is_noise`."""
    sys.stderr.flush()
    saved = os.dup(2)
    capture = tempfile.TemporaryFile()
    try:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(keepends=True) if not is_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
    finally:
        os.close(saved)
        capture.close()


class _QuietLoader(importlib.abc.Loader):
    """Runs another loader's `exec_module` inside `_filtered_stderr`."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        with _filtered_stderr():
            self.loader.exec_module(module)


class _QuietImporter(importlib.abc.MetaPathFinder):
    """Finds the packages of `_QUIET_IMPORTS` with the other finders and
    loads them through `_QuietLoader`."""

    def find_spec(self, name, path=None, target=None):
        if name not in _QUIET_IMPORTS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


@contextlib.contextmanager
def quiet_native_logs(enabled=True):
    """Hides TensorFlow's C++ start-up lines for the duration of a command.

    Args:
        enabled: bool. False (`--verbose`): change nothing.

    Yields:
        None. On exit the import hook is removed and `TF_CPP_MIN_LOG_LEVEL`
        is restored (a library already loaded keeps its setting).
    """
    if not enabled:
        yield
        return
    before = os.environ.get(LOG_LEVEL_VARIABLE)
    os.environ.setdefault(LOG_LEVEL_VARIABLE, QUIET_LOG_LEVEL)
    importer = _QuietImporter()
    sys.meta_path.insert(0, importer)
    try:
        yield
    finally:
        if importer in sys.meta_path:
            sys.meta_path.remove(importer)
        if before is None:
            os.environ.pop(LOG_LEVEL_VARIABLE, None)

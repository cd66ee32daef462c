"""Output files that appear only when complete.

Everything dczoo writes goes first to a hidden temporary file in the output's
folder and is renamed over the final path only on success, so an error or
Ctrl-C never leaves a half-written file behind.
"""

import os
import tempfile


class AtomicOutput:
    """A temporary path that becomes `path` on `commit()`.

    Use as a context manager: leaving the block without `commit()` (an
    exception, Ctrl-C, or a decision not to write) removes the temporary file.

    Args:
        path: str or Path of the final file.

    Example:
    >>> import pathlib, tempfile
    >>> final = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with AtomicOutput(final) as output:
    ...     _ = pathlib.Path(output.temporary_path).write_text("done")
    ...     output.commit()
    >>> final.read_text()
    'done'
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        folder, name = os.path.split(self.path)
        if not os.path.isdir(folder):
            from dczoo.errors import DczooInputError

            raise DczooInputError(f"{self.path}: the output folder {folder} does not exist")
        handle, self.temporary_path = tempfile.mkstemp(
            prefix=f".{name}.", suffix=".dczoo-partial", dir=folder
        )
        os.close(handle)
        self.committed = False

    def commit(self):
        """Moves the temporary file to the final path."""
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temporary_path, 0o666 & ~umask)
        os.replace(self.temporary_path, self.path)
        self.committed = True

    def abort(self):
        """Removes the temporary file (nothing happens after `commit`)."""
        if not self.committed:
            try:
                os.unlink(self.temporary_path)
            except FileNotFoundError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.abort()
        return False


class AtomicRecordWriter:
    """Base of the read writers: an open stream in an `AtomicOutput`.

    Subclasses set `self._output` (an `AtomicOutput`) and `self._stream` (the
    open file written at its temporary path). `commit()` closes the stream and
    moves the file into place; `abort()` (also run when a `with` block exits
    without a commit) closes and removes it.
    """

    def commit(self):
        """Closes the file and moves it to its final path."""
        self._stream.close()
        self._output.commit()

    def abort(self):
        """Closes and removes the partial file."""
        self._stream.close()
        self._output.abort()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if not self._output.committed:
            self.abort()
        return False


def write_text_atomically(path, text):
    """Writes a whole text file atomically (used for summaries)."""
    with AtomicOutput(path) as output:
        with open(output.temporary_path, "w") as handle:
            handle.write(text)
        output.commit()

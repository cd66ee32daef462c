"""Outputs that appear only when complete: files and folders.

Everything dczoo writes goes first to a hidden temporary sibling of the final
path (same folder, so the last step is a rename on one file system) and is
moved over the final path only on success, so an error or Ctrl-C never
leaves a half-written file or folder behind. Permissions follow the umask,
as for any file a user creates.

* `AtomicOutput`: one file (`write_text_atomically` for a whole text).
* `AtomicRecordWriter`: base of writers that stream records into one file.
* `AtomicFolder`: a whole folder (presets, upload folders, shard datasets).
"""

import os
import secrets
import shutil
import tempfile

from dczoo.errors import DczooInputError


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
    """Writes a whole text file atomically.

    Args:
        path: str or Path of the file; its folder must exist.
        text: str. The whole content.

    Example:
    ```python
    write_text_atomically("run.summary.json", json.dumps(summary))
    ```
    """
    with AtomicOutput(path) as output:
        with open(output.temporary_path, "w") as handle:
            handle.write(text)
        output.commit()


def _fresh_directory(parent, prefix):
    """Creates a new uniquely named directory (permissions follow the umask)."""
    while True:
        path = os.path.join(parent, f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue


class AtomicFolder:
    """A temporary folder that becomes the folder `path` on `commit()`.

    The temporary folder `.<name>.tmp-...` is created beside `path` (the
    parent folder is created if missing). `commit()` moves an existing `path`
    aside, renames the temporary folder into place and only then deletes the
    old folder, so `path` is always either the old or the new folder. Use as
    a context manager: leaving the block without `commit()` removes the
    temporary folder and leaves `path` as it was.

    Args:
        path: str or Path of the final folder.

    Example:
    >>> import os, pathlib, tempfile
    >>> final = pathlib.Path(tempfile.mkdtemp()) / "preset"
    >>> with AtomicFolder(final) as folder:
    ...     _ = (pathlib.Path(folder.temporary_path) / "a.txt").write_text("done")
    ...     folder.commit()
    >>> sorted(os.listdir(final))
    ['a.txt']
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        parent, name = os.path.split(self.path)
        os.makedirs(parent, exist_ok=True)
        self.temporary_path = _fresh_directory(parent, f".{name}.tmp")
        self.committed = False

    def commit(self):
        """Replaces `path` (if it exists) by the temporary folder."""
        parent, name = os.path.split(self.path)
        old = None
        if os.path.lexists(self.path):
            old = _fresh_directory(parent, f".{name}.old")
            os.rename(self.path, os.path.join(old, name))
        try:
            os.rename(self.temporary_path, self.path)
        except BaseException:
            if old is not None:  # put the old folder back
                os.rename(os.path.join(old, name), self.path)
                os.rmdir(old)
            raise
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self):
        """Removes the temporary folder (nothing happens after `commit`)."""
        if not self.committed:
            shutil.rmtree(self.temporary_path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.abort()
        return False

"""Outputs that appear only when complete: files and folders.

Everything dczoo writes goes first to a hidden temporary sibling of the final
path (same folder, so the last step is a rename on one file system) and is
moved over the final path only on success, so an error or Ctrl-C never
leaves a half-written file or folder behind, and an earlier output at the
final path stays as it was. Permissions follow the umask, as for any file a
user creates. Cleaning up never fails in turn: a stream that cannot be closed
(its last buffer did not fit on a full disk) is still removed. An `OSError`
of the output itself (creating, writing, closing, renaming it) becomes a
`dczoo.errors.DczooOutputError` naming the final path and the error (ENOSPC,
EDQUOT, EACCES, EROFS, ...), exit status 3.

* `AtomicOutput`: one file (`write_text_atomically` for a whole text).
* `AtomicRecordWriter`: base of writers that stream records into one file
  (`TextOutput`, the FASTQ and BAM writers).
* `AtomicFolder`: a whole folder (presets, upload folders, shard datasets).
"""

import errno
import os
import secrets
import shutil
import tempfile

from dczoo.errors import DczooInputError, output_error

# Errors that can only come from writing: an `OSError` with one of these
# inside an atomic block is reported as the output's failure.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _is_write_error(error):
    return isinstance(error, OSError) and error.errno in _WRITE_ERRNOS


class _AbortOnExit:
    """The `with` block of every atomic output.

    Leaving the block aborts (nothing happens after `commit`), and an
    `OSError` of writing raised inside it becomes the output's
    `DczooOutputError`. Subclasses define `abort()` and `path`.
    """

    def _error_path(self):
        return self.path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        self.abort()
        if _is_write_error(exc):
            raise output_error(self._error_path(), exc) from exc
        return False


class AtomicOutput(_AbortOnExit):
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
        self.committed = False
        try:
            handle, self.temporary_path = tempfile.mkstemp(
                prefix=f".{name}.", suffix=".dczoo-partial", dir=folder
            )
        except OSError as error:
            self.temporary_path = None
            raise output_error(self.path, error) from error
        os.close(handle)

    def commit(self):
        """Moves the temporary file to the final path.

        Raises:
            DczooOutputError: the move failed; the temporary file is removed.
        """
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temporary_path, 0o666 & ~umask)
            os.replace(self.temporary_path, self.path)
        except OSError as error:
            self.abort()
            raise output_error(self.path, error) from error
        self.committed = True

    def abort(self):
        """Removes the temporary file (nothing happens after `commit`)."""
        if not self.committed and self.temporary_path is not None:
            try:
                os.unlink(self.temporary_path)
            except OSError:
                pass


class AtomicRecordWriter(_AbortOnExit):
    """Base of the writers that stream records into one file, atomically.

    Subclasses implement `_open(temporary_path)` (returns the open stream)
    and `_write(record)`, and may override `_close()`. `write(record)`
    appends one record; `finish()` closes the stream; `commit()` finishes
    and moves the file into place; `abort()` (also run when a `with` block
    exits without a commit) closes and removes it, even when closing fails.
    An `OSError` while opening, writing or closing removes the partial file
    and raises `DczooOutputError` naming `path`.

    Args:
        path: str or Path of the final file.

    Attributes:
        path: str. n_written: int, records written so far.

    Example:
    ```python
    class LineWriter(AtomicRecordWriter):
        def _open(self, temporary_path):
            return open(temporary_path, "w")

        def _write(self, line):
            self._stream.write(line + "\n")

    with LineWriter("out.txt") as writer:
        writer.write("a line")
        writer.commit()
    ```
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.n_written = 0
        self._output = AtomicOutput(path)
        self._stream = None
        self._closed = False
        try:
            self._stream = self._open(self._output.temporary_path)
        except OSError as error:
            raise self._failed(error) from error
        except BaseException:
            self._output.abort()
            raise

    def _open(self, temporary_path):
        raise NotImplementedError

    def _write(self, record):
        raise NotImplementedError

    def _close(self):
        self._stream.close()

    def write(self, record):
        """Appends one record."""
        try:
            self._write(record)
        except OSError as error:
            raise self._failed(error) from error
        self.n_written += 1

    def finish(self):
        """Closes the file: every byte is on disk, only the rename is left.

        Call it before committing another output that must appear only
        together with this one.
        """
        if not self._closed:
            try:
                self._close()
            except OSError as error:
                raise self._failed(error) from error
            self._closed = True

    def commit(self):
        """Closes the file (`finish`) and moves it to its final path."""
        self.finish()
        self._output.commit()

    def abort(self):
        """Closes and removes the partial file; never raises an `OSError`."""
        try:
            if self._stream is not None and not self._closed:
                self._closed = True
                self._close()
        except (OSError, ValueError):
            pass  # a stream whose last buffer cannot be written; removed below
        finally:
            self._output.abort()

    def _failed(self, error):
        self.abort()
        return output_error(self._error_path(), error)

    def _error_path(self):
        return self._output.path


def write_text_atomically(path, text):
    """Writes a whole text file atomically.

    Args:
        path: str or Path of the file; its folder must exist.
        text: str. The whole content.

    Raises:
        DczooOutputError: the file could not be written; nothing was left.

    Example:
    ```python
    write_text_atomically("run.summary.json", json.dumps(summary))
    ```
    """
    with TextOutput(path) as output:
        output.write(text)
        output.commit()


class TextOutput(AtomicRecordWriter):
    """A text file written atomically, piece by piece.

    Args:
        path: str or Path of the file; its folder must exist.

    Example:
    ```python
    summary = TextOutput("run.summary.json")   # created now (hidden)
    summary.write(json.dumps(record))
    summary.finish()                           # a full disk fails here, before
    reads.commit(); summary.commit()           # both appear (renames only)
    ```
    """

    def _open(self, temporary_path):
        return open(temporary_path, "w", encoding="utf-8")

    def _write(self, text):
        self._stream.write(text)


def _fresh_directory(parent, prefix):
    """Creates a new uniquely named directory (permissions follow the umask)."""
    while True:
        path = os.path.join(parent, f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue


class AtomicFolder(_AbortOnExit):
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
        self.committed = False
        self.temporary_path = None
        try:
            os.makedirs(parent, exist_ok=True)
            self.temporary_path = _fresh_directory(parent, f".{name}.tmp")
        except OSError as error:
            raise output_error(self.path, error) from error

    def commit(self):
        """Replaces `path` (if it exists) by the temporary folder.

        Raises:
            DczooOutputError: the folder could not be moved into place; the
                old folder is put back and the temporary one removed.
        """
        parent, name = os.path.split(self.path)
        old = None
        try:
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
        except OSError as error:
            self.abort()
            raise output_error(self.path, error) from error
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self):
        """Removes the temporary folder (nothing happens after `commit`)."""
        if not self.committed and self.temporary_path is not None:
            shutil.rmtree(self.temporary_path, ignore_errors=True)

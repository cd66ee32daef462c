"""The paths of a command, checked before any work: outputs never clobber inputs.

Every command that writes calls `check_paths` with what it reads and what it
will write, before it loads a model or reads a record:

* an output file or folder that is an input (the same path, a symbolic link
  to it or a hard link of it), or another output, is refused;
* an output folder (one that is written or replaced whole) must not hold an
  input;
* every output file must have an existing, writable folder (an output
  folder's nearest existing parent must be writable, as the missing ones are
  created).

Refusals raise `DczooInputError` (exit status 2) naming both options;
an output folder that the operating system does not let dczoo write raises
`DczooOutputError` (exit status 3) naming the error (EACCES, EROFS).
"""

import errno
import os

from dczoo.errors import DczooInputError, output_error


def _real(path):
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def _same(first, second):
    """Whether two paths name the same file: one real path, or hard links."""
    if _real(first) == _real(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _inside(path, folder):
    real, real_folder = _real(path), _real(folder)
    return real != real_folder and real.startswith(real_folder.rstrip(os.sep) + os.sep)


def _given(pairs):
    return [(label, os.fspath(path)) for label, path in pairs if path is not None]


def _check_writable(label, path, folder):
    """Raises unless `folder` exists and the current user may create files in it."""
    if not os.path.isdir(folder):
        raise DczooInputError(f"{label} {path}: the output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        stats = os.statvfs(folder)
        code = errno.EROFS if stats.f_flag & os.ST_RDONLY else errno.EACCES
        raise output_error(path, OSError(code, os.strerror(code), folder))


def _nearest_existing(folder):
    folder = os.path.abspath(folder)
    while not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def check_paths(inputs=(), files=(), folders=(), *, create_folders=False):
    """Checks a command's inputs and outputs before it starts.

    Args:
        inputs: iterable of `(label, path)`: what the command reads (files or
            folders; `None` paths are skipped). Labels are the options, e.g.
            `"--ccs-bam"`.
        files: iterable of `(label, path)`: the output files.
        folders: iterable of `(label, path)`: output folders written or
            replaced whole (created when missing).
        create_folders: bool. Whether the folders of `files` are created
            when missing (then their nearest existing parent must be
            writable).

    Raises:
        DczooInputError: an output is an input, another output, a folder
            (for a file) or a folder holding an input; or an output file's
            folder does not exist.
        DczooOutputError: an output folder is not writable (EACCES, EROFS).

    Example:
    ```python
    check_paths(inputs=[("--ccs-bam", "d/ccs.bam")], files=[("--output", "d/ccs.bam")])
    # DczooInputError: --output d/ccs.bam is the same file as --ccs-bam d/ccs.bam; ...
    ```
    """
    inputs, files, folders = _given(inputs), _given(files), _given(folders)
    outputs = files + folders
    for index, (label, path) in enumerate(outputs):
        for input_label, input_path in inputs:
            if _same(path, input_path):
                raise DczooInputError(
                    f"{label} {path} is the same file as {input_label} {input_path}; writing it "
                    "would destroy the input: choose another output path"
                )
        for other_label, other in outputs[:index]:
            if _same(path, other):
                raise DczooInputError(
                    f"{label} {path} is the same path as {other_label} {other}; give each "
                    "output its own path"
                )
    for label, path in folders:
        for input_label, input_path in inputs:
            if _inside(input_path, path):
                raise DczooInputError(
                    f"{label} {path} holds {input_label} {input_path}; the output folder is "
                    "written as a whole, so it must not hold an input: choose another folder"
                )
        if os.path.exists(path) and not os.path.isdir(path):
            raise DczooInputError(f"{label} {path}: exists and is not a folder")
        _check_writable(label, path, _nearest_existing(os.path.dirname(os.path.abspath(path))))
    for label, path in files:
        if os.path.isdir(path):
            raise DczooInputError(f"{label} {path}: is a folder, not a file")
        folder = os.path.dirname(os.path.abspath(path))
        if create_folders:
            folder = _nearest_existing(folder)
        _check_writable(label, path, folder)

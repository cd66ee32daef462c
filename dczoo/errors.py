"""Errors that dczoo reports to users, and the exit status of each.

Every problem with a user's input raises `DczooInputError`, whose message names
the file, the read and the problem; an output that the operating system refuses
to take (full disk, permissions, read-only file system, quota) raises
`DczooOutputError`; a Hugging Face Hub that cannot be reached raises
`DczooNetworkError`; a worker process that dies raises `DczooWorkerError`. The
command line turns each into a one-line message and
the error's `exit_status` instead of a traceback (`EXIT_STATUSES`).
"""

import errno
import os

# Exit statuses of every `dczoo` command (shown by `--help`, docs/correct.md).
EXIT_SUCCESS = 0
EXIT_NO_READ_PASSED = 1
EXIT_BAD_INPUT = 2
EXIT_OUTPUT_FAILED = 3
EXIT_NETWORK = 4
EXIT_WORKER_DIED = 5
EXIT_INTERRUPTED = 130

EXIT_STATUSES = (
    (EXIT_SUCCESS, "success"),
    (EXIT_NO_READ_PASSED, "dczoo correct, dczoo merge: ZMWs were processed but no read passed the filters"),
    (EXIT_BAD_INPUT, "bad input, option or path (an output that would overwrite an input, "
                     "a preset that fails its integrity check, ...); nothing was written"),
    (EXIT_OUTPUT_FAILED, "an output could not be written: the operating system refused it "
                         "(ENOSPC disk full, EDQUOT quota, EACCES/EPERM permission, EROFS "
                         "read-only); nothing was written and an earlier output is unchanged"),
    (EXIT_NETWORK, "the Hugging Face Hub could not be reached; retrying later may work"),
    (EXIT_WORKER_DIED, "a worker process died (killed, or out of memory); nothing was written"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C; 143 for SIGTERM); nothing was written"),
)


def exit_status_help():
    """The exit statuses as text for `--help` epilogs.

    Returns:
        str, one line per status.

    Example:
    >>> exit_status_help().splitlines()[0]
    'exit status:'
    """
    import textwrap

    lines = ["exit status:"]
    for code, meaning in EXIT_STATUSES:
        lines += textwrap.wrap(meaning, 78, initial_indent=f"  {code:<3}  ", subsequent_indent=" " * 7)
    return "\n".join(lines)


class DczooError(Exception):
    """Base class of the errors dczoo raises on purpose."""

    exit_status = EXIT_BAD_INPUT


class DczooInputError(DczooError, ValueError):
    """An input file, read or parameter is not usable; the message says why."""


class DczooOutputError(DczooError):
    """An output could not be written (an operating-system error); nothing was left."""

    exit_status = EXIT_OUTPUT_FAILED


class DczooNetworkError(DczooError):
    """A remote service (the Hugging Face Hub) could not be reached."""

    exit_status = EXIT_NETWORK


class DczooWorkerError(DczooError):
    """A worker process died without an answer (killed, or out of memory)."""

    exit_status = EXIT_WORKER_DIED


def describe_os_error(error, path=None):
    """`strerror (ENAME)` of an `OSError`, e.g. `No space left on device (ENOSPC)`.

    Some libraries (htslib through pysam) raise `OSError` without an errno
    when a write fails; then a full file system at `path` is recognised by
    `os.statvfs`, and otherwise the library's own message is given.

    Args:
        error: OSError.
        path: optional str, the file that was being written.

    Returns:
        str.

    Example:
    >>> describe_os_error(OSError(errno.ENOSPC, "No space left on device"))
    'No space left on device (ENOSPC)'
    """
    code = error.errno
    if code is None and path is not None:
        code = _errno_of_folder(os.path.dirname(os.path.abspath(path)))
    if code is None:
        return str(error) or type(error).__name__
    return f"{os.strerror(code)} ({errno.errorcode.get(code, code)})"


def _errno_of_folder(folder):
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return errno.EROFS
    if stats.f_bavail == 0 or (stats.f_files and stats.f_favail == 0):
        return errno.ENOSPC
    return None


def output_error(path, error):
    """The `DczooOutputError` of an `OSError` raised while writing `path`.

    Args:
        path: str. The final output path (not its temporary file).
        error: OSError.

    Returns:
        `DczooOutputError` naming the path and the error, one line.

    Example:
    ```python
    except OSError as error:
        raise output_error("out.fastq", error) from error
    ```
    """
    kept = " (the existing file is unchanged)" if os.path.lexists(path) else ""
    return DczooOutputError(
        f"cannot write {path}: {describe_os_error(error, path)}; nothing was written{kept}"
    )


_NETWORK_CLASS_NAMES = {"TransportError", "ConnectionError", "Timeout", "TimeoutException"}
_NETWORK_MODULES = {"httpx", "httpx2", "requests", "urllib3", "aiohttp"}


def is_network_error(error):
    """Whether an exception (or one it was raised from) is a network failure.

    Recognises `ConnectionError`, `TimeoutError`, name resolution errors and
    the transport errors of httpx, httpx2, requests and urllib3, which are not
    all `OSError`s.

    Args:
        error: BaseException.

    Returns:
        bool.

    Example:
    >>> is_network_error(ConnectionRefusedError(111, "Connection refused"))
    True
    """
    import socket

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
            return True
        for cls in type(error).__mro__:
            if cls.__name__ in _NETWORK_CLASS_NAMES and cls.__module__.split(".")[0] in _NETWORK_MODULES:
                return True
        error = error.__cause__ or error.__context__
    return False


def network_error(what, endpoint, error):
    """The one-line `DczooNetworkError` of a Hub that could not be reached.

    Args:
        what: str. What failed, e.g. "cannot upload to hf://org/repo".
        endpoint: str. The Hub's address (`HF_ENDPOINT`).
        error: the exception raised.

    Returns:
        `DczooNetworkError` naming the endpoint and the error, with a retry hint.

    Example:
    ```python
    raise network_error("cannot upload to hf://a/b", "https://huggingface.co", error) from error
    ```
    """
    text = str(error).strip()
    detail = f": {text.splitlines()[0][:200]}" if text else ""
    return DczooNetworkError(
        f"{what}: {endpoint} could not be reached ({type(error).__name__}{detail}); check the "
        "network connection (and HF_ENDPOINT, proxies) and run the command again"
    )

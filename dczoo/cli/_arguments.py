"""Option types of the numeric command-line options, from `dczoo.validation`.

Every numeric option of every command is declared with `number`, so NaN,
infinities and values out of range are refused by the parser, before any
work (exit status 2), with the words of `dczoo.validation.number_problem`.
The options that several commands share are added here too:
`add_progress_every` (the progress lines of `dczoo.progress`) and
`add_verbose`.

Example:
```python
parser.add_argument("--min-quality", type=number(minimum=0), default=20)
parser.add_argument("--cpus", type=number(minimum=1, whole=True), default=1)
```
"""

import argparse

from dczoo.validation import number_problem


def number(minimum=None, maximum=None, whole=False):
    """An argparse `type` for a finite number in `[minimum, maximum]`.

    Args:
        minimum: optional number, the smallest allowed value.
        maximum: optional number, the largest allowed value.
        whole: bool. An int (True) or a float (False).

    Returns:
        callable str -> int or float, raising `argparse.ArgumentTypeError`
        with the words of `dczoo.validation.number_problem`.

    Example:
    >>> number(minimum=0)("2.5")
    2.5
    >>> number(minimum=1, whole=True)("64")
    64
    """
    convert = int if whole else float

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = text
        problem = number_problem("", value, minimum, maximum, whole)
        if problem:
            raise argparse.ArgumentTypeError(problem.strip())
        return value

    parse.__name__ = "whole number" if whole else "number"
    return parse


def add_progress_every(parser):
    """Adds `--progress-every SECONDS`: the interval of the progress lines
    written when stderr is not a terminal (see `dczoo.progress`).

    Args:
        parser: argparse parser or argument group.

    Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_progress_every(parser)
    >>> parser.parse_args(["--progress-every", "5"]).progress_every
    5.0
    """
    from dczoo.progress import DEFAULT_PROGRESS_EVERY

    parser.add_argument(
        "--progress-every", type=number(minimum=0), default=DEFAULT_PROGRESS_EVERY,
        metavar="SECONDS",
        help="when stderr is not a terminal (a batch job's log file), write a progress line "
        "(ZMWs done of the total, ZMWs/s and windows/s, elapsed time, ETA) every SECONDS "
        f"instead of a bar (default {DEFAULT_PROGRESS_EVERY:g}; 0: one per ZMW)")


def add_verbose(parser):
    """Adds `--verbose` (every command has it; `dczoo.cli.main` adds it).

    Without it, TensorFlow's C++ start-up lines (absl, oneDNN, CPU
    features) are kept off stderr (`dczoo.native_logs`). Adding it
    twice is a no-op.

    Args:
        parser: argparse parser.
    """
    try:
        parser.add_argument(
            "--verbose", action="store_true",
            help="also show the start-up log lines of TensorFlow's C++ libraries (absl, "
            "oneDNN, CPU features), hidden by default")
    except argparse.ArgumentError:  # the command has it already
        pass

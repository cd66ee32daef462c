"""The allowed range of a numeric setting, checked in one way everywhere.

`number_problem` says what is wrong with a value (not a number, NaN,
infinite, not whole, out of range); `check_number` raises it as a
`DczooInputError`. The library checks its arguments with them and the
command line builds its option types from them (`dczoo.cli._arguments`), so
`--min-quality nan` and `correct(min_quality=float("nan"))` are refused with
the same words.
"""

import math
import numbers

from dczoo.errors import DczooInputError


def _bound(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def number_problem(label, value, minimum=None, maximum=None, integer=False):
    """What is wrong with a numeric setting, or None when nothing is.

    Args:
        label: str. The setting, as the user names it (e.g. "--min-quality").
        value: the value.
        minimum: optional number, the smallest allowed value.
        maximum: optional number, the largest allowed value.
        integer: bool. Whether the value must be whole.

    Returns:
        str (one sentence naming `label`) or None.

    Example:
    >>> number_problem("--min-quality", float("nan"), minimum=0)
    '--min-quality nan: must be a number >= 0'
    >>> number_problem("--ins-trim", 5, minimum=0, integer=True) is None
    True
    """
    kind = "a whole number" if integer else "a number"
    if minimum is not None and maximum is not None:
        wanted = f"{kind} in {_bound(minimum)}..{_bound(maximum)}"
    elif minimum is not None:
        wanted = f"{kind} >= {_bound(minimum)}"
    elif maximum is not None:
        wanted = f"{kind} <= {_bound(maximum)}"
    else:
        wanted = f"a finite {kind[2:]}"
    problem = f"{label} {value}: must be {wanted}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return problem
    if not math.isfinite(value):
        return problem
    if integer and value != int(value):
        return problem
    if minimum is not None and value < minimum:
        return problem
    if maximum is not None and value > maximum:
        return problem
    return None


def check_number(label, value, minimum=None, maximum=None, integer=False):
    """Raises `DczooInputError` unless a numeric setting is in range.

    Args:
        label, value, minimum, maximum, integer: see `number_problem`.

    Returns:
        The value, unchanged.

    Raises:
        DczooInputError: NaN, infinite, not whole (with `integer`) or out of
            range.

    Example:
    >>> check_number("--shard-size", 4096, minimum=1, integer=True)
    4096
    """
    problem = number_problem(label, value, minimum, maximum, integer)
    if problem:
        raise DczooInputError(problem)
    return value

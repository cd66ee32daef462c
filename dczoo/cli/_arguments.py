"""Option types of the numeric command-line options, from `dczoo.validation`.

Every numeric option of every command is declared with `number`, so NaN,
infinities and values out of range are refused by the parser, before any
work (exit status 2), with the words of `dczoo.validation.number_problem`.

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

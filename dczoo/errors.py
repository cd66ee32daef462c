"""Errors that dczoo reports to users.

Every problem with a user's input raises `DczooInputError`, whose message names
the file, the read and the problem. The command line turns it into a one-line
message and a non-zero exit status instead of a traceback.
"""


class DczooError(Exception):
    """Base class of the errors dczoo raises on purpose."""


class DczooInputError(DczooError, ValueError):
    """An input file, read or parameter is not usable; the message says why."""

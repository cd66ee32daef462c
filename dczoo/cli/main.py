"""Entry point of the `dczoo` command: discovers and runs sub-commands."""

import argparse
import importlib
import os
import pkgutil
import sys

# Quiet TensorFlow's C++ start-up logging unless the user asked for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from dczoo.errors import DczooError
from dczoo.version import __version__

_NOT_COMMANDS = {"__init__", "main"}


def build_parser():
    """Builds the argument parser with every sub-command of `dczoo.cli`.

    Returns:
        argparse.ArgumentParser.
    """
    parser = argparse.ArgumentParser(
        prog="dczoo",
        description="DeepConsensus-style correction of PacBio HiFi reads.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("dczoo.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_COMMANDS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dczoo.cli.{info.name}")
        module.register(subparsers)
    return parser


def main(argv=None):
    """Runs the command line.

    Args:
        argv: list of str, or None for `sys.argv[1:]`.

    Returns:
        int exit status (also passed to `sys.exit` when run as a script).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except DczooError as error:
        print(f"dczoo {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dczoo {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else int(status)


if __name__ == "__main__":
    sys.exit(main())

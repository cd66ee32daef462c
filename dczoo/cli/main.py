"""Entry point of the `dczoo` command: discovers and runs sub-commands.

Errors end in one line `dczoo COMMAND: error: ...` and the exit status of
`dczoo.errors.EXIT_STATUSES` (listed by every `--help`): 2 for bad inputs,
options and paths, 3 when an output cannot be written (an operating-system
error, also one that no dczoo code expected), 4 when the Hub cannot be
reached, 130 on Ctrl-C.

Every command takes `--verbose`; without it, TensorFlow's C++ start-up lines
(absl, oneDNN, CPU features) are kept off stderr
(`dczoo.native_logs.quiet_native_logs`).
"""

import argparse
import importlib
import pkgutil
import sys

from dczoo.cli._arguments import add_verbose
from dczoo.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_FAILED,
    DczooError,
    describe_os_error,
    exit_status_help,
)
from dczoo.native_logs import quiet_native_logs
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
        epilog=exit_status_help(),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("dczoo.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_COMMANDS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dczoo.cli.{info.name}")
        module.register(subparsers)
    for command in subparsers.choices.values():
        add_verbose(command)
        if command.epilog is None:
            command.epilog = exit_status_help()
            if command.formatter_class is argparse.HelpFormatter:
                command.formatter_class = _Formatter
    return parser


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps the exit-status table as written."""

    def _fill_text(self, text, width, indent):
        if text.startswith("exit status:"):
            return text
        return super()._fill_text(text, width, indent)


def main(argv=None):
    """Runs the command line.

    Args:
        argv: list of str, or None for `sys.argv[1:]`.

    Returns:
        int exit status (also passed to `sys.exit` when run as a script),
        for every outcome: an option argparse refuses returns 2 instead of
        raising `SystemExit`.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help and --version (0), a refused option (2)
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    return run_command(args)


def run_command(args):
    """Runs a parsed sub-command; every error ends in one line and its status.

    Args:
        args: argparse.Namespace with `command` and `func` (and `verbose`:
            keep the native libraries' start-up lines).

    Returns:
        int exit status (see `dczoo.errors.EXIT_STATUSES`).
    """
    try:
        with quiet_native_logs(enabled=not getattr(args, "verbose", False)):
            status = args.func(args)
    except DczooError as error:
        print(f"dczoo {args.command}: error: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print(f"dczoo {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:  # one no dczoo code expected: still one line
        where = f"{error.filename}: " if error.filename else ""
        print(f"dczoo {args.command}: error: {where}{describe_os_error(error)}", file=sys.stderr)
        return EXIT_OUTPUT_FAILED
    return 0 if status is None else int(status)


if __name__ == "__main__":
    sys.exit(main())

"""The `dczoo` command line.

Each sub-command lives in its own module of this package and defines
`register(subparsers)`, which adds an argparse parser whose default `func`
runs the command. `dczoo.cli.main` discovers them.
"""

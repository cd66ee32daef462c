"""Small example data sets bundled with dczoo (pure Python, no heavy imports).

`sim_small` holds 20 ZMWs simulated by `dczoo simulate` from CHM13 chr20
(0-200 kb), in the layout of real DeepConsensus inputs: `subreads_to_ccs.bam`,
`ccs.bam`, `truth_to_ccs.bam` (+ `.bai`), `truth.bed`, `truth_split.tsv` and
`simulation.json`. Its README.md gives the command that made it.

Example:
>>> from dczoo.examples import example_dir
>>> (example_dir() / "ccs.bam").is_file()
True
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def available_examples():
    """Names of the bundled example sets.

    Returns:
        sorted list of str.
    """
    return sorted(p.name for p in _HERE.iterdir() if p.is_dir() and (p / "ccs.bam").is_file())


def example_dir(name="sim_small"):
    """Folder of a bundled example set.

    Args:
        name: str, one of `available_examples()`.

    Returns:
        pathlib.Path of the folder.

    Raises:
        dczoo.errors.DczooInputError: for an unknown name.
    """
    path = _HERE / name
    if not (path / "ccs.bam").is_file():
        from dczoo.errors import DczooInputError

        raise DczooInputError(
            f"no bundled example named {name!r}; available: {', '.join(available_examples()) or 'none'}")
    return path

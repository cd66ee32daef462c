"""The Snakemake workflow that corrects a whole SMRT Cell in shards.

`dczoo workflow` prints the path of the bundled `Snakefile` or runs it. The
workflow corrects every chunk `i/N` with `dczoo correct --chunk i/N` (one
job each; threads and memory as resources), merges the shards with
`dczoo merge` into single-run order, and writes a per-shard report. It needs
Snakemake (`pip install "dczoo[workflow]"`); a cluster needs Snakemake's
executor plugin for it (the SLURM profile example under `profiles/slurm`).

Example:
```python
from dczoo.workflow import snakefile, profile
snakefile()          # .../dczoo/workflow/Snakefile
profile("slurm")     # .../dczoo/workflow/profiles/slurm
```
"""

import math
import os

from dczoo.errors import DczooInputError
from dczoo.inference.batched_predictor import DEFAULT_BATCH_SIZE, batch_memory

# Memory of one preprocessed ZMW waiting for the model (about 1 MB for a
# 12 kb read: docs/correct.md, *Speed and memory knobs*).
MEMORY_PER_QUEUED_ZMW_BYTES = 1_000_000


def workflow_dir():
    """The folder of the bundled workflow (Snakefile, config example, profiles).

    Returns:
        str.
    """
    return os.path.dirname(os.path.abspath(__file__))


def snakefile():
    """The path of the bundled `Snakefile`.

    Returns:
        str.
    """
    return os.path.join(workflow_dir(), "Snakefile")


def config_example():
    """The path of the example workflow config (`config.example.yaml`).

    Returns:
        str.
    """
    return os.path.join(workflow_dir(), "config.example.yaml")


def profile(name):
    """A bundled Snakemake profile folder by name, or `name` itself.

    Args:
        name: str. "slurm" (the bundled example), or a path to a profile.

    Returns:
        str, the profile folder.

    Raises:
        DczooInputError: neither a bundled profile nor a folder.

    Example:
    >>> os.path.basename(profile("slurm"))
    'slurm'
    """
    bundled = os.path.join(workflow_dir(), "profiles", name)
    if os.path.isdir(bundled):
        return bundled
    if os.path.isdir(name):
        return name
    known = ", ".join(sorted(os.listdir(os.path.join(workflow_dir(), "profiles"))))
    raise DczooInputError(f"--profile {name}: not a folder nor a bundled profile ({known})")


def correct_memory_mb(batch_size=DEFAULT_BATCH_SIZE, batch_zmws=100):
    """Memory to ask for one `dczoo correct --chunk` job, in MB.

    The measured model of `--batch-size` (about 1 GB of runtime, model and
    data plus 1.7 MB per window of the batch, `batch_memory`) plus the
    preprocessed ZMWs waiting for the model (about 1 MB each).

    Args:
        batch_size: int. Windows per model call.
        batch_zmws: int. ZMWs preprocessed ahead of the model.

    Returns:
        int, MB (10**6 bytes), rounded up.

    Example:
    >>> correct_memory_mb(256, 100)
    1536
    """
    return math.ceil((batch_memory(batch_size) + MEMORY_PER_QUEUED_ZMW_BYTES * batch_zmws) / 1e6)

"""dczoo: a Keras 3 model zoo for DeepConsensus-style read correction.

Sub-packages are imported on first use, so that `dczoo.data` (numpy and
pysam only) does not pull in Keras and a deep learning backend.
"""

from dczoo.lazy_exports import lazy_exports as _lazy_exports
from dczoo.version import __version__

_SUBMODULES = (
    "analysis",
    "data",
    "distill",
    "hub",
    "inference",
    "layers",
    "losses",
    "models",
    "optimizers",
    "presets",
    "simulate",
)

_EXPORTS = {
    "correct": "dczoo.inference.pipeline",
    "upload_preset": "dczoo.hub.upload",
}

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals(), submodules=_SUBMODULES)

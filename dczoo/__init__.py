"""dczoo: a Keras 3 model zoo for DeepConsensus-style read correction.

Sub-packages are imported on first use, so that `dczoo.data` (numpy and
pysam only) does not pull in Keras and a deep learning backend.
"""

import importlib

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
    "presets",
    "simulate",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"dczoo.{name}")
    if name == "correct":
        from dczoo.inference.pipeline import correct

        return correct
    if name == "upload_preset":
        from dczoo.hub.upload import upload_preset

        return upload_preset
    raise AttributeError(f"module 'dczoo' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + ["correct", "upload_preset"])

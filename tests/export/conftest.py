"""Fixtures of the ONNX tests: the converted reference checkpoints, exported
once per session with the Keras backend in use, and real human_1m windows."""


import numpy as np
import pytest

# The human_1m inputs and reference FASTQs of the correction tests.
from tests.inference.conftest import human_1m, reference_fastq  # noqa: F401
from tests.optional_packages import require_packages

# Windows of human_1m compared between Keras and ONNX Runtime (the first of
# the reference's 1593 inference windows; enough for every layer's numerics).
N_PARITY_WINDOWS = 128


def require_onnx_packages():
    """Skips the calling module without the `onnx` extra, except in CI."""
    require_packages(["onnx", "onnxruntime"], "ONNX tests need pip install 'dczoo[onnx]'",
                     "CI must install dczoo[onnx]")


@pytest.fixture(scope="session")
def human_1m_windows(reference_dir):
    """(128, 85, 100) float32 windows of human_1m."""
    with np.load(reference_dir / "windows" / "inference.npz") as archive:
        windows = archive["subreads/encoded"][:N_PARITY_WINDOWS, ..., 0]
    return np.ascontiguousarray(windows, np.float32)


@pytest.fixture(scope="session")
def converted(reference_dir):
    """The reference teacher and student converted to Keras, by role."""
    from dczoo.models.convert import from_deepconsensus_checkpoint

    folder = reference_dir / "model"
    return {who: from_deepconsensus_checkpoint(folder / who) for who in ("teacher", "student")}


@pytest.fixture(scope="session")
def exported(converted, tmp_path_factory):
    """The converted teacher and student as ONNX files (exported once)."""
    from dczoo.export import export_onnx

    folder = tmp_path_factory.mktemp("onnx")
    paths = {}
    for who, model in converted.items():
        paths[who] = folder / f"reference_{who}.onnx"
        export_onnx(model, paths[who], preset=f"reference_{who}")
    return paths

"""Shared pytest configuration: quiet TensorFlow logs, locate ../shared."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir():
    """The project's shared data folder (../shared beside the repository)."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared data folder {SHARED_DIR} is not present")
    return SHARED_DIR


@pytest.fixture(scope="session")
def reference_dir(shared_dir):
    """The reference implementation's outputs (../shared/data/reference)."""
    return shared_dir / "data" / "reference"


@pytest.fixture(scope="session")
def example():
    """(subreads_to_ccs.bam, ccs.bam) of the bundled example (20 simulated ZMWs)."""
    from dczoo.examples import example_dir

    folder = example_dir()
    return folder / "subreads_to_ccs.bam", folder / "ccs.bam"


@pytest.fixture(scope="session")
def tiny_preset(tmp_path_factory):
    """A preset folder of `tests.models.tiny.tiny_corrector()` (with its sha256 manifest)."""
    from tests.models.tiny import tiny_corrector

    folder = tmp_path_factory.mktemp("tiny") / "tiny_preset"
    tiny_corrector().save_to_preset(folder)
    return folder

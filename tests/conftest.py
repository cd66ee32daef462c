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

"""Fixtures for dczoo.data tests: the real human_1m data and BAM editing."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
HUMAN_1M = SHARED / "data" / "human_1m"
REFERENCE_WINDOWS = SHARED / "data" / "reference" / "windows"


def _require(path):
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def human_1m():
    """Directory of the real 10-ZMW test set."""
    return _require(HUMAN_1M)


@pytest.fixture(scope="session")
def reference_windows():
    """Directory of the reference implementation's window npz files."""
    return _require(REFERENCE_WINDOWS)

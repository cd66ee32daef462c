"""Tests of optional extras: skipped locally without them, failing in CI."""

import importlib
import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_packages(modules, skip_reason, ci_reason):
    """Imports `modules`; without one, skips the calling test module, or in
    CI (which installs every extra) raises instead.

    Args:
        modules: names of the modules the tests need.
        skip_reason: str. Skip message; the import error is appended.
        ci_reason: str. Error message in CI; the import error is appended.
    """
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError as error:
        if IN_CI:
            raise RuntimeError(f"{ci_reason}: {error}") from error
        pytest.skip(f"{skip_reason} ({error})", allow_module_level=True)

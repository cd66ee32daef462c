"""Fixtures for the Hub tests: tiny presets and a runner for child processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.hub.hub_client import MARKER
from tests.models.tiny import random_windows

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_dczooTestToken_7Qx2Lm9Vw4"
STUDENT_METADATA = {
    "description": "A tiny test student (2 layers), not a real model.",
    "role": "student",
    "teacher": "teacher_6layer",
    "training_data": "Random windows made by the test suite.",
    "evaluation": {
        "dataset": {"name": "Test windows", "type": "dczoo-test-windows", "split": "test"},
        "metrics": [
            {"type": "identity", "value": 0.987654, "name": "Read identity"},
            {"type": "exact_window_accuracy", "value": 0.5, "name": "Exact windows"},
        ],
    },
}


PRESET_SEEDS = {"first": 1, "second": 2, "student": 3, "teacher": 4}
PRESET_METADATA = {"student": STUDENT_METADATA, "teacher": {"role": "teacher"}}


class SavedPreset:
    """A tiny model saved as a preset, with its outputs on fixed windows."""

    def __init__(self, folder, windows_path, expected):
        self.folder = Path(folder)
        self.windows_path = windows_path
        self.expected = expected

    def read(self, name):
        return (self.folder / name).read_bytes()

    def json(self, name):
        return json.loads(self.read(name))


# Child processes share a JAX compilation cache: under JAX, building a model
# compiles its initializers, which costs a fresh process far more than the
# test itself (46 s without the cache, 12 s with it, measured here). For the
# same reason the presets are made by a child, not by the test process.
_CHILD_ENV = {}


@pytest.fixture(scope="session", autouse=True)
def _jax_compilation_cache(tmp_path_factory):
    _CHILD_ENV.update(
        JAX_COMPILATION_CACHE_DIR=str(tmp_path_factory.mktemp("jax_cache")),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="-1",
    )


@pytest.fixture(scope="session")
def windows_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("windows") / "windows.npy"
    np.save(path, random_windows(batch=2))
    return path


@pytest.fixture(scope="session")
def tiny_presets(tmp_path_factory, windows_path):
    """Tiny presets saved with save_to_preset on the current backend.

    Returns:
        dict name -> `SavedPreset`: `first` and `second` (different weights,
        no extra metadata), `student` (STUDENT_METADATA) and `teacher`.
    """
    root = tmp_path_factory.mktemp("presets")
    steps = [
        {"op": "save", "folder": root / name, "seed": seed, "windows": windows_path,
         "out": root / f"{name}.npy", "metadata": PRESET_METADATA.get(name)}
        for name, seed in PRESET_SEEDS.items()
    ]
    results, output = run_hub_client(steps, hub_env(root / "home"))
    assert all(result["ok"] for result in results), output[-4000:]
    return {
        name: SavedPreset(root / name, windows_path, np.load(root / f"{name}.npy"))
        for name in PRESET_SEEDS
    }


@pytest.fixture(scope="module")
def hub_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("hub")


def hub_env(home, **overrides):
    """The environment of a child process: no inherited Hub settings or token.

    Args:
        home: path. HF_HOME of the child (its cache is `home/hub`).
        **overrides: variables to set (None removes one).

    Returns:
        dict.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HUGGING")) and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(_CHILD_ENV)
    env.update(
        HF_HOME=str(home),
        HF_HUB_CACHE=str(Path(home) / "hub"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        KERAS_BACKEND=keras.config.backend(),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_hub_client(steps, env, timeout=240):
    """Runs `tests.hub.hub_client` with `steps` in a child process.

    Returns:
        `(results, output)`: one result dict per step, and the child's
        stdout and stderr together.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "tests.hub.hub_client", json.dumps([_plain(s) for s in steps])],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )
    output = completed.stdout + completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise AssertionError(f"hub client failed ({completed.returncode}):\n{output[-4000:]}")
    return json.loads(lines[-1][len(MARKER):]), output


def _plain(step):
    return {key: (os.fspath(value) if isinstance(value, Path) else value) for key, value in step.items()}

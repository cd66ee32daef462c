"""`--data-parallel` (keras.distribution.DataParallel, JAX) trains like one device.

Each run is a fresh JAX subprocess with two virtual CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=2`), whatever backend the
suite runs on: the recipes' `setup_distribution` shards every batch across
both devices, and the per-step losses and final weights must equal a
single-device run from the same seed on the same batches.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import json, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "recipes"))
sys.path.insert(0, sys.argv[1])
import argparse
import jax
import keras
import numpy as np
import training
from dczoo.losses import AlignmentLoss
from tests.models.tiny import random_windows, tiny_corrector

parallel = sys.argv[2] == "1"
distribution = training.setup_distribution(argparse.Namespace(data_parallel=parallel))
model = tiny_corrector(active=True, seed=7)
windows = random_windows(batch=32, seed=3)
labels = np.random.default_rng(4).integers(0, 5, (32, 100)).astype("int32")
labels[:, 90:] = 0
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=AlignmentLoss())
losses = []
class Record(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        losses.append(float(logs["loss"]))
model.fit(windows, labels, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[Record()])
weights = [np.asarray(w).ravel() for w in model.get_weights()]
print(json.dumps({
    "devices": len(jax.devices()),
    "distribution": type(distribution).__name__,
    "losses": losses,
    "checksum": float(np.concatenate(weights).astype(np.float64).sum()),
    "abs_sum": float(np.abs(np.concatenate(weights)).astype(np.float64).sum()),
}))
"""


def _run(parallel):
    env = dict(os.environ, KERAS_BACKEND="jax",
               XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", SCRIPT, ROOT, "1" if parallel else "0"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs():
    return _run(parallel=False), _run(parallel=True)


def test_data_parallel_uses_both_virtual_devices(runs):
    single, parallel = runs
    assert single["devices"] == 2 and parallel["devices"] == 2
    assert single["distribution"] == "NoneType"
    assert parallel["distribution"] == "DataParallel"


def test_data_parallel_loss_matches_single_device(runs):
    single, parallel = runs
    assert len(single["losses"]) == len(parallel["losses"]) == 8
    # Training moved: the loss is not constant, so equality is not trivial.
    assert single["losses"][-1] < single["losses"][0]
    np.testing.assert_allclose(parallel["losses"], single["losses"], rtol=2e-4)
    np.testing.assert_allclose(parallel["abs_sum"], single["abs_sum"], rtol=1e-4)
    np.testing.assert_allclose(parallel["checksum"], single["checksum"], rtol=1e-3, atol=1e-2)

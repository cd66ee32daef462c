"""recipes/gpu_train.sh end to end in its tiny configuration (CPU, JAX)."""

import hashlib
import json
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.mark.slow
def test_gpu_script_tiny_run_makes_a_loadable_teacher(tmp_path):
    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        pytest.skip("the script trains with JAX; it runs once, in the JAX pass of the suite")
    pytest.importorskip("pyabpoa")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHON=sys.executable, DCZOO_WORK=str(tmp_path / "work"),
               DCZOO_TRAIN_ZMWS="30", DCZOO_INSERT_MEAN="1500", DCZOO_RANDOM_GENOME="60000",
               DCZOO_BATCH_SIZE="8", DCZOO_SIM_CPUS="1", DCZOO_RESERVE_SECONDS="20")
    done = subprocess.run(["bash", os.path.join(ROOT, "recipes", "gpu_train.sh"), str(out), "3"],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    parts = sorted(p for p in os.listdir(out) if p.startswith("model.weights.h5.part-"))
    assert len(parts) >= 2 and all(os.path.getsize(out / p) <= 15 * 2**20 for p in parts)
    preset = tmp_path / "preset"
    preset.mkdir()
    with tarfile.open(out / "run.tar.gz") as archive:
        archive.extractall(preset, filter="data")
    with open(preset / "model.weights.h5", "wb") as whole:
        for part in parts:
            whole.write((out / part).read_bytes())
    digest = hashlib.sha256((preset / "model.weights.h5").read_bytes()).hexdigest()
    assert digest in (preset / "model.weights.h5.sha256").read_text()
    for name in ("log.csv", "settings.json", "gpu_train.log", "time_budget.json"):
        assert (preset / name).is_file(), name
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["training"]["dtype_policy"] == "mixed_bfloat16"
    assert metadata["training"]["hardware"] and metadata["train_seconds"] > 0
    import numpy as np

    from dczoo.models import DeepConsensusCorrector

    model = DeepConsensusCorrector.from_preset(str(preset))
    assert model.num_layers == 6 and model.dtype_policy.name == "float32"
    probs = model.predict(np.zeros((2, 85, 100), np.float32), verbose=0)
    assert probs.shape == (2, 100, 5) and np.isfinite(probs).all()

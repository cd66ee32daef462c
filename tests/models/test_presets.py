import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.models import DeepConsensusCorrector

from tests.models.tiny import random_windows, tiny_corrector

REPO = Path(__file__).resolve().parents[2]


def test_save_and_load_round_trip(tmp_path):
    model = tiny_corrector()
    model.quality_calibration = "0,1.2,-1.0"
    model.save_to_preset(tmp_path / "p", metadata={"description": "tiny test"})
    files = sorted(os.listdir(tmp_path / "p"))
    assert files == ["README.md", "config.json", "metadata.json", "model.weights.h5"]
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    assert config["registered_name"] == "dczoo>DeepConsensusCorrector"
    assert "build_config" not in json.dumps(config)
    metadata = json.loads((tmp_path / "p" / "metadata.json").read_text())
    assert metadata["parameter_count"] == model.count_params()
    assert metadata["description"] == "tiny test"
    assert len(metadata["weights_sha256"]) == 64
    assert "tiny test" in (tmp_path / "p" / "README.md").read_text()

    loaded = DeepConsensusCorrector.from_preset(str(tmp_path / "p"))
    windows = random_windows()
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(windows)),
        ops.convert_to_numpy(model(windows)),
        atol=1e-7,
    )
    assert loaded.quality_calibration == "0,1.2,-1.0"


def test_load_weights_false_gives_architecture_only(tmp_path):
    model = tiny_corrector()
    model.save_to_preset(tmp_path / "p")
    fresh = DeepConsensusCorrector.from_preset(str(tmp_path / "p"), load_weights=False)
    assert fresh.get_config() == model.get_config()
    windows = random_windows()
    assert not np.allclose(
        ops.convert_to_numpy(fresh(windows)), ops.convert_to_numpy(model(windows))
    )


def test_overrides_apply_to_backbone(tmp_path):
    tiny_corrector().save_to_preset(tmp_path / "p")
    model = DeepConsensusCorrector.from_preset(str(tmp_path / "p"), dropout=0.3)
    assert model.backbone.dropout == 0.3


def test_sha256_mismatch_is_refused(tmp_path):
    tiny_corrector().save_to_preset(tmp_path / "p")
    metadata_path = tmp_path / "p" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["weights_sha256"] = "0" * 64
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(DczooInputError, match="sha256"):
        DeepConsensusCorrector.from_preset(str(tmp_path / "p"))


def test_builtin_without_bundled_weights_names_the_missing_file(tmp_path, monkeypatch):
    preset = DeepConsensusCorrector.presets["student_3layer"]
    monkeypatch.setitem(preset, "path", str(tmp_path / "not_bundled"))
    with pytest.raises(DczooInputError, match="model.weights.h5"):
        DeepConsensusCorrector.from_preset("student_3layer")


@pytest.mark.parametrize(
    "handle, message",
    [
        ("no_such_preset", "not a built-in name"),
        ("kaggle://a/b/c/d", "unknown preset scheme"),
        ("hf://only-one-part", "malformed"),
    ],
)
def test_bad_handles_are_explained(handle, message):
    with pytest.raises(DczooInputError, match=message):
        DeepConsensusCorrector.from_preset(handle)


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(DczooInputError, match="config.json"):
        DeepConsensusCorrector.from_preset(str(tmp_path))


_LOAD_AND_PREDICT = """
import sys, numpy as np
from keras import ops
from dczoo.models import DeepConsensusCorrector
model = DeepConsensusCorrector.from_preset(sys.argv[1])
windows = np.load(sys.argv[2])
np.save(sys.argv[3], ops.convert_to_numpy(model(windows)))
"""


def test_weights_load_under_the_other_backends(tmp_path):
    model = tiny_corrector()
    model.save_to_preset(tmp_path / "p")
    windows = random_windows()
    np.save(tmp_path / "windows.npy", windows)
    expected = ops.convert_to_numpy(model(windows))
    for backend in {"jax", "tensorflow", "torch"} - {keras.config.backend()}:
        out = tmp_path / f"{backend}.npy"
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        subprocess.run(
            [sys.executable, "-c", _LOAD_AND_PREDICT, str(tmp_path / "p"),
             str(tmp_path / "windows.npy"), str(out)],
            check=True, env=env, cwd=REPO, capture_output=True,
        )
        np.testing.assert_allclose(np.load(out), expected, atol=1e-5)


def test_float16_weights_load_back_close_to_float32(tmp_path):
    model = tiny_corrector()
    model.save_to_preset(tmp_path / "half", weights_dtype="float16")
    metadata = json.loads((tmp_path / "half" / "metadata.json").read_text())
    assert metadata["weights_dtype"] == "float16"
    import h5py

    with h5py.File(tmp_path / "half" / "model.weights.h5") as handle:
        kinds = set()
        handle.visititems(
            lambda name, item: kinds.add(str(item.dtype))
            if isinstance(item, h5py.Dataset) else None
        )
    assert kinds == {"float16"}
    loaded = DeepConsensusCorrector.from_preset(str(tmp_path / "half"))
    assert all(str(w.dtype) == "float32" for w in loaded.weights)
    windows = random_windows()
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(windows)),
        ops.convert_to_numpy(model(windows)),
        atol=5e-3,
    )


@pytest.mark.parametrize("name", ["teacher_6layer", "student_5layer", "student_4layer", "student_3layer"])
def test_bundled_presets_load_offline_and_correct_real_windows(name, reference_dir, monkeypatch):
    """Every built-in preset ships its weights, loads with no network, and its
    predictions on real human_1m windows are trained ones: they agree with the
    draft on most columns (an untrained model would not)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = DeepConsensusCorrector.from_preset(name)
    assert model.num_layers == int(name.split("_")[1][0])
    folder = DeepConsensusCorrector.presets[name]["path"]
    metadata = json.loads(open(os.path.join(folder, "metadata.json")).read())
    assert metadata["parameter_count"] == model.count_params()
    encoded = np.load(os.path.join(reference_dir, "windows", "inference.npz"))["subreads/encoded"]
    windows = encoded[:64, :, :, 0]
    probs = np.asarray(model.predict(windows.astype("float32"), verbose=0))
    assert probs.shape == (64, 100, 5)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-4)
    draft = windows[:, 80].astype(int)
    assert (probs.argmax(-1) == draft).mean() > 0.9

"""The keras_hub-style API as a newcomer meets it (issue 22, point 2).

`DeepConsensusBackbone.from_preset` / `.presets`; `from_preset` refuses
unknown keywords; `compile()` with no arguments trains; `save_to_preset`
leaves files it did not write alone and does not import TensorFlow on JAX or
PyTorch; a wrong-shape window batch is refused before Keras sees it (on JAX
a failing `predict` used to leave the model unusable); the README's Python
example runs as written.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.losses import AlignmentLoss, WindowAccuracy
from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector
from dczoo.optimizers import (
    REFERENCE_INITIAL_LEARNING_RATE,
    REFERENCE_WEIGHT_DECAY_RATE,
    DeepConsensusLamb,
)
from dczoo.presets import BUILTIN_PRESETS

from tests.models.tiny import random_windows, tiny_corrector

REPO = Path(__file__).resolve().parents[2]


def _weights(model):
    return [ops.convert_to_numpy(weight) for weight in model.weights]


def _assert_same_weights(first, second):
    first, second = _weights(first), _weights(second)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def tiny_preset(tmp_path):
    """A tiny corrector and the preset folder it was saved to."""
    model = tiny_corrector()
    model.save_to_preset(tmp_path / "tiny")
    return model, tmp_path / "tiny"


# --- 1. DeepConsensusBackbone.from_preset and .presets -----------------------


def test_backbone_presets_list_the_builtins_like_the_corrector():
    assert set(DeepConsensusBackbone.presets) == set(BUILTIN_PRESETS)
    assert DeepConsensusBackbone.presets == DeepConsensusCorrector.presets
    assert DeepConsensusBackbone.presets["student_4layer"]["metadata"]["num_layers"] == 4


def test_backbone_of_a_builtin_preset_is_the_correctors_encoder():
    backbone = DeepConsensusBackbone.from_preset("student_3layer")
    corrector = DeepConsensusCorrector.from_preset("student_3layer")
    assert type(backbone) is DeepConsensusBackbone
    assert backbone.num_layers == 3
    _assert_same_weights(backbone, corrector.backbone)
    hidden = ops.convert_to_numpy(backbone(random_windows(batch=2)))
    assert hidden.shape == (2, 100, 280)


def test_backbone_of_a_preset_folder_has_its_trained_weights(tiny_preset):
    model, folder = tiny_preset
    backbone = DeepConsensusBackbone.from_preset(str(folder))
    assert backbone.get_config() == model.backbone.get_config()
    _assert_same_weights(backbone, model.backbone)
    windows = random_windows()
    np.testing.assert_allclose(ops.convert_to_numpy(backbone(windows)),
                               ops.convert_to_numpy(model.backbone(windows)), atol=1e-6)
    fresh = DeepConsensusBackbone.from_preset(str(folder), load_weights=False)
    assert fresh.get_config() == model.backbone.get_config()
    assert not np.allclose(ops.convert_to_numpy(fresh(windows)),
                           ops.convert_to_numpy(model.backbone(windows)))
    assert DeepConsensusBackbone.from_preset(str(folder), dropout=0.25).dropout == 0.25


def test_backbone_of_a_hub_preset(tiny_preset, tmp_path, monkeypatch):
    """An hf:// handle goes through the same download as the corrector's
    (huggingface_hub's download replaced by a local snapshot folder)."""
    huggingface_hub = pytest.importorskip("huggingface_hub")
    model, folder = tiny_preset
    snapshot = tmp_path / "hub" / "snapshots" / ("c" * 40)
    snapshot.mkdir(parents=True)
    for name in os.listdir(folder):
        (snapshot / name).write_bytes((folder / name).read_bytes())
    requests = []

    def download(repo_id, filename, revision=None, **kwargs):
        requests.append((repo_id, filename, revision))
        return str(snapshot / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    backbone = DeepConsensusBackbone.from_preset("hf://some-org/tiny@v1")
    _assert_same_weights(backbone, model.backbone)
    assert {request[0] for request in requests} == {"some-org/tiny"}
    assert {"config.json", "model.weights.h5"} <= {request[1] for request in requests}


def test_backbone_from_preset_refuses_a_bad_handle():
    with pytest.raises(DczooInputError, match="not a built-in name"):
        DeepConsensusBackbone.from_preset("no_such_preset")


# --- 2. from_preset refuses unknown keyword arguments ------------------------


@pytest.mark.parametrize("cls", [DeepConsensusCorrector, DeepConsensusBackbone])
def test_from_preset_refuses_an_unknown_keyword(cls):
    with pytest.raises(DczooInputError) as error:
        cls.from_preset("student_4layer", bogus=1)
    message = str(error.value)
    assert f"{cls.__name__}.from_preset" in message
    assert "'bogus'" in message
    for accepted in ("load_weights", "verify", "dropout", "num_layers", "dtype"):
        assert accepted in message
    assert "\n" not in message


def test_from_preset_names_every_unknown_keyword(tiny_preset):
    _, folder = tiny_preset
    with pytest.raises(DczooInputError, match=r"arguments 'bogus', 'load_weight'; accepted"):
        DeepConsensusCorrector.from_preset(str(folder), load_weight=False, bogus=1)


def test_from_preset_still_takes_backbone_overrides(tiny_preset):
    _, folder = tiny_preset
    model = DeepConsensusCorrector.from_preset(str(folder), dropout=0.3, attention_dropout=0.1)
    assert (model.backbone.dropout, model.backbone.attention_dropout) == (0.3, 0.1)


# --- 3. compile() defaults ----------------------------------------------------


def _labels(batch, seed=0):
    """Valid labels: gap-free bases (1-4) followed by gap padding (0)."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((batch, 100), np.int32)
    for row, length in zip(labels, rng.integers(90, 101, batch)):
        row[:length] = rng.integers(1, 5, length)
    return labels


def test_compile_defaults_are_the_references():
    model = tiny_corrector()
    model.compile()
    assert isinstance(model.loss, AlignmentLoss)
    assert (model.loss.del_cost, model.loss.gamma) == (10.0, 0.1)
    assert isinstance(model.optimizer, DeepConsensusLamb)
    assert float(ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(
        REFERENCE_INITIAL_LEARNING_RATE)
    assert model.optimizer.weight_decay_rate == REFERENCE_WEIGHT_DECAY_RATE
    metrics = model.get_compile_config()["metrics"]
    assert [metric["class_name"] for metric in metrics] == [WindowAccuracy.__name__]


def test_compile_with_no_arguments_trains_one_step():
    model = tiny_corrector()
    model.compile()
    windows, labels = random_windows(batch=4), _labels(4)
    before = _weights(model)
    history = model.fit(windows, labels, batch_size=4, epochs=1, verbose=0)
    loss = history.history["loss"][0]
    assert np.isfinite(loss) and loss > 1.0  # the alignment loss of an untrained model
    assert 0.0 <= history.history["window_accuracy"][0] <= 1.0
    assert any(not np.array_equal(a, b) for a, b in zip(before, _weights(model)))


def test_compile_arguments_override_each_default():
    model = tiny_corrector()
    loss = keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=[])
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.loss is loss
    history = model.fit(random_windows(batch=4), _labels(4), batch_size=4, verbose=0)
    assert set(history.history) == {"loss"}
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0


# --- 4. save_to_preset leaves other files alone; no TensorFlow on JAX --------


def test_save_to_preset_keeps_files_it_did_not_write(tmp_path):
    folder = tmp_path / "preset"
    (folder / "plots").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "plots" / "loss.csv").write_text("step,loss\n1,2.5\n")
    first = tiny_corrector(seed=1)
    first.save_to_preset(folder)
    second = tiny_corrector(seed=2)
    second.save_to_preset(folder)  # over an existing preset
    assert sorted(os.listdir(folder)) == [
        "README.md", "config.json", "metadata.json", "model.weights.h5", "notes.txt", "plots"]
    assert (folder / "notes.txt").read_text() == "my notes\n"
    assert (folder / "plots" / "loss.csv").read_text() == "step,loss\n1,2.5\n"
    assert not [name for name in os.listdir(tmp_path) if name != "preset"]
    loaded = DeepConsensusCorrector.from_preset(str(folder))
    _assert_same_weights(loaded, second)


def test_save_to_preset_refuses_a_file_in_the_way(tmp_path):
    target = tmp_path / "preset"
    target.write_text("not a folder")
    with pytest.raises(DczooInputError, match="not a folder"):
        tiny_corrector().save_to_preset(target)
    assert target.read_text() == "not a folder"


_SAVE_AND_REPORT = """
import sys
import dczoo
backbone = dczoo.models.DeepConsensusBackbone(num_layers=1, hidden_dim=8, intermediate_dim=8)
model = dczoo.models.DeepConsensusCorrector(backbone)
before = "tensorflow" in sys.modules
model.save_to_preset(sys.argv[1])
print("tensorflow imported:", before, "tensorflow" in sys.modules)
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_save_to_preset_does_not_import_tensorflow(backend, tmp_path):
    """In a child process, so that imports of other tests do not count."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", _SAVE_AND_REPORT, str(tmp_path / "p")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tensorflow imported: False False" in result.stdout, result.stdout
    assert DeepConsensusCorrector.from_preset(str(tmp_path / "p")).num_layers == 1


# --- 5. Windows of the wrong shape are refused before Keras -------------------

_BAD_SHAPES = [(2, 84, 100), (2, 85, 99), (2, 85, 100, 2), (85, 100), (2, 100, 85)]


@pytest.mark.parametrize("shape", _BAD_SHAPES, ids=lambda shape: "x".join(map(str, shape)))
def test_wrong_shape_predict_is_refused_and_the_model_still_works(shape):
    model = tiny_corrector()
    windows = random_windows(batch=2)
    expected = ops.convert_to_numpy(model(windows))
    got = "(" + ", ".join(map(str, shape)) + ")"
    with pytest.raises(DczooInputError) as error:
        model.predict(np.zeros(shape, "float32"), verbose=0)
    assert f"windows of shape {got}" in str(error.value)
    assert "expected (batch, 85, 100) or (batch, 85, 100, 1)" in str(error.value)
    np.testing.assert_allclose(model.predict(windows, verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(windows[..., None], verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(model(windows)), expected, atol=1e-6)


def test_every_entry_point_checks_the_shape():
    model = tiny_corrector()
    model.compile()
    bad, labels = np.zeros((2, 84, 100), "float32"), _labels(2)
    calls = {
        "__call__": lambda: model(bad),
        "predict_on_batch": lambda: model.predict_on_batch(bad),
        "evaluate": lambda: model.evaluate(bad, labels, verbose=0),
        "test_on_batch": lambda: model.test_on_batch(bad, labels),
        "fit": lambda: model.fit(bad, labels, verbose=0),
        "train_on_batch": lambda: model.train_on_batch(bad, labels),
        "compute_logits": lambda: model.compute_logits(bad),
        "backbone": lambda: model.backbone(bad),
        "backbone.predict": lambda: model.backbone.predict(bad, verbose=0),
        "backbone.layer_outputs": lambda: model.backbone.layer_outputs(bad),
    }
    for name, call in calls.items():
        with pytest.raises(DczooInputError, match=r"\(2, 84, 100\) do not fit"):
            call()
    windows = random_windows(batch=2)
    loss = model.evaluate(windows, labels, verbose=0, return_dict=True)["loss"]
    assert np.isfinite(loss) and loss > 0


def test_base_quality_models_expect_86_rows():
    model = tiny_corrector(use_ccs_bq=True)
    with pytest.raises(DczooInputError, match=r"expected \(batch, 86, 100\)"):
        model.predict(random_windows(batch=2), verbose=0)
    assert model.predict(random_windows(batch=2, rows=86), verbose=0).shape == (2, 100, 5)


# --- 6. The README's Python example runs as written ---------------------------


def _readme_example():
    """The first ```python block of README.md's "## Python" section."""
    readme = (REPO / "README.md").read_text()
    section = re.search(r"^## Python\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Python' section"
    block = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    assert block, "README.md's Python section has no ```python block"
    return block.group(1)


def test_readme_example_goes_from_two_bams_to_probabilities():
    code = _readme_example()
    statements = [line for line in code.splitlines() if line.strip() and not line.startswith(
        ("import ", "from "))]
    assert len(statements) <= 6, code  # "about five lines"
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    windows, probs = namespace["windows"], np.asarray(namespace["probs"])
    assert windows.ndim == 3 and windows.shape[1:] == (85, 100) and len(windows) > 20
    assert probs.shape == (len(windows), 100, 5)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-4)
    # trained weights on real-layout windows: the model mostly keeps the draft (row 80)
    assert (probs.argmax(-1) == windows[:, 80].astype(int)).mean() > 0.9

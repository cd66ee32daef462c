"""Choosing and loading the model of `dczoo correct`."""

import os

import pytest

from dczoo.errors import DczooInputError
from dczoo.inference import model_loading
from dczoo.inference.model_loading import (
    default_model,
    is_deepconsensus_checkpoint,
    load_corrector,
    with_precision,
)
from dczoo.presets import BUILTIN_PRESETS, WEIGHTS_FILE

from tests.models.tiny import tiny_corrector


def test_checkpoint_detection(reference_dir, tmp_path):
    assert is_deepconsensus_checkpoint(reference_dir / "model" / "student")
    assert is_deepconsensus_checkpoint(str(reference_dir / "model" / "student" / "checkpoint-1"))
    assert not is_deepconsensus_checkpoint(tmp_path)


def test_default_model_prefers_student_then_bundled_weights(monkeypatch, capsys):
    def bundled(names):
        paths = {os.path.join(BUILTIN_PRESETS[n]["path"], WEIGHTS_FILE) for n in names}
        monkeypatch.setattr(model_loading.os.path, "exists", lambda path: path in paths)

    bundled(["student_4layer", "teacher_6layer"])
    assert default_model() == "student_4layer"
    bundled(["student_3layer", "teacher_6layer"])
    assert default_model() == "teacher_6layer"
    assert "using teacher_6layer" in capsys.readouterr().err
    bundled([])
    assert default_model() == "student_4layer"


def test_precision_copies_keep_weights_and_calibration():
    model = tiny_corrector()
    model.quality_calibration = "0,2,1"
    assert with_precision(model, "float32") is model
    half = with_precision(model, "bfloat16")
    assert half.backbone.encoder_layers[0].dtype_policy.compute_dtype == "bfloat16"
    assert half.quality_calibration == "0,2,1"
    assert half.count_params() == model.count_params()
    quantized = with_precision(model, "int8")
    assert quantized.backbone.encoder_layers[0].feedforward.intermediate_dense.quantization_mode == "int8"
    with pytest.raises(DczooInputError, match="float32"):
        with_precision(model, "float8")


def test_loading_describes_the_model(tmp_path):
    model, info = load_corrector(tiny_corrector())
    assert info["num_layers"] == 2 and info["source"] == "in-memory model"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DczooInputError, match="neither a dczoo preset"):
        load_corrector(tmp_path / "empty")

"""`dczoo export`: writes a usable ONNX file, exits non-zero on bad input."""

import pytest

from tests.export.conftest import require_onnx_packages

require_onnx_packages()

from dczoo.cli.main import main  # noqa: E402
from dczoo.export import read_onnx_metadata  # noqa: E402
from dczoo.inference.onnx_engine import load_onnx_corrector  # noqa: E402

from tests.models.tiny import tiny_corrector  # noqa: E402


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    model = tiny_corrector()
    model.quality_calibration = "0,1.1,-0.5"
    folder = tmp_path_factory.mktemp("tiny") / "tiny_preset"
    model.save_to_preset(folder)
    return folder


def test_export_writes_a_model_the_engine_opens(tiny_preset, tmp_path, capsys):
    output = tmp_path / "tiny.onnx"
    status = main(["export", str(tiny_preset), "--format", "onnx", "--output", str(output)])
    assert status == 0
    assert "wrote" in capsys.readouterr().err
    model, info = load_onnx_corrector(output)
    assert model.quality_calibration == "0,1.1,-0.5" and info["preset"] == "tiny_preset"
    assert read_onnx_metadata(output)["num_layers"] == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.onnx"]


@pytest.mark.parametrize("output, message", [
    ("model.bin", "must end in .onnx"),
    ("missing/model.onnx", "does not exist"),
])
def test_bad_output_exits_2_and_writes_nothing(tiny_preset, tmp_path, capsys, output, message):
    status = main(["export", str(tiny_preset), "--output", str(tmp_path / output), "--quiet"])
    assert status == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_preset_exits_2(tmp_path, capsys):
    status = main(["export", "no_such_preset", "--output", str(tmp_path / "x.onnx")])
    assert status == 2 and "error" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_other_formats_are_refused(tiny_preset, tmp_path):
    assert main(["export", str(tiny_preset), "--format", "tflite", "--output", str(tmp_path / "x")]) == 2

"""`export_onnx`: exported reference models match Keras on human_1m windows,
carry their metadata, take any batch size; int8; the file is atomic."""

import keras
import numpy as np
import pytest

from tests.export.conftest import require_onnx_packages

require_onnx_packages()

import onnx  # noqa: E402
import onnxruntime  # noqa: E402

from dczoo.errors import DczooInputError  # noqa: E402
from dczoo.export import (  # noqa: E402
    export_onnx,
    onnx_export,  # noqa: E402
    read_onnx_metadata,
)
from dczoo.version import __version__  # noqa: E402

from tests.models.tiny import random_windows, tiny_corrector  # noqa: E402

TOLERANCE = 1e-4


def _run(path, windows):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"windows": windows})[0]


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_probabilities_match_keras_on_human_1m(who, converted, exported, human_1m_windows,
                                               reference_dir):
    expected = converted[who].predict(human_1m_windows, batch_size=64, verbose=0)
    ours = _run(exported[who], human_1m_windows)
    assert ours.shape == (len(human_1m_windows), 100, 5)
    assert np.abs(ours - expected).max() < TOLERANCE
    np.testing.assert_array_equal(ours.argmax(-1), expected.argmax(-1))
    if who == "teacher":  # and the reference implementation's own probabilities
        with np.load(reference_dir / "outputs" / "teacher_probs_inference.npz") as archive:
            reference = archive["probs"][: len(human_1m_windows)]
        assert np.abs(ours - reference).max() < TOLERANCE


def test_batch_dimension_is_dynamic(exported, human_1m_windows):
    model = onnx.load(str(exported["student"]), load_external_data=False)
    (window,) = model.graph.input
    dims = window.type.tensor_type.shape.dim
    assert dims[0].dim_param and not dims[0].dim_value
    assert [d.dim_value for d in dims[1:]] == [85, 100]
    whole = _run(exported["student"], human_1m_windows[:7])
    for size in (1, 3):
        np.testing.assert_allclose(_run(exported["student"], human_1m_windows[:size]),
                                   whole[:size], atol=1e-6)


def test_metadata_records_version_opset_preset_and_calibration(exported, converted):
    meta = read_onnx_metadata(exported["teacher"])
    opsets = {o.domain: o.version for o in onnx.load(str(exported["teacher"])).opset_import}
    assert meta["version"] == __version__
    assert int(meta["opset"]) == opsets.get("", opsets.get("ai.onnx")) >= 13
    assert meta["preset"] == "reference_teacher"
    calibration = converted["teacher"].quality_calibration
    assert meta["quality_calibration"] == calibration == "0,1.197654,-0.99781"
    assert (meta["rows"], meta["max_passes"], meta["window_length"]) == ("85", "20", "100")
    assert meta["num_layers"] == "6" and meta["int8"] == "false"
    assert meta["exported_with"].split("/")[0] in ("tensorflow", "torch", "jax")


def test_int8_quantizes_matmuls_and_keeps_probabilities(tmp_path):
    model = tiny_corrector()
    path = tmp_path / "tiny_int8.onnx"
    meta = export_onnx(model, path, int8=True)
    assert meta["int8"] == "true" and read_onnx_metadata(path)["int8"] == "true"
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeLinear" in ops
    probs = _run(path, random_windows(4))
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-4)
    expected = keras.ops.convert_to_numpy(model(random_windows(4)))
    assert 0 < np.abs(probs - expected).max() < 0.2


def test_opset_can_be_chosen(tmp_path):
    meta = export_onnx(tiny_corrector(), tmp_path / "tiny17.onnx", opset=17)
    opsets = {o.domain: o.version for o in onnx.load(str(tmp_path / "tiny17.onnx")).opset_import}
    assert meta["opset"] == "17" and opsets.get("", opsets.get("ai.onnx")) == 17


def test_output_must_be_onnx_in_an_existing_folder(tmp_path):
    model = tiny_corrector()
    with pytest.raises(DczooInputError, match="must end in .onnx"):
        export_onnx(model, tmp_path / "model.h5")
    with pytest.raises(DczooInputError, match="does not exist"):
        export_onnx(model, tmp_path / "missing" / "model.onnx")


def test_non_float32_models_are_refused(tmp_path):
    from dczoo.inference.model_loading import with_precision

    with pytest.raises(DczooInputError, match="only float32 models"):
        export_onnx(with_precision(tiny_corrector(), "int8"), tmp_path / "q.onnx")


def test_nothing_is_left_behind_when_the_check_fails(tmp_path, monkeypatch):
    def disagree(path, model, int8):
        raise onnx_export.DczooError("differs from the Keras model")

    monkeypatch.setattr(onnx_export, "_check_against_keras", disagree)
    with pytest.raises(onnx_export.DczooError, match="differs"):
        export_onnx(tiny_corrector(), tmp_path / "tiny.onnx")
    assert list(tmp_path.iterdir()) == []

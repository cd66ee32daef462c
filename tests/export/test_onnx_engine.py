"""`--engine onnxruntime`: the exported reference teacher reproduces the
reference FASTQ through the same pipeline; calibration; clear errors."""

import json

import numpy as np
import pytest

from tests.export.conftest import require_onnx_packages

require_onnx_packages()

import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from dczoo.cli.main import main  # noqa: E402
from dczoo.errors import DczooInputError  # noqa: E402
from dczoo.inference import correct  # noqa: E402
from dczoo.inference.onnx_engine import OnnxPredictor, load_onnx_corrector  # noqa: E402
from dczoo.inference.pipeline import CorrectionOptions, run_correction  # noqa: E402

from tests.inference.conftest import read_fastq  # noqa: E402
from tests.inference.test_end_to_end_parity import assert_same_reads  # noqa: E402


def _identity_model(path, shape, metadata=None):
    """A valid ONNX file whose input has `shape` (not a corrector)."""
    value = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [value], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, item in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, item
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def onnx_run(exported, human_1m, tmp_path_factory):
    output = tmp_path_factory.mktemp("onnx_e2e") / "teacher_mq0.fastq"
    reads = correct(*human_1m, exported["teacher"], output, engine="onnxruntime",
                    min_quality=0, batch_size=128, cpus=1)
    return reads, output


def test_reads_equal_the_reference_fastq(onnx_run, reference_fastq):
    reads, output = onnx_run
    assert_same_reads(read_fastq(output), reference_fastq["teacher_mq0"])
    assert [r.name for r in reads] == [r[0] for r in reference_fastq["teacher_mq0"]]


def test_summary_names_the_engine_and_counts_like_keras(onnx_run):
    _, output = onnx_run
    summary = json.loads((output.parent / (output.name + ".summary.json")).read_text())
    assert summary["settings"]["engine"] == "onnxruntime"
    assert summary["model"]["engine"] == "onnxruntime" and summary["model"]["source"] == "onnx"
    assert summary["model"]["quality_calibration"] == "0,1.197654,-0.99781"
    assert (summary["windows"]["model"], summary["windows"]["skipped_draft_quality"]) == (1055, 538)
    assert summary["windows"]["padding_computed"] == 0 and summary["zmws"] == 10


def test_cli_no_skip_zmw_equals_reference(exported, human_1m, reference_fastq, tmp_path):
    output = tmp_path / "noskip.fastq"
    status = main([
        "correct", "--subreads-to-ccs", str(human_1m[0]), "--ccs-bam", str(human_1m[1]),
        "--output", str(output), "--engine", "onnxruntime", "--model", str(exported["teacher"]),
        "--min-quality", "0", "--skip-windows-above", "0", "--chunk", "8/10",
        "--batch-size", "32", "--cpus", "0", "--quiet",
    ])
    assert status == 0
    expected = [r for r in reference_fastq["teacher_mq0_noskip"] if "/4194387/" in r[0]]
    assert_same_reads(read_fastq(output), expected)


def test_calibration_override_still_applies(exported, human_1m):
    options = dict(min_quality=0, chunk="8/10", batch_size=64, cpus=0)
    own = correct(*human_1m, exported["student"], engine="onnxruntime", **options)
    raw = correct(*human_1m, exported["student"], engine="onnxruntime",
                  dc_calibration="skip", **options)
    assert own[0].sequence == raw[0].sequence
    assert own[0].qualities.tolist() != raw[0].qualities.tolist()
    assert raw.summary["settings"]["dc_calibration"] == "skip"


def test_predictor_has_the_batched_predictor_interface(exported, human_1m_windows):
    model, info = load_onnx_corrector(exported["student"])
    predictor = OnnxPredictor(model, batch_size=25)
    probs = predictor.predict(human_1m_windows[:60, :, :, None])
    assert probs.shape == (60, 100, 5) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert predictor.n_predicted == 60 and predictor.n_padded == 0
    assert predictor.compiled_shapes == {25, 10} and predictor.model_seconds > 0
    assert info["num_layers"] == 4 and info["precision"] == "float32"
    np.testing.assert_array_equal(predictor.predict_batch(human_1m_windows[:3]), probs[:3])


def test_a_file_that_is_not_onnx_is_explained(human_1m, tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_text("these are my notes, not a model\n")
    with pytest.raises(DczooInputError, match="not a loadable ONNX model"):
        correct(*human_1m, fake, engine="onnxruntime", chunk="0/10")


def test_a_wrong_input_shape_is_explained(human_1m, tmp_path, capsys):
    path = _identity_model(tmp_path / "wrong.onnx", ["batch", 10, 100])
    expected = r"has shape \['batch', 10, 100\].*\(batch, 85, 100\)"
    with pytest.raises(DczooInputError, match=expected):
        load_onnx_corrector(path)
    status = main([
        "correct", "--subreads-to-ccs", str(human_1m[0]), "--ccs-bam", str(human_1m[1]),
        "--output", str(tmp_path / "out.fastq"), "--engine", "onnxruntime",
        "--model", str(path), "--quiet",
    ])
    assert status == 2 and "(batch, 85, 100)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.onnx"]


def test_metadata_geometry_must_match_the_input(tmp_path):
    path = _identity_model(tmp_path / "bq.onnx", ["batch", 85, 100],
                           {"dczoo.max_passes": "20", "dczoo.use_ccs_bq": "true",
                            "dczoo.window_length": "100"})
    with pytest.raises(DczooInputError, match=r"\(batch, 86, 100\)"):
        load_onnx_corrector(path)


def test_missing_onnxruntime_is_explained(exported, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(DczooInputError, match=r"pip install 'dczoo\[onnx\]'"):
        load_onnx_corrector(exported["student"])


def test_engine_and_model_must_agree(exported, human_1m):
    with pytest.raises(DczooInputError, match="needs --model FILE.onnx"):
        run_correction(*human_1m, None, None, CorrectionOptions(), engine="onnxruntime")
    with pytest.raises(DczooInputError, match="runs with --engine onnxruntime"):
        run_correction(*human_1m, exported["student"], None, CorrectionOptions())
    with pytest.raises(DczooInputError, match="--engine 'tensorrt'"):
        run_correction(*human_1m, exported["student"], None, CorrectionOptions(), engine="tensorrt")
    with pytest.raises(DczooInputError, match="--int8"):
        run_correction(*human_1m, exported["student"], None, CorrectionOptions(),
                       engine="onnxruntime", precision="int8")


def test_threads_set_the_sessions_intra_op_threads(exported):
    """`--threads N` with onnxruntime: the session runs N intra-op threads."""
    engine = OnnxPredictor.load(exported["student"], threads=1)
    assert engine.model.session.get_session_options().intra_op_num_threads == 1
    assert engine.threads == {"requested": 1, "applied": True}
    assert OnnxPredictor.load(exported["student"]).model.session.get_session_options().intra_op_num_threads == 0


def test_int8_shards_merge_into_the_single_runs_reads(converted, human_1m, tmp_path):
    """Dynamic int8 scales activations per call, so a read's output would depend on the
    reads batched with it; each ZMW gets batches of its own, and `--chunk` shards merge
    byte for byte into the single run (float32 engines keep sharing batches)."""
    from dczoo.export import export_onnx

    int8 = tmp_path / "student_int8.onnx"
    export_onnx(converted["student"], int8, preset="reference_student", int8=True)
    assert not OnnxPredictor.load(int8).batch_invariant
    common = ["correct", "--subreads-to-ccs", str(human_1m[0]), "--ccs-bam", str(human_1m[1]),
              "--model", str(int8), "--engine", "onnxruntime", "--min-quality", "0", "--quiet",
              "--batch-size", "32"]
    assert main(common + ["--output", str(tmp_path / "single.fastq")]) == 0
    shards = []
    for i in range(3):
        shards.append(str(tmp_path / f"shard{i}.fastq"))
        assert main(common + ["--output", shards[-1], "--chunk", f"{i}/3"]) == 0
    assert main(["merge", *shards, "--output", str(tmp_path / "merged.fastq"), "--quiet"]) == 0
    assert (tmp_path / "merged.fastq").read_bytes() == (tmp_path / "single.fastq").read_bytes()
    summary = json.loads((tmp_path / "single.fastq.summary.json").read_text())
    assert summary["model"]["batches"].startswith("one ZMW per batch")


def test_float32_onnx_engines_share_batches_between_zmws(exported):
    engine = OnnxPredictor.load(exported["student"])
    assert engine.batch_invariant and engine.description()["batches"] == "ZMWs share batches"


def test_sessions_ask_for_the_gpu_provider_only_when_onnxruntime_has_it(exported, monkeypatch):
    import onnxruntime

    from dczoo.inference.onnx_engine import session_providers

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert session_providers(onnxruntime) == ["CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"])
    assert session_providers(onnxruntime) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.undo()
    engine = OnnxPredictor.load(exported["student"])
    assert engine.description()["providers"] == engine.model.session.get_providers()
    assert engine.description()["providers"][-1] == "CPUExecutionProvider"

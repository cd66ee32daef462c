"""`dczoo correct` on a tiny model: outputs, chunks, workers, bad inputs and
that nothing is left behind on failure."""

import json
import os

import numpy as np
import pysam
import pytest

from dczoo.cli.main import main
from dczoo.inference.batched_predictor import BatchedPredictor
from dczoo.inference.pipeline import CorrectionOptions, run_correction

from tests.inference.conftest import read_fastq
from tests.models.tiny import tiny_corrector


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    model = tiny_corrector()
    model.quality_calibration = "0,1.197654,-0.99781"
    folder = tmp_path_factory.mktemp("tiny") / "tiny_preset"
    model.save_to_preset(folder)
    return folder


def _correct(human_1m, output, preset, *extra, subreads=None, ccs=None):
    return main([
        "correct", "--subreads-to-ccs", str(subreads or human_1m[0]),
        "--ccs-bam", str(ccs or human_1m[1]), "--output", str(output),
        "--model", str(preset), "--min-quality", "0", "--quiet", "--batch-size", "2048",
        *extra,
    ])


@pytest.fixture(scope="module")
def whole_run(human_1m, tiny_preset, tmp_path_factory):
    output = tmp_path_factory.mktemp("whole") / "all.fastq"
    assert _correct(human_1m, output, tiny_preset, "--cpus", "1") == 0
    return read_fastq(output)


def test_whole_run_keeps_input_order(whole_run, reference_fastq):
    assert [r[0] for r in whole_run] == [r[0] for r in reference_fastq["teacher_mq0"]]


def test_chunks_partition_the_reads(human_1m, tiny_preset, tmp_path, whole_run, capsys):
    pieces = []
    for index in range(2):
        output = tmp_path / f"chunk{index}.fastq"
        assert _correct(human_1m, output, tiny_preset, "--chunk", f"{index}/3", "--cpus", "0") == 0
        pieces.append(read_fastq(output))
    # the last chunk through the Python API, with progress (lines: stderr is not a terminal)
    options = CorrectionOptions(min_quality=0, chunk="2/3", batch_size=2048, progress=True,
                                progress_every=0)
    reads = run_correction(*human_1m, tiny_preset, tmp_path / "chunk2.fastq", options)
    assert reads == [] and reads.summary["zmws"] == 3
    assert "dczoo correct: 3/3 ZMWs (100.0%)" in capsys.readouterr().err
    pieces.append(read_fastq(tmp_path / "chunk2.fastq"))
    assert [r[0] for r in pieces[1]] == [whole_run[i][0] for i in (1, 4, 7)]
    assert sorted(sum(pieces, [])) == sorted(whole_run)


def test_worker_processes_give_the_same_output(human_1m, tiny_preset, tmp_path, whole_run):
    output = tmp_path / "workers.fastq.gz"
    assert _correct(human_1m, output, tiny_preset, "--cpus", "2") == 0
    plain = tmp_path / "plain.fastq"
    import gzip

    plain.write_bytes(gzip.decompress(output.read_bytes()))
    assert read_fastq(plain) == whole_run


def _assert_nothing_left(folder, allowed=()):
    assert sorted(os.listdir(folder)) == sorted(allowed)


def _bad_copy(source, target, drop_tag_of=None, truncate_to=None):
    if truncate_to is not None:
        data = open(source, "rb").read()
        open(target, "wb").write(data[: int(len(data) * truncate_to)])
        return target
    with pysam.AlignmentFile(str(source), "rb", check_sq=False) as bam:
        with pysam.AlignmentFile(str(target), "wb", template=bam) as out:
            for index, record in enumerate(bam):
                if index == drop_tag_of:
                    record.set_tag("pw", None)
                out.write(record)
    return target


def test_not_a_bam_is_reported(human_1m, tiny_preset, tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    fake = inputs / "subreads_to_ccs.bam"
    fake.write_text("not a bam\n")
    out = tmp_path / "out"
    out.mkdir()
    assert _correct(human_1m, out / "x.fastq", tiny_preset, subreads=fake) == 2
    assert "subreads_to_ccs.bam" in capsys.readouterr().err
    _assert_nothing_left(out)


def test_missing_kinetics_tag_names_the_read(human_1m, tiny_preset, tmp_path, capsys):
    bad = _bad_copy(human_1m[0], tmp_path / "no_pw.bam", drop_tag_of=40)
    out = tmp_path / "out"
    out.mkdir()
    assert _correct(human_1m, out / "x.bam", tiny_preset, subreads=bad) == 2
    error = capsys.readouterr().err
    assert "pw" in error and "m54238_180901_011437/" in error
    _assert_nothing_left(out)


def test_drafts_not_matching_are_reported(human_1m, tiny_preset, tmp_path, capsys):
    ccs = tmp_path / "ccs_missing.bam"
    with pysam.AlignmentFile(str(human_1m[1]), "rb", check_sq=False) as bam:
        with pysam.AlignmentFile(str(ccs), "wb", template=bam) as out:
            for record in bam:
                if "/4194381/" not in record.query_name:
                    out.write(record)
    out = tmp_path / "out"
    out.mkdir()
    assert _correct(human_1m, out / "x.fastq", tiny_preset, ccs=ccs) == 2
    assert "4194381" in capsys.readouterr().err
    _assert_nothing_left(out)


def test_truncated_bam_leaves_no_output(human_1m, tiny_preset, tmp_path, capsys):
    bad = _bad_copy(human_1m[0], tmp_path / "cut.bam", truncate_to=0.6)
    out = tmp_path / "out"
    out.mkdir()
    assert _correct(human_1m, out / "x.fastq", tiny_preset, "--batch-size", "64", subreads=bad) == 2
    assert "truncated" in capsys.readouterr().err
    _assert_nothing_left(out)


@pytest.mark.parametrize("extra,message", [
    (("--dc-calibration", "1,2"), "threshold,w,b"),
    (("--chunk", "3/3"), "chunk"),
    (("--batch-size", "0"), "batch-size"),
])
def test_bad_options_exit_2(human_1m, tiny_preset, tmp_path, capsys, extra, message):
    assert _correct(human_1m, tmp_path / "x.fastq", tiny_preset, *extra) == 2
    assert message in capsys.readouterr().err
    _assert_nothing_left(tmp_path)


def test_bad_output_name_and_missing_model(human_1m, tiny_preset, tmp_path, capsys):
    assert _correct(human_1m, tmp_path / "x.txt", tiny_preset) == 2
    assert ".fastq" in capsys.readouterr().err
    assert _correct(human_1m, tmp_path / "x.fastq", tmp_path / "no_such_preset") == 2
    _assert_nothing_left(tmp_path)


def test_interrupt_leaves_nothing(human_1m, tiny_preset, tmp_path, monkeypatch):
    calls = []
    original = BatchedPredictor.predict_batch

    def interrupted(self, windows):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, windows)

    monkeypatch.setattr(BatchedPredictor, "predict_batch", interrupted)
    assert _correct(human_1m, tmp_path / "x.bam", tiny_preset, "--batch-size", "128") == 130
    _assert_nothing_left(tmp_path)


def test_summary_and_bam_output(human_1m, tiny_preset, tmp_path):
    output = tmp_path / "c.bam"
    assert _correct(human_1m, output, tiny_preset, "--summary", str(tmp_path / "s.json")) == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["zmws"] == 10 and summary["windows"]["total"] == 1593
    assert sum(summary["outcomes"].values()) == 10
    assert set(summary["timings_s"]) >= {"model", "wait_for_preprocessing", "total"}
    records = list(pysam.AlignmentFile(str(output), "rb", check_sq=False))
    assert len(records) == summary["outcomes"]["success"]
    assert all(r.flag == 4 and r.has_tag("zm") for r in records)
    _assert_nothing_left(tmp_path, ["c.bam", "s.json"])


def test_sigterm_leaves_nothing(human_1m, tiny_preset, tmp_path):
    import subprocess
    import sys
    import time

    command = [
        sys.executable, "-m", "dczoo.cli.main", "correct",
        "--subreads-to-ccs", str(human_1m[0]), "--ccs-bam", str(human_1m[1]),
        "--output", str(tmp_path / "x.fastq"), "--model", str(tiny_preset),
        "--min-quality", "0", "--quiet", "--batch-size", "16",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not any(tmp_path.iterdir()) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "finished before it could be interrupted"
    process.terminate()
    assert process.wait(timeout=60) == 128 + 15
    _assert_nothing_left(tmp_path)


@pytest.mark.parametrize("precision", ["bfloat16", "int8"])
def test_precision_levers_are_offered(human_1m, tiny_preset, tmp_path, whole_run, precision):
    output = tmp_path / f"{precision}.fastq"
    assert _correct(human_1m, output, tiny_preset, "--precision", precision, "--cpus", "0") == 0
    summary = json.loads((tmp_path / f"{precision}.fastq.summary.json").read_text())
    assert summary["settings"]["precision"] == precision
    assert summary["model"]["precision"] == precision
    reads = read_fastq(output)
    assert [r[0] for r in reads] == [r[0] for r in whole_run]


def test_on_zmw_hands_out_every_zmw_with_its_windows_and_calls(human_1m, tiny_preset, whole_run):
    from dczoo.inference import correct

    results = []
    reads = correct(*human_1m, tiny_preset, min_quality=0, chunk="0/3", cpus=0,
                    on_zmw=results.append)
    summary = reads.summary
    assert [r.name for r in results] == [whole_run[i][0] for i in (0, 3, 6, 9)]
    assert [r.read for r in results if r.read is not None] == list(reads)
    assert sum(r.zmw.n_windows for r in results) == summary["windows"]["total"]
    assert sum(int(r.skipped.sum()) for r in results) == summary["windows"]["skipped_draft_quality"]
    for result in results:
        n, length = result.zmw.n_windows, result.zmw.ccs_bq.shape[1]
        assert result.skipped.shape == (n,) and result.outcome == "success"
        assert result.tokens.shape == result.qualities.shape == (n, length)
        assert result.remaining == 0
        draft_row = result.zmw.rows[result.skipped, result.zmw.layout.ccs]
        np.testing.assert_array_equal(result.tokens[result.skipped], draft_row)


def test_engine_interface_of_the_keras_engine(tiny_preset):
    from dczoo.constants import WindowLayout
    from dczoo.inference.engine import ENGINES, Engine, load_engine

    engine = load_engine(tiny_preset, "keras", batch_size=4)
    assert isinstance(engine, Engine) and isinstance(engine, BatchedPredictor)
    assert engine.name == ENGINES[0] and engine.batch_size == 4
    assert engine.geometry() == {"max_passes": 20, "use_ccs_bq": False, "window_length": 100}
    assert engine.layout == WindowLayout(20, False)
    assert engine.quality_calibration == "0,1.197654,-0.99781"
    description = engine.description()
    assert description["engine"] == "keras" and description["source"] == "preset"
    windows = np.zeros((6, engine.layout.num_rows, engine.window_length), np.float32)
    assert engine.predict(windows).shape == (6, 100, 5) and engine.n_predicted == 6
    assert load_engine(tiny_preset).batch_size == BatchedPredictor.default_batch_size

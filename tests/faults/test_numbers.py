"""Numbers: NaN, infinities, negative and out-of-range values of every numeric
option of every command are refused before any work (exit 2), and a batch
size that cannot fit in memory is refused before the model loads (issue
points 5 and 8)."""

import math
import os

import pytest

from dczoo.errors import DczooInputError
from dczoo.inference.pipeline import CorrectionOptions, correct
from dczoo.inference.read_filter import filter_reads

from tests.faults.conftest import correct_args, run

CORRECT_CASES = [
    ("--min-quality", "nan"), ("--min-quality", "-5"), ("--min-quality", "inf"),
    ("--skip-windows-above", "nan"), ("--skip-windows-above", "-1"),
    ("--min-length", "-1"), ("--max-base-quality", "94"), ("--max-base-quality", "-1"),
    ("--ins-trim", "-1"), ("--batch-size", "0"), ("--batch-size", "nan"),
    ("--batch-zmws", "0"), ("--cpus", "-1"),
]


def _assert_refused(status, err, option, tmp_path):
    assert status == 2
    assert option in err and "must be" in err, err
    assert "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["in"]


@pytest.mark.parametrize("option, value", CORRECT_CASES)
def test_correct_options(inputs, tiny_preset, capsys, tmp_path, option, value):
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", tiny_preset,
                                            option, value))
    _assert_refused(status, err, option, tmp_path)


@pytest.mark.parametrize("value", ["nan", "-5", "-inf"])
def test_filter_min_quality(reads_fastq, capsys, tmp_path, value):
    status, err = run(capsys, "filter", "-i", reads_fastq, "-o", tmp_path / "kept.fastq",
                      f"--min-quality={value}")
    _assert_refused(status, err, "--min-quality", tmp_path)


@pytest.mark.parametrize("option, value", [
    ("--ins-trim", "-1"), ("--max-passes", "0"), ("--window-length", "0"),
    ("--shard-size", "0"), ("--cpus", "-2"), ("--shard-size", "1.5"),
])
def test_preprocess_options(inputs, capsys, tmp_path, option, value):
    status, err = run(capsys, "preprocess", "--subreads-to-ccs", inputs / "subreads_to_ccs.bam",
                      "--ccs-bam", inputs / "ccs.bam", "--out", tmp_path / "windows",
                      "--no-progress", option, value)
    _assert_refused(status, err, option, tmp_path)


@pytest.mark.parametrize("option, value", [
    ("--zmws", "0"), ("--seed", "-1"), ("--random-genome", "-5"), ("--cpus", "0"),
    ("--insert-mean", "nan"), ("--insert-sd", "-1"), ("--passes-mean", "nan"),
    ("--passes", "-1"), ("--low-pass-share", "1.5"), ("--low-pass-share", "nan"),
    ("--compare-zmws", "0"), ("--split-fractions", "nan,1,1"),
    ("--param", "errors.rate_scale=nan"),
])
def test_simulate_options(capsys, tmp_path, option, value):
    (tmp_path / "in").mkdir()
    status, err = run(capsys, "simulate", "--random-genome", "20000", "--zmws", "1",
                      "--out", tmp_path / "sim", "--quiet", option, value)
    assert status == 2
    assert option in err and ("must be" in err or "finite" in err), err
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_export_opset(tiny_preset, capsys, tmp_path):
    (tmp_path / "in").mkdir()
    status, err = run(capsys, "export", tiny_preset, "--output", tmp_path / "m.onnx", "--opset", "-1")
    _assert_refused(status, err, "--opset", tmp_path)


def test_huge_batch_size_is_refused_before_the_model_loads(inputs, capsys, tmp_path, monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("dczoo.inference.pipeline.load_engine", no_loading)
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", "student_4layer",
                                            "--batch-size", "1000000000"))
    assert status == 2
    assert "--batch-size 1000000000" in err and "memory" in err and "GB" in err
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_batch_memory_estimate_names_the_largest_batch():
    from dczoo.inference.batched_predictor import check_batch_memory

    with pytest.raises(DczooInputError, match="use --batch-size 588 or less"):
        check_batch_memory(1024, available=2_000_000_000)
    check_batch_memory(256, available=2_000_000_000)


def test_library_refuses_nan(inputs, tmp_path, reads_fastq):
    with pytest.raises(DczooInputError, match="--min-quality nan"):
        CorrectionOptions(min_quality=math.nan).check()
    with pytest.raises(DczooInputError, match="--ins-trim -1"):
        correct(inputs / "subreads_to_ccs.bam", inputs / "ccs.bam", "student_4layer", ins_trim=-1)
    with pytest.raises(DczooInputError, match="--min-quality nan"):
        filter_reads(reads_fastq, tmp_path / "kept.fastq", math.nan)
    assert not (tmp_path / "kept.fastq").exists()

"""Paths: an output that is an input (same path, symbolic or hard link), another
output, or a folder holding an input is refused before any work (exit 2), and
`--overwrite` never deletes what dczoo did not write (issue points 1 and 2)."""

import json
import os

import pytest

from tests.faults.conftest import assert_one_line_error, correct_args, run, tree


@pytest.mark.parametrize("target", ["ccs.bam", "subreads_to_ccs.bam"])
def test_correct_output_onto_an_input_is_refused(inputs, tiny_preset, capsys, target):
    before = tree(inputs)
    status, err = run(capsys, *correct_args(inputs, inputs / target, tiny_preset))
    assert status == 2
    assert_one_line_error(err, "correct", "--output", "is the same file as", target)
    assert tree(inputs) == before


@pytest.mark.parametrize("link, target, option", [("hard", "ccs.bam", "--ccs-bam"),
                                                  ("symbolic", "subreads_to_ccs.bam", "--subreads-to-ccs")])
def test_correct_output_linked_to_an_input_is_refused(inputs, tiny_preset, capsys, tmp_path, link,
                                                      target, option):
    output = tmp_path / "out.bam"
    if link == "hard":
        os.link(inputs / target, output)
    else:
        output.symlink_to(inputs / target)
    before = tree(inputs)
    status, err = run(capsys, *correct_args(inputs, output, tiny_preset))
    assert status == 2
    assert_one_line_error(err, "correct", "same file", option)
    assert tree(inputs) == before


def test_correct_summary_onto_an_input_is_refused(inputs, tiny_preset, capsys, tmp_path):
    before = tree(inputs)
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", tiny_preset,
                                            "--summary", inputs / "ccs.bam"))
    assert status == 2
    assert_one_line_error(err, "correct", "--summary", "same file", "--ccs-bam")
    assert tree(inputs) == before
    assert not (tmp_path / "out.fastq").exists()


def test_correct_summary_onto_the_output_is_refused(inputs, tiny_preset, capsys, tmp_path):
    out = tmp_path / "out.fastq"
    status, err = run(capsys, *correct_args(inputs, out, tiny_preset, "--summary", out))
    assert status == 2
    assert_one_line_error(err, "correct", "--summary", "--output", "same path")
    assert not out.exists()


def test_correct_summary_in_a_missing_folder_is_refused_before_the_run(inputs, tiny_preset, capsys,
                                                                       tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    status, err = run(capsys, *correct_args(inputs, out_dir / "reads.fastq", tiny_preset,
                                            "--summary", tmp_path / "no_such_folder" / "s.json"))
    assert status == 2
    assert_one_line_error(err, "correct", "--summary", "does not exist")
    assert tree(out_dir) == {}  # the FASTQ was not written first


def test_filter_output_onto_its_input_is_refused(reads_fastq, capsys):
    before = tree(reads_fastq.parent)
    status, err = run(capsys, "filter", "-i", reads_fastq, "-o", reads_fastq, "-q", "0")
    assert status == 2
    assert_one_line_error(err, "filter", "same file", "--input")
    assert tree(reads_fastq.parent) == before


def _preprocess(inputs, out, *extra):
    return ["preprocess", "--subreads-to-ccs", inputs / "subreads_to_ccs.bam", "--ccs-bam",
            inputs / "ccs.bam", "--out", out, "--no-progress", *extra]


def test_preprocess_overwrite_of_the_folder_holding_the_inputs_is_refused(inputs, capsys):
    before = tree(inputs)
    status, err = run(capsys, *_preprocess(inputs, inputs, "--overwrite"))
    assert status == 2
    assert_one_line_error(err, "preprocess", "--out", "holds", "--subreads-to-ccs")
    assert tree(inputs) == before


def test_preprocess_overwrite_keeps_a_folder_dczoo_did_not_write(inputs, capsys, tmp_path):
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    status, err = run(capsys, *_preprocess(inputs, out, "--overwrite"))
    assert status == 2
    assert_one_line_error(err, "preprocess", "--overwrite", "notes.txt")
    assert sorted(os.listdir(out)) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "my notes\n"
    assert sorted(os.listdir(tmp_path)) == ["dataset", "in"]


def test_preprocess_overwrite_replaces_its_own_dataset(inputs, capsys, tmp_path):
    out = tmp_path / "dataset"
    assert run(capsys, *_preprocess(inputs, out, "--chunk", "0/4"))[0] == 0
    assert run(capsys, *_preprocess(inputs, out, "--overwrite"))[0] == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counters"]["n_zmw_processed"] == 20
    assert sorted(os.listdir(tmp_path)) == ["dataset", "in"]


def test_simulate_onto_its_reference_is_refused(tmp_path, capsys):
    reference = tmp_path / "ccs.bam"  # a reference that happens to have an output's name
    reference.write_text(">chr\n" + "ACGT" * 2000 + "\n")
    before = tree(tmp_path)
    status, err = run(capsys, "simulate", "--reference", reference, "--zmws", "1",
                      "--out", tmp_path, "--force", "--quiet")
    assert status == 2
    assert_one_line_error(err, "simulate", "same file", "--reference")
    assert tree(tmp_path) == before


def test_publish_dry_run_into_the_preset_folder_is_refused(tiny_preset, capsys):
    before = tree(tiny_preset)
    status, err = run(capsys, "publish", tiny_preset, "--to", "hf://org/tiny", "--dry-run",
                      "--out", tiny_preset)
    assert status == 2
    assert_one_line_error(err, "publish", "--out", "PRESET")
    assert tree(tiny_preset) == before

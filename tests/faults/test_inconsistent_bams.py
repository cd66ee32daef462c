"""Inconsistent inputs: drafts checked against their `@SQ LN`, subreads against
the draft's extent, every ZMW accounted for in the summaries, and messages
that name the problem (issue points 7 and 9)."""

import json
import os

from tests.data.data_test_helpers import copy_bam, read_records
from tests.faults.conftest import assert_one_line_error, correct_args, run


def test_draft_shorter_than_its_sq_length(inputs, tiny_preset, capsys, tmp_path):
    draft_name = read_records(inputs / "subreads_to_ccs.bam")[0].reference_name

    def shorten(record, index):
        if record.query_name == draft_name:
            qualities = record.query_qualities[:1000]
            record.query_sequence = record.query_sequence[:1000]
            record.query_qualities = qualities
        return record

    copy_bam(inputs / "ccs.bam", tmp_path / "short.bam", shorten)
    os.replace(tmp_path / "short.bam", inputs / "ccs.bam")
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", tiny_preset))
    assert status == 2
    assert_one_line_error(err, "correct", draft_name, "has 1000 bases", "@SQ LN")
    assert not (tmp_path / "out.fastq").exists()


def test_subread_aligned_past_the_end_of_its_draft(inputs, tiny_preset, capsys, tmp_path):
    records = read_records(inputs / "subreads_to_ccs.bam")
    target = records[0].query_name
    length = records[0].header.get_reference_length(records[0].reference_name)

    def shift(record, index):
        if record.query_name == target:
            record.reference_start = length - 50
        return record

    copy_bam(inputs / "subreads_to_ccs.bam", tmp_path / "shifted.bam", shift)
    os.replace(tmp_path / "shifted.bam", inputs / "subreads_to_ccs.bam")
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", tiny_preset))
    assert status == 2
    assert_one_line_error(err, "correct", target, "past the end", f"{length} bp")


def _unmap_zmw(inputs, tmp_path, ordinal):
    """Makes every subread of the ZMW at `ordinal` unaligned; returns its name."""
    records = read_records(inputs / "subreads_to_ccs.bam")
    zmws = list(dict.fromkeys(record.get_tag("zm") for record in records))

    def unmap(record, index):
        if record.get_tag("zm") == zmws[ordinal]:
            record.flag |= 4
        return record

    copy_bam(inputs / "subreads_to_ccs.bam", tmp_path / "unmapped.bam", unmap)
    os.replace(tmp_path / "unmapped.bam", inputs / "subreads_to_ccs.bam")
    return len(zmws)


def test_zmw_without_aligned_subreads_is_counted(inputs, tiny_preset, capsys, tmp_path):
    total = _unmap_zmw(inputs, tmp_path, 3)
    out = tmp_path / "out.fastq"
    status, err = run(capsys, *correct_args(inputs, out, tiny_preset))
    assert status == 0, err
    summary = json.loads((tmp_path / "out.fastq.summary.json").read_text())
    assert summary["zmws_dropped"] == {"no_aligned_subreads": 1}
    assert summary["zmws"] + sum(summary["zmws_dropped"].values()) == total
    assert summary["preprocessing_counters"]["n_zmw_no_aligned_subreads"] == 1


def test_dropped_zmws_are_counted_once_over_chunks_and_at_the_end(inputs, capsys, tmp_path):
    total = _unmap_zmw(inputs, tmp_path, 19)  # the last ZMW
    _unmap_zmw(inputs, tmp_path, 6)
    dropped = zmws = 0
    for index in range(3):
        out = tmp_path / f"windows{index}"
        status, err = run(capsys, "preprocess", "--subreads-to-ccs", inputs / "subreads_to_ccs.bam",
                          "--ccs-bam", inputs / "ccs.bam", "--out", out, "--no-progress",
                          "--chunk", f"{index}/3")
        assert status == 0, err
        counters = json.loads((out / "summary.json").read_text())["counters"]
        dropped += counters.get("n_zmw_no_aligned_subreads", 0)
        zmws += counters["n_zmw_processed"]
    assert (dropped, zmws + dropped) == (2, total)


def test_cigar_and_sequence_lengths_differ(inputs, tiny_preset, capsys, tmp_path):
    records = read_records(inputs / "subreads_to_ccs.bam")
    target = records[2].query_name

    def lengthen(record, index):
        if record.query_name == target:
            record.cigarstring = "7=" + record.cigarstring
        return record

    copy_bam(inputs / "subreads_to_ccs.bam", tmp_path / "bad_cigar.bam", lengthen)
    os.replace(tmp_path / "bad_cigar.bam", inputs / "subreads_to_ccs.bam")
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", tiny_preset))
    assert status == 2
    assert_one_line_error(err, "correct", "malformed record", "CIGAR and SEQ lengths differ",
                          records[1].query_name)


def test_swapped_bams_are_named(inputs, tiny_preset, capsys, tmp_path):
    status, err = run(capsys, "correct", "--subreads-to-ccs", inputs / "ccs.bam", "--ccs-bam",
                      inputs / "subreads_to_ccs.bam", "-o", tmp_path / "out.fastq", "--model",
                      tiny_preset, "--quiet")
    assert status == 2
    assert_one_line_error(err, "correct", "look swapped", "--subreads-to-ccs", "--ccs-bam")


def test_simulate_from_a_bam_reference(inputs, capsys, tmp_path):
    status, err = run(capsys, "simulate", "--reference", inputs / "ccs.bam", "--zmws", "2",
                      "--out", tmp_path / "sim", "--quiet")
    assert status == 2
    assert_one_line_error(err, "simulate", "ccs.bam", "is a BAM file, not FASTA")
    assert not (tmp_path / "sim").exists()


def test_simulate_from_binary_data(capsys, tmp_path):
    reference = tmp_path / "genome.fa"
    reference.write_bytes(bytes(range(256)) * 8)
    status, err = run(capsys, "simulate", "--reference", reference, "--zmws", "2",
                      "--out", tmp_path / "sim", "--quiet")
    assert status == 2
    assert_one_line_error(err, "simulate", "genome.fa", "not a FASTA file")
    assert not (tmp_path / "sim").exists()


"""Bad inputs: a clear error naming the file, the read and the problem.

Bad files are made in tmp_path from the real human_1m BAMs with pysam. Each
case is checked through the Python API (DczooInputError and its message) and
the command line (exit status 2, no output directory left behind).
"""

import os
import shutil

import pysam
import pytest

from dczoo.cli.main import main
from dczoo.data import TruthInputs, iter_zmw_windows
from dczoo.errors import DczooInputError

from tests.data.data_test_helpers import copy_bam, read_records

FIRST_SUBREAD = "m54238_180901_011437/4194375/0_7185"
SECOND_DRAFT = "m54238_180901_011437/4194376/ccs"


def _consume(subreads, ccs, **kwargs):
    for _ in iter_zmw_windows(subreads, ccs, **kwargs):
        pass


def _cli(tmp_path, subreads, ccs, *extra):
    out = tmp_path / "out"
    status = main(
        ["preprocess", "--subreads-to-ccs", str(subreads), "--ccs-bam", str(ccs),
         "--out", str(out), "--no-progress", *extra]
    )
    leftovers = [p for p in os.listdir(tmp_path) if p.startswith((".out", "out"))]
    return status, leftovers


def _check(tmp_path, capsys, subreads, ccs, fragments, **kwargs):
    with pytest.raises(DczooInputError) as error:
        _consume(subreads, ccs, **kwargs)
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, message
    extra = []
    if kwargs.get("truth") is not None:
        truth = kwargs["truth"]
        extra = ["--truth-to-ccs", truth.truth_to_ccs, "--truth-bed", str(truth.truth_bed),
                 "--truth-split", str(truth.truth_split)]
    status, leftovers = _cli(tmp_path, subreads, ccs, *extra)
    assert status == 2
    assert leftovers == []
    err = capsys.readouterr().err
    assert "dczoo preprocess: error:" in err and fragments[0] in err


@pytest.mark.parametrize("tag", ["pw", "ip", "sn"])
def test_subread_without_kinetics_tag(tmp_path, capsys, human_1m, tag):
    def drop_tag(record, index):
        if index == 0:
            record.set_tag(tag, None)
        return record

    subreads = copy_bam(human_1m / "subreads_to_ccs.bam", tmp_path / "no_tag.bam", drop_tag)
    _check(tmp_path, capsys, subreads, human_1m / "ccs.bam",
           [str(subreads), FIRST_SUBREAD, f"missing the '{tag}' tag"])


def test_kinetics_of_wrong_length(tmp_path, capsys, human_1m):
    def shorten(record, index):
        if index == 0:
            record.set_tag("pw", record.get_tag("pw")[:-1])
        return record

    subreads = copy_bam(human_1m / "subreads_to_ccs.bam", tmp_path / "short.bam", shorten)
    _check(tmp_path, capsys, subreads, human_1m / "ccs.bam",
           [str(subreads), FIRST_SUBREAD, "'pw' tag has"])


def test_subreads_not_aligned(tmp_path, capsys, human_1m):
    source = human_1m / "subreads_to_ccs.bam"
    with pysam.AlignmentFile(str(source), check_sq=False) as bam:
        header = bam.header.to_dict()
    header.pop("SQ")
    unaligned_header = pysam.AlignmentHeader.from_dict(header)
    path = tmp_path / "unaligned.bam"
    with pysam.AlignmentFile(str(path), "wb", header=unaligned_header) as out:
        for record in read_records(source)[:5]:
            new = pysam.AlignedSegment(unaligned_header)
            new.query_name = record.query_name
            new.flag = 4
            new.query_sequence = record.get_forward_sequence()
            new.set_tags(record.get_tags())
            out.write(new)
    _check(tmp_path, capsys, path, human_1m / "ccs.bam",
           [str(path), "not aligned", "actc"])


def test_all_subreads_unmapped(tmp_path, capsys, human_1m):
    def unmap(record, index):
        record.flag = 4
        return record

    path = copy_bam(human_1m / "subreads_to_ccs.bam", tmp_path / "unmapped.bam", unmap)
    _check(tmp_path, capsys, path, human_1m / "ccs.bam",
           [str(path), "none of its 93 records aligned"])


def test_draft_missing_from_ccs_bam(tmp_path, capsys, human_1m):
    ccs = copy_bam(human_1m / "ccs.bam", tmp_path / "ccs_missing.bam",
                   lambda record, index: None if index == 1 else record)
    _check(tmp_path, capsys, human_1m / "subreads_to_ccs.bam", ccs,
           [str(ccs), f"no draft read named {SECOND_DRAFT}",
            "subread m54238_180901_011437/4194376/"])


def test_ccs_bam_in_another_order(tmp_path, capsys, human_1m):
    records = read_records(human_1m / "ccs.bam")

    def swap(record, index):
        return {1: records[2], 2: records[1]}.get(index, record)

    ccs = copy_bam(human_1m / "ccs.bam", tmp_path / "ccs_swapped.bam", swap)
    _check(tmp_path, capsys, human_1m / "subreads_to_ccs.bam", ccs,
           [str(ccs), SECOND_DRAFT, "same ZMW order"])


def test_order_error_with_workers_comes_after_earlier_zmws(tmp_path, human_1m):
    records = read_records(human_1m / "ccs.bam")

    def swap(record, index):
        return {6: records[7], 7: records[6]}.get(index, record)

    ccs = copy_bam(human_1m / "ccs.bam", tmp_path / "ccs_swapped.bam", swap)
    seen = []
    with pytest.raises(DczooInputError, match="same ZMW order"):
        for zmw in iter_zmw_windows(human_1m / "subreads_to_ccs.bam", ccs, cpus=2):
            seen.append(zmw.ordinal)
    # Drafts 0-5 and the swapped-in 7th are found; ZMW 7 (ordinal 7) is not.
    assert seen == list(range(7))


def test_truncated_bam_without_eof_marker(tmp_path, capsys, human_1m):
    data = (human_1m / "subreads_to_ccs.bam").read_bytes()
    path = tmp_path / "truncated.bam"
    path.write_bytes(data[: len(data) // 2])
    _check(tmp_path, capsys, path, human_1m / "ccs.bam", [str(path), "truncated"])


def test_bam_cut_inside_a_record(tmp_path, capsys, human_1m):
    # Cut in the middle of a BGZF block but keep an end-of-file marker, so the
    # file opens and breaks while reading records.
    data = (human_1m / "ccs.bam").read_bytes()
    eof_block = data[-28:]
    path = tmp_path / "cut.bam"
    path.write_bytes(data[: len(data) * 2 // 3] + eof_block)
    _check(tmp_path, capsys, human_1m / "subreads_to_ccs.bam", path,
           [str(path), "truncated or corrupt"])


@pytest.mark.parametrize("which", ["subreads", "ccs"])
def test_empty_file(tmp_path, capsys, human_1m, which):
    empty = tmp_path / "empty.bam"
    empty.write_bytes(b"")
    subreads = empty if which == "subreads" else human_1m / "subreads_to_ccs.bam"
    ccs = empty if which == "ccs" else human_1m / "ccs.bam"
    _check(tmp_path, capsys, subreads, ccs, [str(empty), "empty"])


def test_bam_without_records(tmp_path, capsys, human_1m):
    path = copy_bam(human_1m / "subreads_to_ccs.bam", tmp_path / "header_only.bam",
                    lambda record, index: None)
    _check(tmp_path, capsys, path, human_1m / "ccs.bam", [str(path), "has no records"])


def test_not_a_bam_file(tmp_path, capsys, human_1m):
    path = tmp_path / "reads.fa"
    path.write_text(">read\nACGT\n")
    _check(tmp_path, capsys, path, human_1m / "ccs.bam", [str(path), "not a BAM file"])


def test_missing_file(tmp_path, capsys, human_1m):
    path = tmp_path / "nowhere.bam"
    _check(tmp_path, capsys, human_1m / "subreads_to_ccs.bam", path,
           [str(path), "does not exist"])


def test_truth_bam_without_index(tmp_path, capsys, human_1m):
    truth_bam = tmp_path / "truth_to_ccs.bam"
    shutil.copy(human_1m / "truth_to_ccs.bam", truth_bam)
    with pytest.raises(DczooInputError, match="has no index"):
        TruthInputs(truth_bam, human_1m / "truth.bed", human_1m / "truth_split.tsv")
    status, leftovers = _cli(
        tmp_path, human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam",
        "--truth-to-ccs", str(truth_bam), "--truth-bed", str(human_1m / "truth.bed"),
        "--truth-split", str(human_1m / "truth_split.tsv"),
    )
    assert status == 2 and leftovers == []
    assert f"{truth_bam}: truth_to_ccs.bam has no index" in capsys.readouterr().err


def test_truth_range_of_wrong_length(tmp_path, capsys, human_1m):
    bed = tmp_path / "truth.bed"
    lines = (human_1m / "truth.bed").read_text().splitlines()
    fields = lines[0].split("\t")
    fields[2] = str(int(fields[2]) + 3)
    bed.write_text("\n".join(["\t".join(fields)] + lines[1:]) + "\n")
    truth = TruthInputs(human_1m / "truth_to_ccs.bam", bed, human_1m / "truth_split.tsv")
    _check(tmp_path, capsys, human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam",
           [str(human_1m / "truth_to_ccs.bam"), "m54238_180901_011437/4194375/truth",
            "range"], truth=truth)


def test_partial_truth_flags_are_rejected(tmp_path, capsys, human_1m):
    status, leftovers = _cli(
        tmp_path, human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam",
        "--truth-bed", str(human_1m / "truth.bed"),
    )
    assert status == 2 and leftovers == []
    assert "--truth-to-ccs" in capsys.readouterr().err


def test_error_in_a_worker_process_is_reported(tmp_path, human_1m):
    def drop_tag(record, index):
        if index == 40:
            record.set_tag("ip", None)
        return record

    subreads = copy_bam(human_1m / "subreads_to_ccs.bam", tmp_path / "late.bam", drop_tag)
    name = read_records(subreads)[40].query_name
    with pytest.raises(DczooInputError, match=f"{name}: missing the 'ip' tag"):
        _consume(subreads, human_1m / "ccs.bam", cpus=2)


def test_existing_output_is_kept_unless_overwrite(tmp_path, human_1m):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    args = ["preprocess", "--subreads-to-ccs", str(human_1m / "subreads_to_ccs.bam"),
            "--ccs-bam", str(human_1m / "ccs.bam"), "--out", str(out), "--no-progress",
            "--chunk", "0/5"]
    assert main(args) == 2
    assert (out / "keep.txt").read_text() == "precious"
    # --overwrite replaces only what dczoo wrote: never the user's file
    assert main(args + ["--overwrite"]) == 2
    assert os.listdir(out) == ["keep.txt"] and (out / "keep.txt").read_text() == "precious"
    (out / "keep.txt").unlink()
    assert main(args) == 0
    assert main(args + ["--overwrite"]) == 0
    assert (out / "summary.json").exists()


def test_standalone_preprocess_entry_point(tmp_path, capsys, human_1m):
    from dczoo.cli import preprocess

    empty = tmp_path / "empty.bam"
    empty.write_bytes(b"")
    args = ["--subreads-to-ccs", str(empty), "--ccs-bam", str(human_1m / "ccs.bam"),
            "--out", str(tmp_path / "out"), "--no-progress"]
    assert preprocess.main(args) == 2
    assert f"{empty}: subreads_to_ccs.bam is empty" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

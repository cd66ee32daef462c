"""FASTQ and BAM writers: format, tags, header, atomic output."""

import gzip
import os

import numpy as np
import pysam
import pytest

from dczoo.data.bam_reader import parse_draft
from dczoo.inference.bam_writer import BamWriter
from dczoo.inference.corrected_read import CorrectedRead
from dczoo.inference.fastq_writer import FastqWriter
from dczoo.version import __version__

from tests.inference.conftest import read_fastq


def _drafts(ccs_bam):
    with pysam.AlignmentFile(str(ccs_bam), "rb", check_sq=False) as bam:
        return {r.query_name: parse_draft(r, str(ccs_bam)) for r in bam}


def _reads_from_fastq(records, drafts):
    reads = []
    for name, sequence, quality in records:
        q = np.frombuffer(quality.encode(), np.uint8) - 33
        reads.append(CorrectedRead.from_draft(drafts[name], sequence, q))
    return reads


def test_bam_output_equals_the_reference_bam(tmp_path, human_1m, reference_dir, reference_fastq):
    drafts = _drafts(human_1m[1])
    reads = _reads_from_fastq(reference_fastq["teacher_mq0"], drafts)
    with pysam.AlignmentFile(str(human_1m[1]), "rb", check_sq=False) as ccs:
        header = ccs.header
        with BamWriter(tmp_path / "out.bam", header, command_line="dczoo correct x") as writer:
            for read in reads:
                writer.write(read)
            writer.commit()
    ours = pysam.AlignmentFile(str(tmp_path / "out.bam"), "rb", check_sq=False)
    theirs = pysam.AlignmentFile(str(reference_dir / "run" / "teacher_mq0.bam"), "rb", check_sq=False)
    our_lines = [line for line in str(ours.header).splitlines() if line]
    assert our_lines.pop() == f"@PG\tID:dczoo\tPN:dczoo\tVN:{__version__}\tPP:samtools.1\tCL:dczoo correct x"
    assert our_lines == [line for line in str(theirs.header).splitlines() if line]
    pairs = list(zip(ours, theirs, strict=True))
    assert len(pairs) == 10
    for a, b in pairs:
        assert a.query_name == b.query_name
        assert (a.flag, a.mapping_quality, a.reference_id) == (b.flag, b.mapping_quality, -1)
        assert a.query_sequence == b.query_sequence
        assert list(a.query_qualities) == list(b.query_qualities)
        assert a.get_tags(with_value_type=True) == b.get_tags(with_value_type=True)


def test_missing_effective_coverage_is_written_as_minus_one(tmp_path):
    read = CorrectedRead("m/5/ccs", "ACGT", np.full(4, 30, np.uint8), ec=None, np=3, rq=0.99, rg="rg1", zm=5)
    header = {"HD": {"VN": "1.5", "SO": "unknown"}, "RG": [{"ID": "rg1"}]}
    with BamWriter(tmp_path / "a.bam", header) as writer:
        writer.write(read)
        writer.commit()
    record = next(iter(pysam.AlignmentFile(str(tmp_path / "a.bam"), "rb", check_sq=False)))
    assert record.get_tag("ec") == -1.0 and record.get_tag("np") == 3 and record.get_tag("zm") == 5


@pytest.mark.parametrize("name", ["out.fastq", "out.fq.gz"])
def test_fastq_round_trip(tmp_path, name, reference_fastq):
    records = reference_fastq["teacher_mq0"][:3]
    with FastqWriter(tmp_path / name) as writer:
        for read_name, sequence, quality in records:
            q = np.frombuffer(quality.encode(), np.uint8) - 33
            writer.write(CorrectedRead(read_name, sequence, q))
        writer.commit()
    path = tmp_path / name
    if name.endswith(".gz"):
        again = tmp_path / ("again_" + name)
        with FastqWriter(again) as writer:
            for read_name, sequence, quality in records:
                writer.write(CorrectedRead(read_name, sequence, np.frombuffer(quality.encode(), np.uint8) - 33))
            writer.commit()
        assert again.read_bytes() == path.read_bytes()  # no file name or time in the gzip header
        plain = tmp_path / "plain.fastq"
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        path = plain
    assert read_fastq(path) == records


def test_output_appears_only_on_commit(tmp_path):
    target = tmp_path / "out.fastq"
    with FastqWriter(target) as writer:
        writer.write(CorrectedRead("r", "A", np.array([3], np.uint8)))
        assert not target.exists()
    assert os.listdir(tmp_path) == []  # no commit: nothing left, no temp file
    with pytest.raises(RuntimeError):
        with BamWriter(tmp_path / "out.bam", {"HD": {"VN": "1.5"}}) as writer:
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []

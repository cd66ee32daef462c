"""`dczoo filter`: keep reads at or above an average quality."""

import gzip

import numpy as np
import pysam
import pytest

from dczoo.cli.main import main
from dczoo.errors import DczooInputError
from dczoo.inference.read_filter import filter_reads, read_quality

from tests.inference.conftest import read_fastq


def _qualities(quality_string):
    return np.frombuffer(quality_string.encode(), np.uint8) - 33


def test_fastq_filter_keeps_reads_at_or_above(tmp_path, reference_dir, reference_fastq):
    reads = reference_fastq["teacher_mq0"]
    averages = [read_quality(_qualities(q)) for _, _, q in reads]
    threshold = sorted(averages)[4]  # exactly the 5th lowest average: kept (>=)
    output = tmp_path / "kept.fastq.gz"
    counts = filter_reads(reference_dir / "run" / "teacher_mq0.fastq", output, threshold)
    plain = tmp_path / "kept.fastq"
    plain.write_bytes(gzip.decompress(output.read_bytes()))
    kept = read_fastq(plain)
    assert kept == [r for r, a in zip(reads, averages) if a >= threshold]
    assert counts == {"total": 10, "kept": 6, "filtered": 4}


def test_bam_filter_keeps_header_and_tags(tmp_path, reference_dir):
    source = reference_dir / "run" / "teacher_mq0.bam"
    status = main(["filter", "-i", str(source), "-o", str(tmp_path / "k.bam"), "-q", "5", "--quiet"])
    assert status == 0
    kept = list(pysam.AlignmentFile(str(tmp_path / "k.bam"), "rb", check_sq=False))
    everything = list(pysam.AlignmentFile(str(source), "rb", check_sq=False))
    expected = [r for r in everything if read_quality(np.asarray(r.query_qualities), None) >= 5]
    assert 0 < len(kept) < len(everything)
    assert [r.to_string() for r in kept] == [r.to_string() for r in expected]


def test_bam_to_fastq(tmp_path, reference_dir, reference_fastq):
    filter_reads(reference_dir / "run" / "teacher_mq0.bam", tmp_path / "all.fq", 0)
    assert read_fastq(tmp_path / "all.fq") == reference_fastq["teacher_mq0"]


def test_bad_filter_inputs(tmp_path, reference_dir):
    fastq = reference_dir / "run" / "teacher_mq0.fastq"
    with pytest.raises(DczooInputError, match="needs BAM input"):
        filter_reads(fastq, tmp_path / "x.bam", 20)
    with pytest.raises(DczooInputError, match="must be"):
        filter_reads(fastq, tmp_path / "x.txt", 20)
    broken = tmp_path / "broken.fastq"
    broken.write_text("@r0\nAC\n+\nII\n@r1\nACGT\n+\nII\n")
    with pytest.raises(DczooInputError, match="after read r0"):
        filter_reads(broken, tmp_path / "y.fastq", 20)
    assert main(["filter", "-i", str(tmp_path / "missing.fq"), "-o", str(tmp_path / "z.fq"), "-q", "1"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.fastq"]

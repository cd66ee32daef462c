"""End to end with the converted reference teacher: dczoo's output equals the
reference's `deepconsensus run` outputs on human_1m (../shared/data/reference/run).

The full run (1055 model windows) happens once per backend; the no-skip and
default-filter cases run on one ZMW (4194387, ordinal 8) through the CLI.
"""

import json

import numpy as np
import pysam
import pytest

from dczoo.cli.main import main
from dczoo.inference.pipeline import CorrectionOptions, run_correction
from dczoo.inference.read_filter import read_quality
from dczoo.models.convert import from_deepconsensus_checkpoint

# Reference README section 3-4: probabilities agree to ~1e-6, which can move a
# quality across a rounding boundary at about one position in this data set.
MAX_QUALITY_FLIPS = 5


def assert_same_reads(ours, theirs):
    """Names, order and sequences exactly; qualities up to rare +-1 flips."""
    assert [r[0] for r in ours] == [r[0] for r in theirs]
    flips = 0
    for (name, seq, qual), (_, ref_seq, ref_qual) in zip(ours, theirs):
        assert seq == ref_seq, name
        a = np.frombuffer(qual.encode(), np.uint8).astype(int)
        b = np.frombuffer(ref_qual.encode(), np.uint8).astype(int)
        assert a.shape == b.shape and np.abs(a - b).max(initial=0) <= 1, name
        flips += int((a != b).sum())
    assert flips <= MAX_QUALITY_FLIPS


@pytest.fixture(scope="module")
def teacher(reference_dir):
    return from_deepconsensus_checkpoint(reference_dir / "model" / "teacher")


@pytest.fixture(scope="module")
def full_run(teacher, human_1m, tmp_path_factory):
    output = tmp_path_factory.mktemp("e2e") / "teacher_mq0.bam"
    options = CorrectionOptions(min_quality=0, batch_size=128, cpus=1)
    reads = run_correction(*human_1m, teacher, output, options, collect=True)
    return reads, output


def test_reads_equal_reference_fastq(full_run, reference_fastq):
    reads, _ = full_run
    ours = [(r.name, r.sequence, r.quality_string) for r in reads]
    assert_same_reads(ours, reference_fastq["teacher_mq0"])


def test_bam_equals_reference_bam(full_run, reference_dir):
    _, output = full_run
    ours = list(pysam.AlignmentFile(str(output), "rb", check_sq=False))
    theirs = list(pysam.AlignmentFile(str(reference_dir / "run" / "teacher_mq0.bam"), "rb", check_sq=False))

    def as_fastq(records):
        return [(r.query_name, r.query_sequence, pysam.array_to_qualitystring(r.query_qualities))
                for r in records]

    assert_same_reads(as_fastq(ours), as_fastq(theirs))
    for a, b in zip(ours, theirs):
        assert (a.flag, a.mapping_quality) == (b.flag, b.mapping_quality) == (4, 255)
        assert a.get_tags(with_value_type=True) == b.get_tags(with_value_type=True)


def test_summary_counts_match_the_reference_run(full_run, reference_dir):
    _, output = full_run
    summary = json.loads((output.parent / (output.name + ".summary.json")).read_text())
    assert summary["windows"]["total"] == 1593
    assert (summary["windows"]["model"], summary["windows"]["skipped_draft_quality"]) == (1055, 538)
    assert summary["outcomes"]["success"] == 10 and summary["exit_status"] == 0
    reference = json.loads((reference_dir / "run" / "teacher_mq0.bam.inference.json").read_text())
    for key, value in reference.items():
        assert summary["preprocessing_counters"][key] == value
    assert summary["zmws"] == 10


def test_every_read_is_below_q20_as_in_the_reference_default_run(full_run):
    reads, _ = full_run
    assert all(read_quality(r.qualities) < 20 for r in reads)


def test_no_skip_read_equals_reference(teacher, human_1m, reference_fastq):
    options = CorrectionOptions(min_quality=0, skip_windows_above=0, chunk="8/10", batch_size=32)
    reads = run_correction(*human_1m, teacher, None, options, collect=True)
    expected = [r for r in reference_fastq["teacher_mq0_noskip"] if "/4194387/" in r[0]]
    assert_same_reads([(r.name, r.sequence, r.quality_string) for r in reads], expected)
    assert reads.summary["windows"]["model"] == 42


def test_default_min_quality_fails_like_the_reference(reference_dir, human_1m, tmp_path, capsys):
    output = tmp_path / "teacher_defaults.fastq"
    status = main([
        "correct", "--subreads-to-ccs", str(human_1m[0]), "--ccs-bam", str(human_1m[1]),
        "--output", str(output), "--model", str(reference_dir / "model" / "teacher"),
        "--chunk", "8/10", "--batch-size", "32", "--cpus", "1",
    ])
    assert status == 1
    assert not output.exists()
    summary = json.loads((tmp_path / "teacher_defaults.fastq.summary.json").read_text())
    assert summary["outcomes"]["failed_quality_filter"] == 1
    assert summary["outcomes"]["success"] == 0 and summary["output_written"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["teacher_defaults.fastq.summary.json"]
    assert "no read passed the filters" in capsys.readouterr().err

"""Full disks, quotas, read-only file systems and permissions: one line naming
the path and the error, exit status 3, no partial or temporary file, an
earlier output unchanged (issue point 3).

A full disk is a small tmpfs filled to its last byte (root only, skipped
otherwise) and also an `OSError` injected into the writer, which runs
anywhere; permissions are tested as the user `nobody` where this Python can
run as it, and with an injected EACCES (root ignores file permissions).
"""

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dczoo.inference.fastq_writer import FastqWriter

from tests.faults.conftest import assert_one_line_error, correct_args, run, tree

EXIT_OUTPUT_FAILED = 3  # the documented status (dczoo.errors.EXIT_OUTPUT_FAILED)
ENOSPC_WORDS = ("No space left on device", "ENOSPC")


@pytest.mark.parametrize("name", ["out.fastq", "out.fastq.gz", "out.bam"])
def test_correct_on_a_full_disk(inputs, tiny_preset, capsys, full_disk, name):
    full_disk.fill()
    before = tree(full_disk.path)
    status, err = run(capsys, *correct_args(inputs, full_disk.path / name, tiny_preset))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", str(full_disk.path / name), *ENOSPC_WORDS)
    assert tree(full_disk.path) == before


def test_correct_on_a_full_disk_keeps_the_earlier_output(inputs, tiny_preset, capsys, full_disk):
    earlier = full_disk.path / "out.fastq"
    earlier.write_text("@earlier\nACGT\n+\nIIII\n")
    full_disk.fill()
    before = tree(full_disk.path)
    status, err = run(capsys, *correct_args(inputs, earlier, tiny_preset))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", *ENOSPC_WORDS, "unchanged")
    assert tree(full_disk.path) == before


def test_summary_on_a_full_disk_leaves_no_reads_either(inputs, tiny_preset, capsys, full_disk, tmp_path):
    full_disk.fill()
    before = tree(full_disk.path)
    out = tmp_path / "reads.fastq"
    status, err = run(capsys, *correct_args(inputs, out, tiny_preset, "--summary",
                                            full_disk.path / "run.json"))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", "run.json", *ENOSPC_WORDS)
    assert tree(full_disk.path) == before
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".reads")]


@pytest.mark.parametrize("name", ["kept.fastq", "kept.bam"])
def test_filter_on_a_full_disk(inputs, capsys, full_disk, name):
    full_disk.fill()
    before = tree(full_disk.path)
    status, err = run(capsys, "filter", "-i", inputs / "ccs.bam", "-o", full_disk.path / name,
                      "-q", "0", "--quiet")
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "filter", name, *ENOSPC_WORDS)
    assert tree(full_disk.path) == before


def test_preprocess_on_a_full_disk(inputs, capsys, full_disk):
    full_disk.fill()
    before = tree(full_disk.path)
    status, err = run(capsys, "preprocess", "--subreads-to-ccs", inputs / "subreads_to_ccs.bam",
                      "--ccs-bam", inputs / "ccs.bam", "--out", full_disk.path / "windows",
                      "--no-progress")
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "preprocess", "windows", *ENOSPC_WORDS)
    assert tree(full_disk.path) == before
    assert sorted(os.listdir(full_disk.path)) == ["filler.bin"]


def test_simulate_on_a_full_disk_leaves_no_folder(capsys, full_disk):
    full_disk.fill()
    status, err = run(capsys, "simulate", "--random-genome", "20000", "--zmws", "2",
                      "--insert-mean", "1500", "--out", full_disk.path / "sim", "--quiet")
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "simulate", "sim", *ENOSPC_WORDS)
    assert sorted(os.listdir(full_disk.path)) == ["filler.bin"]


def test_read_only_output_folder(inputs, tiny_preset, capsys, read_only_folder):
    status, err = run(capsys, *correct_args(inputs, read_only_folder / "out.bam", tiny_preset))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", "out.bam", "Read-only file system", "EROFS")
    assert os.listdir(read_only_folder) == []


class _FailingStream:
    """A stream whose writes fail with `code` and whose close fails too (the
    last buffer of a full disk cannot be flushed)."""

    def __init__(self, stream, code):
        self.stream, self.code = stream, code

    def write(self, text):
        raise OSError(self.code, os.strerror(self.code))

    def close(self):
        self.stream.close()
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_injected_write_error_is_cleaned_up_although_close_fails(inputs, tiny_preset, capsys,
                                                                 tmp_path, monkeypatch, code):
    opened = FastqWriter._open
    monkeypatch.setattr(FastqWriter, "_open", lambda self, path: _FailingStream(opened(self, path), code))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    status, err = run(capsys, *correct_args(inputs, out_dir / "reads.fastq.gz", tiny_preset))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", "reads.fastq.gz", os.strerror(code),
                          errno.errorcode[code])
    assert os.listdir(out_dir) == []


def test_record_writer_abort_survives_a_failing_close(tmp_path):
    from dczoo.atomic import AtomicRecordWriter

    class Writer(AtomicRecordWriter):
        def _open(self, temporary_path):
            return _FailingStream(open(temporary_path, "w"), errno.ENOSPC)

    writer = Writer(tmp_path / "x.txt")
    writer.abort()  # closing fails; the temporary file is removed all the same
    assert os.listdir(tmp_path) == []


def test_injected_permission_error_when_creating_the_output(inputs, tiny_preset, capsys, tmp_path,
                                                            monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("dczoo.atomic.tempfile.mkstemp", refuse)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    status, err = run(capsys, *correct_args(inputs, out_dir / "reads.bam", tiny_preset))
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "correct", "reads.bam", "Permission denied", "EACCES")
    assert os.listdir(out_dir) == []


def test_unwritable_output_folder_is_refused_before_any_work(inputs, capsys, tmp_path, monkeypatch):
    out_dir = tmp_path / "locked"
    out_dir.mkdir()
    real_access = os.access
    monkeypatch.setattr("dczoo.paths.os.access",
                        lambda path, mode: False if os.fspath(path) == str(out_dir) else real_access(path, mode))
    status, err = run(capsys, "filter", "-i", inputs / "ccs.bam", "-o", out_dir / "kept.bam", "-q", "0")
    assert status == EXIT_OUTPUT_FAILED
    assert_one_line_error(err, "filter", "kept.bam", "Permission denied", "EACCES")
    assert os.listdir(out_dir) == []


def test_unwritable_output_folder_as_an_unprivileged_user(reads_fastq, unprivileged):
    work = Path(tempfile.mkdtemp(prefix="dczoo-faults-"))  # outside root's private tmp_path
    try:
        work.chmod(0o755)
        reads = work / "reads.fastq"
        shutil.copy(reads_fastq, reads)
        reads.chmod(0o644)
        out_dir = work / "locked"
        out_dir.mkdir(mode=0o555)
        result = subprocess.run(
            [*unprivileged, sys.executable, "-m", "dczoo.cli.main", "filter", "-i", str(reads),
             "-o", str(out_dir / "kept.fastq"), "-q", "0"],
            capture_output=True, text=True, env=dict(os.environ, HOME=str(work)),
        )
        assert result.returncode == EXIT_OUTPUT_FAILED, result.stderr
        assert_one_line_error(result.stderr, "filter", "kept.fastq", "Permission denied", "EACCES")
        assert os.listdir(out_dir) == []
    finally:
        shutil.rmtree(work)

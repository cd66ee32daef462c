"""Fixtures of the fault-injection suite: inputs, a tiny preset, full and
read-only file systems, and checks that nothing but the pre-existing files is
left.

Every case runs the command line in-process (`dczoo.cli.main.main`) on copies
of the bundled `sim_small` example (20 ZMWs) with a tiny model, and asserts
the exit status, the key words of the one-line message and the files left.
"""

import contextlib
import dataclasses
import errno
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

from dczoo.cli.main import main
from dczoo.examples import example_dir

from tests.models.tiny import tiny_corrector


@pytest.fixture(scope="session")
def tiny_preset(tmp_path_factory):
    """A tiny corrector saved with save_to_preset (it has a manifest)."""
    folder = tmp_path_factory.mktemp("faults_preset") / "tiny"
    tiny_corrector().save_to_preset(folder)
    return folder


@pytest.fixture
def inputs(tmp_path):
    """Copies of the sim_small BAM pair in `tmp_path/in` (tests may clobber them)."""
    folder = tmp_path / "in"
    folder.mkdir()
    source = example_dir("sim_small")
    for name in ("subreads_to_ccs.bam", "ccs.bam"):
        shutil.copy(source / name, folder / name)
    return folder


@pytest.fixture
def reads_fastq(inputs):
    """The drafts of sim_small as a FASTQ file, in the inputs folder."""
    path = inputs / "reads.fastq"
    with pysam.AlignmentFile(str(inputs / "ccs.bam"), check_sq=False) as bam, open(path, "w") as out:
        for record in bam:
            out.write(f"@{record.query_name}\n{record.query_sequence}\n+\n{record.qual}\n")
    return path


def tree(folder):
    """Every file under `folder` (hidden ones too) -> sha256 of its content."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run(capsys, *argv):
    """Runs `dczoo ARGV` in-process; returns `(exit status, stderr)`."""
    capsys.readouterr()
    status = main([str(arg) for arg in argv])
    return status, capsys.readouterr().err


def correct_args(inputs, output, preset, *extra):
    """`dczoo correct` arguments on the inputs folder, with the tiny preset."""
    return ["correct", "--subreads-to-ccs", inputs / "subreads_to_ccs.bam", "--ccs-bam",
            inputs / "ccs.bam", "--output", output, "--model", preset, "--min-quality", "0",
            "--quiet", "--cpus", "0", *extra]


def assert_one_line_error(err, command, *words):
    """The message is one `dczoo COMMAND: error:` line holding every word."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[-1].startswith(f"dczoo {command}: error:"), err
    assert "Traceback" not in err, err
    for word in words:
        assert word in lines[-1], (word, lines[-1])


@contextlib.contextmanager
def _tmpfs(mount_point, options):
    """Mounts a tmpfs at `mount_point` for the `with` block (root only; else a skip)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the injected-error cases cover this)")
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@dataclasses.dataclass
class FullDisk:
    """A mounted 64 KiB tmpfs; `fill()` leaves it with no free byte."""

    path: Path

    def fill(self):
        with open(self.path / "filler.bin", "wb", buffering=0) as filler:
            for size in (4096, 1):
                try:
                    while True:
                        filler.write(b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
        assert os.statvfs(self.path).f_bavail == 0
        return self


@pytest.fixture
def full_disk(tmp_path):
    """A small tmpfs mounted in `tmp_path` (root only; skipped otherwise)."""
    with _tmpfs(tmp_path / "disk", "size=64k,mode=0755") as mount_point:
        yield FullDisk(mount_point)


@pytest.fixture
def read_only_folder(tmp_path):
    """A read-only tmpfs mounted in `tmp_path` (root only; skipped otherwise)."""
    with _tmpfs(tmp_path / "read_only", "size=64k,ro") as mount_point:
        yield mount_point


@pytest.fixture
def unprivileged(tmp_path):
    """A command prefix running as the user `nobody`, or a skip with the reason."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as an unprivileged user")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import dczoo"], capture_output=True, text=True,
                           cwd=Path(__file__).resolve().parents[2])
    if probe.returncode:
        reason = (probe.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"the unprivileged user cannot run this Python ({reason}); the injected "
                    "EACCES cases cover permissions")
    return prefix

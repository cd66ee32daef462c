"""Progress and logging of batch jobs: with stderr in a file, `dczoo correct`,
`preprocess` and `simulate` write progress lines (`dczoo.progress`), `--quiet`
writes none, and TensorFlow's C++ start-up lines stay off stderr unless
`--verbose` (`dczoo.native_logs`)."""

import importlib.util
import io
import os
import re
import subprocess
import sys
import types

import pytest

from dczoo import native_logs as _native_logs
from dczoo import progress as progress_module
from dczoo.cli import main as main_module
from dczoo.cli.main import main
from dczoo.errors import DczooInputError
from dczoo.examples import example_dir
from dczoo.progress import Progress

from tests.models.tiny import tiny_corrector

EXAMPLE_ZMWS = 20  # dczoo/examples/sim_small

# The documented line: done/total (share), ZMWs/s, [windows/s,] elapsed, ETA.
LINE = re.compile(
    r"^dczoo (?P<label>\w+): (?P<done>\d+)/(?P<total>\d+) ZMWs \(\d+\.\d%\), \d+\.\d\d ZMWs/s, "
    r"(?:\d+\.\d windows/s, )?elapsed \d+:\d\d:\d\d, ETA \d+:\d\d:\d\d$"
)
NOISE = ("absl::InitializeLog", "oneDNN", "cpu_feature_guard")


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "tiny_preset"
    tiny_corrector().save_to_preset(folder)
    return folder


def _correct_args(output, preset, *extra):
    example = example_dir()
    return ["correct", "--subreads-to-ccs", str(example / "subreads_to_ccs.bam"),
            "--ccs-bam", str(example / "ccs.bam"), "--output", str(output),
            "--model", str(preset), "--min-quality", "0", "--cpus", "0", *extra]


def _run_with_stderr_in_file(monkeypatch, tmp_path, argv):
    """Runs `dczoo ARGV` in this process with stderr sent to a file, as a
    cluster job does; returns (exit status, the file's lines)."""
    log = tmp_path / "job.err"
    with open(log, "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        status = main(argv)
    monkeypatch.undo()
    return status, log.read_text().splitlines()


def _progress_lines(lines, label):
    matches = [LINE.match(line) for line in lines]
    return [m for m in matches if m and m["label"] == label]


def test_correct_writes_progress_lines_to_a_file(monkeypatch, tmp_path, tiny_preset):
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, _correct_args(
        tmp_path / "out.fastq", tiny_preset, "--progress-every", "0.001"))
    assert status == 0
    progress = _progress_lines(lines, "correct")
    assert progress, f"no progress line in {lines}"
    done = [int(m["done"]) for m in progress]
    assert done == sorted(done) and done[-1] == EXAMPLE_ZMWS
    assert {int(m["total"]) for m in progress} == {EXAMPLE_ZMWS}
    assert all("windows/s" in m.string for m in progress)
    assert lines[-1].startswith("dczoo correct: wrote 20 reads")


def test_correct_quiet_writes_nothing(monkeypatch, tmp_path, tiny_preset):
    output = tmp_path / "out.fastq"
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, _correct_args(
        output, tiny_preset, "--quiet", "--progress-every", "0"))
    assert status == 0 and output.is_file()
    assert lines == []


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_progress_every_is_validated(monkeypatch, tmp_path, tiny_preset, value):
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, _correct_args(
        tmp_path / "out.fastq", tiny_preset, "--progress-every", value))
    assert status == 2
    assert re.fullmatch(r"dczoo correct: error: argument --progress-every: \S+: must be a number >= 0",
                        lines[-1]), lines


def test_preprocess_and_simulate_write_progress_lines(monkeypatch, tmp_path):
    example = example_dir()
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, [
        "preprocess", "--subreads-to-ccs", str(example / "subreads_to_ccs.bam"),
        "--ccs-bam", str(example / "ccs.bam"), "--out", str(tmp_path / "windows"),
        "--progress-every", "0"])
    assert status == 0
    assert [int(m["done"]) for m in _progress_lines(lines, "preprocess")] == list(range(1, 21))
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, [
        "simulate", "--random-genome", "40000", "--zmws", "3", "--out", str(tmp_path / "sim"),
        "--progress-every", "0"])
    assert status == 0
    assert [int(m["done"]) for m in _progress_lines(lines, "simulate")] == [1, 2, 3]
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, [
        "simulate", "--random-genome", "40000", "--zmws", "3", "--out", str(tmp_path / "sim"),
        "--force", "--quiet", "--progress-every", "0"])
    assert status == 0 and lines == []


def test_progress_lines_every_interval_and_a_last_one(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(progress_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    log = io.StringIO()
    progress = Progress("correct", total=10, every=30, stream=log)
    for _ in range(4):  # 4 ZMWs, 10 s apart: a line at 30 s only
        clock[0] += 10
        progress.update(1, windows=20)
    clock[0] += 5
    progress.update(1, windows=20)
    progress.close()  # a last line: ZMWs were done since the one at 30 s
    lines = log.getvalue().splitlines()
    assert lines == [
        "dczoo correct: 3/10 ZMWs (30.0%), 0.10 ZMWs/s, 2.0 windows/s, elapsed 0:00:30, ETA 0:01:10",
        "dczoo correct: 5/10 ZMWs (50.0%), 0.11 ZMWs/s, 2.2 windows/s, elapsed 0:00:45, ETA 0:00:45",
    ]


def test_progress_without_total_or_windows_and_off():
    log = io.StringIO()
    with Progress("simulate", every=0, stream=log) as progress:
        progress.update(2)
    assert re.fullmatch(r"dczoo simulate: 2 ZMWs, \d+\.\d\d ZMWs/s, elapsed 0:00:00\n", log.getvalue())
    quiet = io.StringIO()
    with Progress("simulate", total=2, every=0, stream=quiet, enabled=False) as progress:
        progress.update(2)
    assert quiet.getvalue() == ""
    with pytest.raises(DczooInputError, match="--progress-every nan"):
        Progress("correct", every=float("nan"))


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_keeps_the_tqdm_bar():
    screen = _Terminal()
    with Progress("correct", total=3, every=0, stream=screen) as progress:
        progress.update(3, windows=9)
    text = screen.getvalue()
    assert "3/3" in text and "ZMW/s" in text and "windows=9" in text
    assert not LINE.match(text.strip().split("\r")[-1])


def test_native_start_up_lines_are_filtered(tmp_path, monkeypatch, capfd):
    """The import hook sends a package's native writes through the filter:
    INFO/WARNING lines and absl's notice go, errors and Python's output stay."""
    package = tmp_path / "noisy_native_lib"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import os, sys\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\\n')\n"
        "os.write(2, b'I0000 00:00:1796624273.914173   19093 port.cc:153] oneDNN custom "
        "operations are on.\\n')\n"
        "os.write(2, b'W0101 12:00:01.5 7 x.cc:9] a native warning\\n')\n"
        "os.write(2, b'E0000 00:00:1796624273.9   19093 op.cc:1] a native error\\n')\n"
        "print('a Python warning', file=sys.stderr)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_native_logs, "_QUIET_IMPORTS", ("noisy_native_lib",))
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    with _native_logs.quiet_native_logs():
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
        importlib.import_module("noisy_native_lib")
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    assert sorted(capfd.readouterr().err.splitlines()) == [
        "E0000 00:00:1796624273.9   19093 op.cc:1] a native error", "a Python warning"]
    module = sys.modules.pop("noisy_native_lib")
    assert not isinstance(module.__loader__, _native_logs._QuietLoader)
    with _native_logs.quiet_native_logs(enabled=False):
        importlib.import_module("noisy_native_lib")
    assert "absl::InitializeLog" in capfd.readouterr().err
    sys.modules.pop("noisy_native_lib")


def test_library_refuses_bad_intervals(tmp_path):
    from dczoo.data import preprocess
    from dczoo.inference.pipeline import CorrectionOptions
    from dczoo.simulate import SimulationConfig, simulate

    with pytest.raises(DczooInputError, match="--progress-every -1"):
        CorrectionOptions(progress_every=-1).check()
    example = example_dir()
    with pytest.raises(DczooInputError, match="--progress-every nan"):
        preprocess(example / "subreads_to_ccs.bam", example / "ccs.bam", tmp_path / "windows",
                   progress=True, progress_every=float("nan"))
    with pytest.raises(DczooInputError, match="--progress-every -inf"):
        simulate(SimulationConfig(n_zmws=1, random_genome=20000), str(tmp_path / "sim"),
                 progress_every=float("-inf"))
    assert os.listdir(tmp_path) == []


def test_verbose_is_accepted_and_keeps_native_logs(monkeypatch, tmp_path, tiny_preset):
    filtered = []

    def spy(enabled=True):
        filtered.append(enabled)
        return _native_logs.quiet_native_logs(enabled)

    monkeypatch.setattr(main_module, "quiet_native_logs", spy)
    output = tmp_path / "out.fastq"
    status, lines = _run_with_stderr_in_file(monkeypatch, tmp_path, _correct_args(
        output, tiny_preset, "--verbose"))
    assert status == 0 and output.is_file()
    assert lines[-1].startswith("dczoo correct: wrote 20 reads")
    assert filtered == [False]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed")
def test_tensorflow_start_up_lines_stay_off_stderr(tmp_path, tiny_preset):
    """A real `dczoo correct` under TensorFlow, in a fresh process (so that
    its C++ libraries load there) with stderr in a file: no absl, oneDNN or
    CPU-feature lines."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command must quiet them itself
    output, log = tmp_path / "out.fastq", tmp_path / "job.err"
    with open(log, "w") as stream:
        status = subprocess.run(
            [sys.executable, "-m", "dczoo.cli.main", *_correct_args(output, tiny_preset)],
            stderr=stream, stdout=subprocess.DEVNULL, env=env, cwd=tmp_path, timeout=600,
        ).returncode
    lines = log.read_text().splitlines()
    assert status == 0 and output.is_file(), lines
    assert [line for line in lines if any(word in line for word in NOISE)] == []
    assert lines[-1].startswith("dczoo correct: wrote 20 reads"), lines

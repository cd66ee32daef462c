"""`dczoo correct --threads`: the model runtime's thread cap reaches the
runtime of each backend, is recorded in the summary, and bad values are
refused before any work."""

import json
import os
import subprocess
import sys

import keras
import pytest

from dczoo.cli.main import main
from dczoo.errors import DczooInputError
from dczoo.inference.pipeline import CorrectionOptions
from dczoo.inference.threads import limit_model_threads

from tests.inference.conftest import read_fastq

# Run in a fresh process (thread pools are set once per process): corrects the
# example with --threads 1, then prints what the backend's runtime reports.
_PROBE = r"""
import json, os, sys
from dczoo.inference import correct
example, preset, output = sys.argv[1:4]
reads = correct(os.path.join(example, "subreads_to_ccs.bam"), os.path.join(example, "ccs.bam"),
                preset, output, min_quality=0, cpus=0, threads=1)
import keras
backend = keras.backend.backend()
if backend == "torch":
    import torch
    seen = torch.get_num_threads()
elif backend == "tensorflow":
    import tensorflow as tf
    seen = [tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads()]
else:
    seen = os.environ.get("XLA_FLAGS", "")
print(json.dumps({"backend": backend, "seen": seen, "reads": len(reads)}))
"""


def test_limit_model_threads_values():
    assert limit_model_threads(None, "jax") == {"requested": None, "applied": "runtime default"}
    assert limit_model_threads(3, "onnxruntime") == {"requested": 3, "applied": True}
    assert "only --threads 1" in limit_model_threads(2, "jax")["applied"]
    assert "not supported" in limit_model_threads(2, "numpy")["applied"]
    with pytest.raises(DczooInputError, match="--threads must be >= 1, got 0"):
        limit_model_threads(0, "torch")


def test_bad_threads_are_refused_before_any_work(tmp_path, capsys, example):
    with pytest.raises(DczooInputError, match="--threads 0"):
        CorrectionOptions(threads=0).check()
    output = tmp_path / "out.fastq"
    status = main(["correct", "--subreads-to-ccs", str(example[0]),
                   "--ccs-bam", str(example[1]), "--output", str(output),
                   "--threads", "0"])
    assert status == 2
    assert "--threads" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_threads_reach_the_backend_runtime(tmp_path, tiny_preset, example):
    """A real correction with threads=1 in a new process: the runtime's own
    report shows the cap, the summary records it, and the reads are those of
    a run without a cap."""
    output = tmp_path / "capped.fastq"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(example[0].parent), str(tiny_preset), str(output)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    backend = keras.backend.backend()
    assert probe["backend"] == backend and probe["reads"] == 20
    expected = {"torch": 1, "tensorflow": [1, 1], "jax": None}[backend]
    if backend == "jax":
        assert "--xla_cpu_multi_thread_eigen=false" in probe["seen"].split()
    else:
        assert probe["seen"] == expected
    summary = json.loads((tmp_path / "capped.fastq.summary.json").read_text())
    assert summary["settings"]["threads"] == 1
    assert summary["model_threads"] == {"requested": 1, "applied": True}

    from dczoo.inference import correct

    uncapped = tmp_path / "uncapped.fastq"
    correct(*example, tiny_preset,
            uncapped, min_quality=0, cpus=0)
    assert [r[:2] for r in read_fastq(output)] == [r[:2] for r in read_fastq(uncapped)]
    plain = json.loads((tmp_path / "uncapped.fastq.summary.json").read_text())
    assert plain["settings"]["threads"] is None
    assert plain["model_threads"] == {"requested": None, "applied": "runtime default"}

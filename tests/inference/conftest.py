"""Fixtures of the inference tests: reference outputs and the human_1m inputs."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def human_1m(shared_dir):
    """(subreads_to_ccs.bam, ccs.bam) of the reference's human_1m test set."""
    folder = shared_dir / "data" / "human_1m"
    return folder / "subreads_to_ccs.bam", folder / "ccs.bam"


@pytest.fixture(scope="session")
def reference_windows(reference_dir):
    """The reference's 1593 inference windows (npz archive, loaded)."""
    with np.load(reference_dir / "windows" / "inference.npz") as archive:
        return {key: archive[key] for key in archive.files}


@pytest.fixture(scope="session")
def teacher_probs(reference_dir):
    """The reference teacher's probabilities, argmax and qualities per window."""
    with np.load(reference_dir / "outputs" / "teacher_probs_inference.npz") as archive:
        return {key: archive[key] for key in archive.files}


def read_fastq(path):
    """FASTQ file -> list of (name, sequence, quality string)."""
    lines = open(path).read().splitlines()
    assert len(lines) % 4 == 0
    return [
        (lines[i][1:], lines[i + 1], lines[i + 3])
        for i in range(0, len(lines), 4)
    ]


@pytest.fixture(scope="session")
def reference_fastq(reference_dir):
    """Reads of the reference's end-to-end FASTQ outputs, by file stem."""
    run = reference_dir / "run"
    return {
        "teacher_mq0": read_fastq(run / "teacher_mq0.fastq"),
        "teacher_mq0_noskip": read_fastq(run / "teacher_mq0_noskip.fastq"),
    }

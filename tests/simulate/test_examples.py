"""The bundled example set: present, small, made by the simulator, readable."""

import json

import pysam
import pytest

from dczoo.errors import DczooInputError
from dczoo.examples import available_examples, example_dir


def test_sim_small_is_bundled_and_small():
    path = example_dir()
    assert path.name == "sim_small" and "sim_small" in available_examples()
    total = sum(f.stat().st_size for f in path.iterdir())
    assert total < 1_000_000
    info = json.loads((path / "simulation.json").read_text())
    assert info["parameters"]["n_zmws"] == 20 and info["counts"]["zmws"] == 20
    assert "dczoo simulate" in (path / "README.md").read_text()


def test_sim_small_reads_back_with_pysam():
    path = example_dir("sim_small")
    with pysam.AlignmentFile(str(path / "ccs.bam"), check_sq=False) as bam:
        drafts = [r.query_name for r in bam.fetch(until_eof=True)]
    assert len(drafts) == 20
    with pysam.AlignmentFile(str(path / "truth_to_ccs.bam")) as bam:
        assert all(len(list(bam.fetch(name))) == 1 for name in drafts)
    with pysam.AlignmentFile(str(path / "subreads_to_ccs.bam"), check_sq=False) as bam:
        assert list(bam.references) == drafts
        assert sum(1 for _ in bam.fetch(until_eof=True)) > 40


def test_unknown_example_name():
    with pytest.raises(DczooInputError, match="sim_small"):
        example_dir("nope")

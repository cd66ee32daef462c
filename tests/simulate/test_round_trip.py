"""Round trip: simulate -> dczoo.data preprocessing -> windows with labels and splits."""

import json

import edlib
import numpy as np
import pysam
import pytest

from dczoo.simulate import simulate

from tests.simulate.conftest import tiny_config

data = pytest.importorskip("dczoo.data", reason="dczoo.data preprocessing API is not available")
if not all(hasattr(data, name) for name in ("iter_zmw_windows", "TruthInputs")):
    pytest.skip("dczoo.data does not expose iter_zmw_windows/TruthInputs", allow_module_level=True)

VOCAB = " ATCG"


@pytest.fixture(scope="module")
def split_sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("round_trip")
    config = tiny_config(n_zmws=9, seed=21, split_fractions=(0.4, 0.3, 0.3))
    simulate(config, str(out), progress=False)
    return out


def _decode(codes):
    return "".join(VOCAB[c] for c in codes).replace(" ", "")


def test_training_windows_have_labels_and_the_intended_splits(split_sim):
    out = split_sim
    truth = data.TruthInputs(out / "truth_to_ccs.bam", out / "truth.bed", out / "truth_split.tsv")
    info = json.loads((out / "simulation.json").read_text())
    split_of_contig = {c["name"]: c["split"] for c in info["contigs"]}
    bed = {row.split("\t")[3]: row.split("\t")[0] for row in (out / "truth.bed").read_text().splitlines()}
    truths = {}
    with pysam.AlignmentFile(str(out / "truth_to_ccs.bam")) as bam:
        for rec in bam.fetch(until_eof=True):
            truths[rec.reference_name] = rec.query_sequence
    zmws = list(data.iter_zmw_windows(out / "subreads_to_ccs.bam", out / "ccs.bam", truth=truth))
    assert len(zmws) == 9
    assert len({z.split for z in zmws}) >= 2
    checked = 0
    for zmw in zmws:
        assert zmw.skip_reason is None
        assert zmw.split == split_of_contig[bed[zmw.name]]
        assert zmw.n_windows > 0
        assert zmw.windows.shape == (zmw.n_windows, 85, 100)
        assert zmw.label_codes.shape == (zmw.n_windows, 100)
        if np.array_equal(zmw.window_index, np.arange(zmw.n_windows)):
            # no window dropped: the labels, gaps removed, spell the truth
            label = "".join(_decode(row) for row in zmw.label_codes)
            dist = edlib.align(label, truths[zmw.name])["editDistance"]
            assert dist <= 0.01 * len(truths[zmw.name])
            checked += 1
    assert checked >= 3


def test_inference_windows_cover_the_draft(split_sim):
    out = split_sim
    drafts = {}
    with pysam.AlignmentFile(str(out / "ccs.bam"), check_sq=False) as bam:
        for rec in bam.fetch(until_eof=True):
            drafts[rec.query_name] = rec.query_sequence
    for zmw in data.iter_zmw_windows(out / "subreads_to_ccs.bam", out / "ccs.bam"):
        assert zmw.n_windows == -(-zmw.ccs_width // 100)
        draft_row = zmw.windows[:, 80, :].astype(int)
        assert "".join(_decode(row) for row in draft_row) == drafts[zmw.name]

"""Exactness on real data: every window equals DeepConsensus 1.2's own output.

The reference's tensors for human_1m are in ../shared/data/reference/windows/
(converted one to one from its TFRecords). Windows are keyed by
(name, window_pos); tensors are compared bit for bit as float32.
"""

import numpy as np
import pytest

from dczoo.data import TruthInputs, iter_zmw_windows, sum_counters

# Spec section 8.1 (the reference's summary JSONs).
INFERENCE_COUNTERS = {
    "n_zmw_processed": 10,
    "zmw_total_bp": 1116014,
    "zmw_trimmed_insertions": 790,
    "zmw_trimmed_insertions_bp": 9421,
    "n_zmw_pass": 10,
    "n_zmw_inference": 10,
    "example_width_bucket_100": 1593,
    "n_examples_skip_large_windows_keep": 1593,
    "n_examples": 1593,
}
TRAINING_COUNTERS = {
    "n_zmw_processed": 10,
    "zmw_total_bp": 1116014,
    "zmw_trimmed_insertions": 790,
    "zmw_trimmed_insertions_bp": 9421,
    "n_zmw_pass": 9,
    "n_zmw_train": 7,
    "n_zmw_eval": 1,
    "n_zmw_test": 1,
    "n_zmw_missing_truth_range": 1,
    "example_width_bucket_100": 1551,
    "n_examples_skip_large_windows_keep": 1507,
    "n_examples_adjusted_label": 305,
    "n_examples_label_overflow": 44,
    "n_examples": 1507,
    "n_examples_train": 1239,
    "n_examples_eval": 65,
    "n_examples_test": 203,
}


def _truth(human_1m):
    return TruthInputs(
        human_1m / "truth_to_ccs.bam",
        human_1m / "truth.bed",
        human_1m / "truth_split.tsv",
    )


def _run(human_1m, use_ccs_bq, training, cpus=1):
    return list(
        iter_zmw_windows(
            human_1m / "subreads_to_ccs.bam",
            human_1m / "ccs.bam",
            use_ccs_bq=use_ccs_bq,
            truth=_truth(human_1m) if training else None,
            cpus=cpus,
        )
    )


def _assert_split_equal(zmws, reference_path, split):
    reference = np.load(reference_path)
    key = {
        (name, int(pos)): i
        for i, (name, pos) in enumerate(zip(reference["name"], reference["window_pos"]))
    }
    encoded = reference["subreads/encoded"][..., 0]
    seen = []
    for zmw in zmws:
        if zmw.split != split or zmw.n_windows == 0:
            continue
        rows = [key[(zmw.name, int(pos))] for pos in zmw.window_pos]
        seen.extend(rows)
        windows = zmw.windows
        assert windows.dtype == np.float32
        # Bit-exact float32 comparison.
        np.testing.assert_array_equal(windows.view(np.uint32), encoded[rows].view(np.uint32))
        np.testing.assert_array_equal(zmw.ccs_bq, reference["ccs_base_quality_scores"][rows])
        np.testing.assert_array_equal(zmw.num_passes, reference["subreads/num_passes"][rows])
        assert windows.shape[1] == zmw.layout.num_rows == encoded.shape[1]
        if "label/encoded" in reference.files:
            np.testing.assert_array_equal(zmw.labels, reference["label/encoded"][rows])
    # Every reference window was produced exactly once, in the same order.
    assert seen == list(range(len(reference["name"])))


@pytest.mark.parametrize("use_ccs_bq", [False, True], ids=["85rows", "86rows"])
def test_inference_windows_equal_reference(human_1m, reference_windows, use_ccs_bq):
    zmws = _run(human_1m, use_ccs_bq, training=False)
    suffix = "_bq" if use_ccs_bq else ""
    _assert_split_equal(zmws, reference_windows / f"inference{suffix}.npz", "inference")
    assert sum_counters(z.counters for z in zmws) == INFERENCE_COUNTERS
    assert zmws[0].windows.shape[1:] == ((86 if use_ccs_bq else 85), 100)


@pytest.mark.parametrize("use_ccs_bq", [False, True], ids=["85rows", "86rows"])
def test_training_windows_and_labels_equal_reference(human_1m, reference_windows, use_ccs_bq):
    zmws = _run(human_1m, use_ccs_bq, training=True)
    suffix = "_bq" if use_ccs_bq else ""
    for split in ("train", "eval", "test"):
        _assert_split_equal(zmws, reference_windows / f"{split}{suffix}.npz", split)
    assert sum_counters(z.counters for z in zmws) == TRAINING_COUNTERS
    skipped = [z for z in zmws if z.skip_reason]
    assert [(z.name, z.skip_reason) for z in skipped] == [
        ("m54238_180901_011437/4194387/ccs", "n_zmw_missing_truth_range")
    ]


def test_draft_metadata_matches_ccs_bam(human_1m):
    import pysam

    zmws = _run(human_1m, False, training=False)
    with pysam.AlignmentFile(str(human_1m / "ccs.bam"), check_sq=False) as bam:
        drafts = {r.query_name: r for r in bam}
    assert len(zmws) == len(drafts) == 10
    for zmw in zmws:
        record = drafts[zmw.name]
        draft = zmw.draft
        assert draft.sequence == record.query_sequence
        np.testing.assert_array_equal(draft.qualities, np.asarray(record.query_qualities))
        assert draft.np == record.get_tag("np")
        assert draft.rq == pytest.approx(record.get_tag("rq"))
        assert draft.rg == record.get_tag("RG")
        assert draft.zm == int(zmw.name.split("/")[1]) == record.get_tag("zm")
        assert draft.ec == (record.get_tag("ec") if record.has_tag("ec") else None)
        # Windows tile the spaced draft: the draft bases, in order, are at
        # the columns with a quality, window after window.
        assert zmw.window_index.tolist() == list(range(zmw.n_windows))
        bases = zmw.rows[:, 80][zmw.ccs_bq >= 0]
        assert "".join(" ATCG"[b] for b in bases) == draft.sequence
        assert zmw.window_pos[0] == 0
        per_window = (zmw.ccs_bq >= 0).sum(axis=1)
        np.testing.assert_array_equal(zmw.window_pos[1:], np.cumsum(per_window)[:-1])


def test_two_processes_give_the_same_output_in_the_same_order(human_1m):
    serial = _run(human_1m, True, training=True, cpus=1)
    parallel = _run(human_1m, True, training=True, cpus=2)
    assert [z.name for z in parallel] == [z.name for z in serial]
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a.rows, b.rows)
        np.testing.assert_array_equal(a.window_pos, b.window_pos)
        assert (a.split, a.skip_reason, a.counters) == (b.split, b.skip_reason, b.counters)
        if a.label_codes is not None:
            np.testing.assert_array_equal(a.label_codes, b.label_codes)

"""The ZMW corrector batches windows across ZMWs and emits reads in order."""

import numpy as np
import pytest

from dczoo.data import iter_zmw_windows
from dczoo.inference.quality import QualityCalibration
from dczoo.inference.read_filter import ReadFilter
from dczoo.inference.window_skipping import skip_mask
from dczoo.inference.zmw_corrector import ZmwCorrector


class ReplayPredictor:
    """Serves the reference teacher's probabilities in window order and checks
    that each window it is given is the reference's window."""

    def __init__(self, batch_size, windows, probs):
        self.batch_size = batch_size
        self.windows = windows
        self.probs = probs
        self.position = 0
        self.batch_sizes = []

    def predict_batch(self, windows):
        n = windows.shape[0]
        stop = self.position + n
        np.testing.assert_array_equal(windows, self.windows[self.position : stop])
        self.position = stop
        self.batch_sizes.append(n)
        return self.probs[stop - n : stop]


@pytest.fixture(scope="module")
def zmws(human_1m):
    return list(iter_zmw_windows(*human_1m))


@pytest.mark.parametrize("batch_size,skip_above,stem", [
    (1, 45, "teacher_mq0"), (7, 45, "teacher_mq0"), (100, 0, "teacher_mq0_noskip"),
    (4096, 45, "teacher_mq0"),
])
def test_any_batch_size_gives_the_reference_reads(
    zmws, reference_windows, teacher_probs, reference_fastq, batch_size, skip_above, stem
):
    model_rows = ~skip_mask(reference_windows["ccs_base_quality_scores"], skip_above)
    predictor = ReplayPredictor(
        batch_size,
        reference_windows["subreads/encoded"][model_rows, ..., 0],
        teacher_probs["probs"][model_rows],
    )
    emitted = []
    corrector = ZmwCorrector(
        predictor,
        lambda result: emitted.append((result.name, result.read, result.outcome)),
        calibration=QualityCalibration.parse("0,1.197654,-0.99781"),
        skip_windows_above=skip_above,
        read_filter=ReadFilter(min_quality=0),
    )
    for zmw in zmws:
        corrector.add(zmw)
    corrector.finish()
    assert predictor.position == model_rows.sum()
    assert all(size == batch_size for size in predictor.batch_sizes[:-1])
    assert corrector.counts["windows_skipped_quality"] == (~model_rows).sum()
    ours = [(read.name, read.sequence, read.quality_string) for _, read, _ in emitted]
    assert ours == reference_fastq[stem]


def test_filtered_reads_are_reported_in_order(zmws, reference_windows, teacher_probs):
    model_rows = ~skip_mask(reference_windows["ccs_base_quality_scores"], 45)
    predictor = ReplayPredictor(
        64, reference_windows["subreads/encoded"][model_rows, ..., 0], teacher_probs["probs"][model_rows]
    )
    emitted = []
    corrector = ZmwCorrector(
        predictor,
        lambda result: emitted.append((result.name, result.read, result.outcome)),
        calibration=QualityCalibration.parse("0,1.197654,-0.99781"),
        read_filter=ReadFilter(min_quality=20),
    )
    for zmw in zmws:
        corrector.add(zmw)
    corrector.finish()
    assert [name for name, _, _ in emitted] == [zmw.name for zmw in zmws]
    assert {outcome for _, _, outcome in emitted} == {"failed_quality_filter"}
    assert all(read is None for _, read, _ in emitted)


@pytest.mark.parametrize("batch_invariant", [True, False])
def test_an_engine_whose_outputs_depend_on_the_batch_gets_one_zmw_per_batch(
    zmws, reference_windows, teacher_probs, reference_fastq, batch_invariant
):
    model_rows = ~skip_mask(reference_windows["ccs_base_quality_scores"], 45)
    predictor = ReplayPredictor(
        64, reference_windows["subreads/encoded"][model_rows, ..., 0], teacher_probs["probs"][model_rows]
    )
    predictor.batch_invariant = batch_invariant
    emitted = []
    corrector = ZmwCorrector(
        predictor,
        lambda result: emitted.append((result.read.name, result.read.sequence, result.read.quality_string)),
        calibration=QualityCalibration.parse("0,1.197654,-0.99781"),
        read_filter=ReadFilter(min_quality=0),
    )
    boundaries = [0]
    for zmw in zmws:
        corrector.add(zmw)
        boundaries.append(boundaries[-1] + int((~skip_mask(zmw.ccs_bq, 45)).sum()))
    corrector.finish()
    # where each batch started and ended, in model windows
    edges = np.cumsum([0] + predictor.batch_sizes)
    crossing = [k for k in range(len(edges) - 1)
                if any(edges[k] < b < edges[k + 1] for b in boundaries)]
    if batch_invariant:
        assert crossing, "batches of 64 span ZMWs when the engine allows it"
    else:
        assert not crossing and set(boundaries) <= set(edges)
    assert emitted == reference_fastq["teacher_mq0"]

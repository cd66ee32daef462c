"""`correct(..., on_progress=...)`: the stages and counts a caller (the Space) sees."""

import dataclasses

import pytest

from dczoo.examples import example_dir
from dczoo.inference import correct
from dczoo.inference.pipeline import PROGRESS_STAGES

from tests.models.tiny import tiny_corrector


@pytest.fixture(scope="module")
def example():
    folder = example_dir("sim_small")
    return folder / "subreads_to_ccs.bam", folder / "ccs.bam"


@pytest.fixture(scope="module")
def model():
    return tiny_corrector()


def run(example, model, **options):
    events = []
    reads = correct(*example, model=model, min_quality=0, on_progress=events.append, **options)
    return reads, events


def test_stages_and_counts_follow_the_run(example, model):
    reads, events = run(example, model, batch_size=64)
    summary = reads.summary
    assert {e.stage for e in events} == set(PROGRESS_STAGES)
    assert dataclasses.astuple(events[0]) == ("preprocessing", 0, 0, 0, 0)
    assert events[-1].stage == "writing"
    assert (events[-1].zmws_preprocessed, events[-1].zmws_corrected) == (summary["zmws"], summary["zmws"])
    assert events[-1].windows_for_model == events[-1].windows_predicted == summary["windows"]["model"]
    # One event per ZMW that arrives, plus the first, the last batch and the writing.
    assert len(events) == summary["zmws"] + 3
    for field in ("zmws_preprocessed", "zmws_corrected", "windows_for_model", "windows_predicted"):
        values = [getattr(e, field) for e in events]
        assert values == sorted(values), field
    for before, after in zip(events, events[1:]):
        # "model" exactly when windows were predicted since the event before.
        ran = after.windows_predicted > before.windows_predicted
        assert (after.stage == "model") == ran or after.stage == "writing"
        assert after.windows_predicted <= after.windows_for_model
        assert after.zmws_corrected <= after.zmws_preprocessed
    # The model runs as soon as 64 windows wait, so fewer ever wait after a ZMW.
    assert all(e.windows_for_model - e.windows_predicted < 64 for e in events)
    assert any(e.windows_for_model - e.windows_predicted > 0 for e in events)


def test_no_model_stage_when_every_window_keeps_the_draft(example, model):
    reads, events = run(example, model, skip_windows_above=1)
    assert reads.summary["windows"]["model"] == 0
    assert [e.stage for e in events].count("model") == 0
    assert events[-1].stage == "writing" and events[-1].zmws_corrected == reads.summary["zmws"]

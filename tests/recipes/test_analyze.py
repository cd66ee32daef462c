"""recipes/analyze.py: the error profiles of the draft and of a model on one chunk of a simulated set."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import analyze  # noqa: E402


def test_error_profiles_of_a_chunk(example):
    from tests.models.tiny import tiny_corrector

    folder = str(example[0].parent)
    profiles = analyze.error_profiles({"tiny": tiny_corrector()}, folder, "1/2")
    assert list(profiles) == ["draft", "tiny"]
    # every read set is compared on the same reads: the chunk's 10 ZMWs that have a truth and a read
    assert profiles["draft"]["reads"] == profiles["tiny"]["reads"] and 0 < profiles["draft"]["reads"] <= 10
    for profile in profiles.values():
        assert set(analyze.ERROR_COLUMNS) <= set(profile["mean_per_read"])
        assert all(value >= 0 for value in profile["per_kb"].values())
    # the untrained tiny model changes the reads: its profile is not the draft's
    assert profiles["tiny"]["per_kb"] != profiles["draft"]["per_kb"]

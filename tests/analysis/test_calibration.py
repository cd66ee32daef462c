"""Base-quality calibration: counting, the monotone fit, and its round trip through a preset."""

import numpy as np
import pytest

from dczoo.analysis.calibration import (
    QualityCounts,
    fit_quality_calibration,
    read_quality_counts,
    window_quality_counts,
)
from dczoo.errors import DczooInputError
from dczoo.inference.quality import QualityCalibration


def _overconfident_counts(seed=0):
    """Bases whose true quality is 0.7 x the predicted one (a model that overclaims)."""
    rng = np.random.default_rng(seed)
    predicted = rng.integers(5, 60, size=400_000)
    errors = rng.random(predicted.size) < 10 ** (-0.7 * predicted / 10)
    counts = QualityCounts()
    counts.add(predicted, errors)
    return counts


def test_reads_are_counted_like_deepconsensus_calibrate():
    counts = QualityCounts()
    # read ACGTTA vs truth ACGTA: one inserted T (an error); a deleted truth base has no quality
    counts.add_read("ACGTTA", np.array([30, 30, 30, 30, 10, 30]), "ACGTA")
    assert counts.right.sum() + counts.wrong.sum() == 6 and counts.wrong.sum() == 1
    counts = read_quality_counts([("r", "ACGA", np.array([20, 20, 20, 40]))], {"r": "ACGTA"})
    assert counts.wrong.sum() == 0 and counts.right[20] == 3 and counts.right[40] == 1
    counts = read_quality_counts([("r", "ACCA", np.array([20, 20, 20, 40]))], {"r": "ACGA"})
    assert counts.wrong[20] == 1


def test_fit_makes_an_overconfident_model_calibrated():
    counts = _overconfident_counts()
    assert counts.max_deviation(40) > 5
    calibration = fit_quality_calibration(counts)
    assert calibration.knots is not None
    fresh = _overconfident_counts(seed=1)  # held-out bases of the same model
    calibrated = QualityCounts()
    q = np.repeat(np.arange(94), fresh.right + fresh.wrong)
    wrong = np.concatenate([np.r_[np.ones(w, bool), np.zeros(r, bool)]
                            for r, w in zip(fresh.right, fresh.wrong)])
    calibrated.add(np.round(calibration.apply(q.astype(np.float32))), wrong)
    assert calibrated.max_deviation(40) < 1.5  # binomial noise of the top bin (13 errors) included
    # monotone: a higher prediction never maps lower
    mapped = calibration.apply(np.arange(0, 94, dtype=np.float32))
    assert np.all(np.diff(mapped) >= -1e-6)


def test_knots_parse_print_and_reject_bad_text():
    calibration = QualityCalibration.parse("knots:0:0,20:18,40:34")
    assert str(QualityCalibration.parse(str(calibration))) == str(calibration)
    assert float(calibration.apply(np.array([93.0], np.float32))[0]) == 34.0  # flat beyond the last knot
    late = QualityCalibration.parse("knots:30:24,60:32")
    # below the first knot the quality scales towards 0 instead of being raised to 24
    assert [float(q) for q in late.apply(np.array([10.0, 30.0, 45.0], np.float32))] == [8.0, 24.0, 28.0]
    for bad in ("knots:1:2", "knots:0:0,0:5", "knots:a:b,1:2", "knots:0:0,5"):
        with pytest.raises(DczooInputError):
            QualityCalibration.parse(bad, "--dc-calibration")


def test_window_counts_align_gap_free_predictions_to_labels():
    labels = np.array([[1, 2, 3, 0, 4]])  # A T C - G
    probs = np.full((1, 5, 5), 0.01, np.float32)
    for column, token in enumerate([1, 2, 4, 0, 4]):  # A T G - G: one mismatch
        probs[0, column, token] = 0.96
    counts = window_quality_counts(probs, labels)
    assert counts.right.sum() == 3 and counts.wrong.sum() == 1


def test_calibration_round_trips_through_a_preset_and_changes_qualities(tmp_path, shared_dir):
    from dczoo.inference import correct
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

    model = DeepConsensusCorrector(DeepConsensusBackbone(num_layers=1, hidden_dim=16, num_heads=2,
                                                         intermediate_dim=32))
    model.quality_calibration = "knots:0:0,10:5,30:12"
    model.draft_quality_calibration = "knots:0:0,93:31"
    model.save_to_preset(tmp_path / "preset")
    loaded = DeepConsensusCorrector.from_preset(str(tmp_path / "preset"))
    assert loaded.quality_calibration == "knots:0:0,10:5,30:12"
    assert loaded.draft_quality_calibration == "knots:0:0,93:31"
    folder = shared_dir / "data" / "human_1m"
    if not folder.is_dir():
        pytest.skip("human_1m is not present")
    kwargs = dict(min_quality=0, skip_windows_above=0)
    args = (str(folder / "subreads_to_ccs.bam"), str(folder / "ccs.bam"))
    calibrated = correct(*args, model=loaded, **kwargs)
    raw = correct(*args, model=loaded, dc_calibration="skip", **kwargs)
    assert [r.sequence for r in calibrated] == [r.sequence for r in raw]
    assert max(int(r.qualities.max()) for r in calibrated) <= 12
    assert any(int(r.qualities.max()) > 12 for r in raw)
    # windows above the skip threshold keep the draft, whose qualities get the draft calibration
    kept = correct(*args, model=loaded, min_quality=0)
    assert 12 < max(int(r.qualities.max()) for r in kept) <= 31
    untouched = correct(*args, model=loaded, min_quality=0, ccs_calibration="skip")
    assert max(int(r.qualities.max()) for r in untouched) > 31
    assert kept.summary["settings"]["ccs_calibration"] == "knots:0:0,93:31"

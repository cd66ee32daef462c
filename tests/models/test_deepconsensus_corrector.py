import json

import keras
import numpy as np
import pytest
from keras import ops

import dczoo
from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

from tests.layer_test_case import run_model_test
from tests.models.tiny import TINY_ARCHITECTURE, random_windows, tiny_corrector


def test_output_shape_dtype_and_probabilities():
    model = tiny_corrector()
    windows = random_windows()
    probs = ops.convert_to_numpy(model(windows))
    assert probs.shape == (3, 100, 5)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    # A trailing channel axis gives the same answer; so does predict().
    np.testing.assert_allclose(
        ops.convert_to_numpy(model(windows[..., None])), probs, atol=1e-6
    )
    np.testing.assert_allclose(model.predict(windows, verbose=0), probs, atol=1e-6)


def test_logits_softmax_to_probabilities():
    model = tiny_corrector()
    windows = random_windows()
    logits = ops.convert_to_numpy(model.compute_logits(windows))
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(ops.convert_to_numpy(model(windows)), expected, atol=1e-6)


def test_ccs_bq_variant_takes_86_rows():
    model = tiny_corrector(use_ccs_bq=True)
    probs = model(random_windows(rows=86))
    assert tuple(probs.shape) == (3, 100, 5)
    with pytest.raises(Exception):
        model(random_windows(rows=85))


@pytest.mark.parametrize(
    "preset, params",
    [
        ("teacher_6layer", 8_943_775),
        ("student_5layer", 7_480_965),
        ("student_4layer", 6_018_155),
        ("student_3layer", 4_555_345),
    ],
)
def test_parameter_counts_equal_the_reference(preset, params):
    model = DeepConsensusCorrector.from_preset(preset, load_weights=False)
    assert model.count_params() == params
    assert DeepConsensusCorrector.presets[preset]["metadata"]["params"] == params


def test_base_quality_row_adds_3000_parameters():
    plain = DeepConsensusBackbone(num_layers=3).count_params()
    with_bq = DeepConsensusBackbone(num_layers=3, use_ccs_bq=True).count_params()
    assert with_bq - plain == 3000


def test_teacher_student_size_ratio_is_the_papers():
    presets = DeepConsensusCorrector.presets
    ratio = presets["teacher_6layer"]["metadata"]["params"] / presets[
        "student_4layer"]["metadata"]["params"]
    assert round(ratio, 3) == 1.486


def test_presets_list_every_builtin():
    assert set(DeepConsensusCorrector.presets) == {
        "teacher_6layer",
        "student_5layer",
        "student_4layer",
        "student_3layer",
    }


def test_config_round_trip():
    model = tiny_corrector(dropout=0.1, attention_dropout=0.2)
    config = model.get_config()
    restored = DeepConsensusCorrector.from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    assert restored.backbone.get_config() == model.backbone.get_config()
    serialized = keras.saving.serialize_keras_object(model)
    again = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert isinstance(again, DeepConsensusCorrector)
    assert again.count_params() == model.count_params()


def test_backbone_passes_the_model_checks():
    windows = random_windows()
    run_model_test(DeepConsensusBackbone, dict(TINY_ARCHITECTURE, dropout=0.1), windows,
                   (3, 100, TINY_ARCHITECTURE["hidden_dim"]),
                   targets=np.zeros((3, 100, TINY_ARCHITECTURE["hidden_dim"]), "float32"))


def test_corrector_passes_the_model_checks():
    windows = random_windows()
    labels = np.random.default_rng(0).integers(0, 5, (3, 100)).astype("float32")
    backbone = DeepConsensusBackbone(**TINY_ARCHITECTURE)
    run_model_test(DeepConsensusCorrector, dict(backbone=backbone, quality_calibration="0,1.1,-1"),
                   windows, (3, 100, 5), targets=labels, loss="sparse_categorical_crossentropy")


def test_backbone_get_config_lists_constructor_arguments():
    backbone = DeepConsensusBackbone(**TINY_ARCHITECTURE)
    config = backbone.get_config()
    for key, value in TINY_ARCHITECTURE.items():
        assert config[key] == value
    assert DeepConsensusBackbone.from_config(config).get_config() == config


def _band_reach(model, column, windows):
    """Largest change of each output column's hidden state when one input
    column changes (hidden states, not probabilities, so that tiny but real
    influences are not lost to float32 rounding in the softmax)."""
    base = ops.convert_to_numpy(model.backbone(windows))
    changed = windows.copy()
    changed[:, :20, column] = np.where(changed[:, :20, column] == 1, 2, 1)
    changed[:, 20:60, column] += 7
    moved = np.abs(ops.convert_to_numpy(model.backbone(changed)) - base).max(axis=(0, 2))
    return moved


def test_attention_reaches_only_num_layers_times_window():
    model = tiny_corrector()
    reach = TINY_ARCHITECTURE["num_layers"] * TINY_ARCHITECTURE["attention_window"]
    moved = _band_reach(model, 50, random_windows(batch=2))
    positions = np.arange(100)
    outside = np.abs(positions - 50) > reach
    assert np.all(moved[outside] == 0)
    assert np.any(moved[(np.abs(positions - 50) <= reach) & (positions != 50)] > 0)
    # The farthest column inside the band is reached too.
    assert moved[50 + reach] > 0 and moved[50 - reach] > 0


def test_fresh_model_is_per_column_because_rezero_starts_at_zero():
    model = tiny_corrector(active=False)
    moved = _band_reach(model, 50, random_windows(batch=2))
    assert moved[50] > 0
    assert np.all(np.delete(moved, 50) == 0)


def test_dropout_only_in_training():
    model = tiny_corrector(dropout=0.5, attention_dropout=0.5, intermediate_dropout=0.5)
    windows = random_windows()
    first = ops.convert_to_numpy(model(windows, training=False))
    second = ops.convert_to_numpy(model(windows, training=False))
    np.testing.assert_array_equal(first, second)
    trained = ops.convert_to_numpy(model(windows, training=True))
    assert np.abs(trained - first).max() > 1e-4


def test_layer_outputs_match_the_forward_pass():
    model = tiny_corrector()
    windows = random_windows()
    outputs = model.backbone.layer_outputs(windows)
    assert len(outputs["encoder_outputs"]) == 2
    assert tuple(outputs["attention_scores"][0].shape) == (3, 2, 100, 100)
    np.testing.assert_allclose(
        ops.convert_to_numpy(outputs["final"]),
        ops.convert_to_numpy(model.backbone(windows)),
        atol=1e-5,
    )
    scores = ops.convert_to_numpy(outputs["attention_scores"][1])
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)
    assert np.all(scores[:, :, 10, 14:] < 1e-6)  # outside the band (window 3)


def test_package_exports():
    assert dczoo.models.DeepConsensusCorrector is DeepConsensusCorrector
    assert isinstance(dczoo.__version__, str)

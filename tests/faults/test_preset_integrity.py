"""Presets: the manifest covers config.json and the weights, a refusal names
the file, a preset without a manifest needs `verify=False` (`--no-verify`),
and a config that does not match its weights is refused even then (issue
point 4)."""

import json
import re
import shutil

import numpy as np
import pytest
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.inference.model_loading import load_corrector
from dczoo.models import DeepConsensusCorrector
from dczoo.presets import BUILTIN_PRESETS

from tests.faults.conftest import assert_one_line_error, correct_args, run
from tests.models.tiny import random_windows

MANIFEST_FILES = ("config.json", "model.weights.h5")


@pytest.fixture
def preset(tiny_preset, tmp_path):
    """A copy of the tiny preset that the test may damage."""
    return shutil.copytree(tiny_preset, tmp_path / "preset")


def _edit_json(path, edit):
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document, indent=2))


def _set_layers(preset, value):
    def edit(config):
        config["config"]["backbone"]["config"]["num_layers"] = value

    _edit_json(preset / "config.json", edit)


def _drop_manifest(preset):
    """What a preset saved before manifests looks like (weights_sha256 only)."""
    _edit_json(preset / "metadata.json", lambda metadata: metadata.pop("manifest"))


def _truncate_weights(preset):
    weights = preset / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:5000])


def test_save_to_preset_writes_the_manifest(tiny_preset):
    metadata = json.loads((tiny_preset / "metadata.json").read_text())
    assert sorted(metadata["manifest"]) == list(MANIFEST_FILES)
    for name in MANIFEST_FILES:
        entry = metadata["manifest"][name]
        assert len(entry["sha256"]) == 64 and entry["bytes"] == (tiny_preset / name).stat().st_size
    assert metadata["weights_sha256"] == metadata["manifest"]["model.weights.h5"]["sha256"]


@pytest.mark.parametrize("name", sorted(BUILTIN_PRESETS))
def test_bundled_presets_carry_a_matching_manifest(name):
    from dczoo.presets import check_manifest

    folder = BUILTIN_PRESETS[name]["path"]
    metadata = json.loads(open(f"{folder}/metadata.json").read())
    check_manifest(metadata, {f: f"{folder}/{f}" for f in MANIFEST_FILES}, name, "")


def test_edited_config_is_refused_naming_it(preset, inputs, capsys, tmp_path):
    _set_layers(preset, 1)
    with pytest.raises(DczooInputError, match="config.json") as error:
        DeepConsensusCorrector.from_preset(str(preset))
    assert re.search(r"config\.json does not match the (sha256|manifest)", str(error.value))
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", preset))
    assert status == 2
    assert_one_line_error(err, "correct", "config.json", "manifest")
    assert not (tmp_path / "out.fastq").exists()


def test_truncated_weights_are_refused_naming_them(preset):
    _truncate_weights(preset)
    with pytest.raises(DczooInputError, match="model.weights.h5 does not match the manifest .* it has 5,000 bytes"):
        DeepConsensusCorrector.from_preset(str(preset))


def test_manifest_that_does_not_cover_the_config_is_refused(preset):
    _edit_json(preset / "metadata.json", lambda metadata: metadata["manifest"].pop("config.json"))
    with pytest.raises(DczooInputError, match="does not cover config.json"):
        DeepConsensusCorrector.from_preset(str(preset))


def test_preset_without_manifest_needs_verify_false(preset, tiny_preset, inputs, capsys, tmp_path):
    _drop_manifest(preset)
    with pytest.raises(DczooInputError, match="no file manifest") as error:
        DeepConsensusCorrector.from_preset(str(preset))
    assert "verify=False" in str(error.value) and "--no-verify" in str(error.value)
    loaded = DeepConsensusCorrector.from_preset(str(preset), verify=False)
    original = DeepConsensusCorrector.from_preset(str(tiny_preset))
    windows = random_windows()
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded(windows)),
                                  ops.convert_to_numpy(original(windows)))
    model, description = load_corrector(str(preset), verify=False)
    assert description["verified"] is False and model.num_layers == 2
    status, err = run(capsys, *correct_args(inputs, tmp_path / "a.fastq", preset))
    assert status == 2
    assert_one_line_error(err, "correct", "no file manifest", "--no-verify")
    assert run(capsys, *correct_args(inputs, tmp_path / "b.fastq", preset, "--no-verify",
                                     "--chunk", "0/10"))[0] == 0
    summary = json.loads((tmp_path / "b.fastq.summary.json").read_text())
    assert summary["model"]["verified"] is False


@pytest.mark.parametrize("layers", [1, 3])
def test_config_with_other_num_layers_is_refused_without_manifest(preset, layers):
    """The silent case: a copy with num_layers changed loaded another model."""
    _drop_manifest(preset)
    _set_layers(preset, layers)
    with pytest.raises(DczooInputError) as error:
        DeepConsensusCorrector.from_preset(str(preset), verify=False)
    message = str(error.value)
    assert "config.json does not match model.weights.h5" in message
    assert f"num_layers {layers}" in message and "2-layer model" in message


@pytest.mark.parametrize("value, words", [("lots", "num_layers lots"), (0, "num_layers 0"),
                                          (2.5, "num_layers 2.5")])
def test_config_with_a_bad_num_layers_is_explained(preset, inputs, capsys, tmp_path, value, words):
    _drop_manifest(preset)
    _set_layers(preset, value)
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", preset, "--no-verify"))
    assert status == 2
    assert_one_line_error(err, "correct", "config.json", words, "whole number")


def test_truncated_weights_without_manifest_are_explained(preset, inputs, capsys, tmp_path):
    _drop_manifest(preset)
    _truncate_weights(preset)
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", preset, "--no-verify"))
    assert status == 2
    assert_one_line_error(err, "correct", "model.weights.h5", "not a readable Keras weights file")
    assert not (tmp_path / "out.fastq").exists()


def test_publish_refuses_a_preset_without_manifest(preset, capsys, tmp_path):
    _drop_manifest(preset)
    status, err = run(capsys, "publish", preset, "--to", "hf://org/tiny", "--dry-run",
                      "--out", tmp_path / "staged")
    assert status == 2
    assert_one_line_error(err, "publish", "no file manifest")
    assert not (tmp_path / "staged").exists()

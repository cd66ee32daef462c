"""Converted reference checkpoints reproduce the reference's probabilities."""

import csv

import numpy as np
import pytest

from dczoo.errors import DczooInputError
from dczoo.models.convert import _weight_map, from_deepconsensus_checkpoint


@pytest.fixture(scope="module", params=["teacher", "student"])
def converted(request, reference_dir):
    folder = reference_dir / "model" / request.param
    return request.param, folder, from_deepconsensus_checkpoint(folder)


def test_architecture_comes_from_params_json(converted):
    who, _, model = converted
    expected = {"teacher": (6, 8_943_775), "student": (4, 6_018_155)}[who]
    assert (model.num_layers, model.count_params()) == expected
    assert model.quality_calibration == "0,1.197654,-0.99781"


def test_every_variable_matches_the_checksums(converted):
    _, folder, model = converted
    pairs = _weight_map(model)
    with open(folder / "variables.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == len(pairs)
    for row in rows:
        key = row["checkpoint_key"][len("model/") : -len("/.ATTRIBUTES/VARIABLE_VALUE")]
        value = np.asarray(pairs[key].numpy(), np.float64)
        np.testing.assert_allclose(value.sum(), float(row["sum"]), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose((value**2).sum(), float(row["sum_sq"]), rtol=1e-6)


def test_probabilities_match_the_reference(converted, reference_dir):
    who, _, model = converted
    windows = np.load(reference_dir / "windows" / "test.npz")["subreads/encoded"]
    reference = np.load(reference_dir / "outputs" / f"{who}_probs_test.npz")
    probs = model.predict(windows, batch_size=64, verbose=0)
    assert np.abs(probs - reference["probs"]).max() < 1e-5
    np.testing.assert_array_equal(probs.argmax(-1), reference["argmax"])


def test_prefix_path_works_too(reference_dir):
    model = from_deepconsensus_checkpoint(reference_dir / "model" / "student" / "checkpoint-1")
    assert model.num_layers == 4


def test_not_a_checkpoint_is_explained(tmp_path):
    with pytest.raises(DczooInputError, match="no TensorFlow checkpoint"):
        from_deepconsensus_checkpoint(tmp_path)

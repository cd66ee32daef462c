"""recipes/make_data.py: the shift sets keep their seeds; the real-like kinetics set pairs with the test set.
recipes/measure_speed.py: its aliases must name a measured model."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import make_data  # noqa: E402


def test_every_shift_set_has_a_place_and_the_first_five_keep_their_seeds():
    assert sorted(make_data._SHIFT_ORDER) == sorted(make_data.SHIFT_SETS)
    # the sets made before context_kinetics existed took seed + their sorted index
    first = sorted(name for name in make_data.SHIFT_SETS if name != "context_kinetics")
    assert list(make_data._SHIFT_ORDER[:5]) == first


def test_context_kinetics_set_differs_from_the_test_set_only_in_kinetics():
    spec = make_data.SHIFT_SETS["context_kinetics"]
    assert spec["seed"] == "test"
    assert all(name.startswith("kinetics.") for name in spec["params"])
    config = make_data.simulation_config("genome.fa", 10, 2, (0.0, 0.0, 1.0), {}, params=spec["params"])
    config.validate()
    assert config.kinetics.deletion_signal > 0 and config.kinetics.has_position_effects


def test_measure_speed_refuses_an_alias_of_a_model_it_does_not_measure(tmp_path):
    import pytest

    import measure_speed
    from dczoo.errors import DczooInputError

    with pytest.raises(DczooInputError, match="--same-as 'twin=student_3layer'"):
        measure_speed.main(["--windows", str(tmp_path), "--model", "student_4layer", "--same-as",
                            "twin=student_3layer", "--out", str(tmp_path / "speed.json")])
    assert not (tmp_path / "speed.json").exists()

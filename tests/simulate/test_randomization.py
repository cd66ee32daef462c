"""Randomized error models (`--randomize`) and fixed overrides (`--param`)."""

import json

import numpy as np
import pysam
import pytest

from dczoo.cli.main import main
from dczoo.errors import DczooInputError
from dczoo.simulate import SimulationConfig, simulate
from dczoo.simulate.randomization import DEFAULT_RANGES, ParameterRanges, apply_overrides, zmw_config

from tests.simulate.conftest import tiny_config


def test_draws_stay_inside_their_ranges_and_vary():
    ranges = ParameterRanges.from_dict(DEFAULT_RANGES)
    base = SimulationConfig()
    draws = [ranges.draw(base, np.random.default_rng(seed)) for seed in range(40)]
    deletion = np.array([d.errors.deletion_rate for d in draws])
    low, high = DEFAULT_RANGES["errors.deletion_rate"]
    # errors.rate_scale multiplies the drawn rates afterwards
    scale_low, scale_high = DEFAULT_RANGES["errors.rate_scale"]
    assert deletion.min() >= low * scale_low - 1e-12 and deletion.max() <= high * scale_high + 1e-12
    assert deletion.std() > 0.002
    passes = np.array([d.molecule.passes_mean for d in draws])
    assert passes.min() >= 6.0 and passes.max() <= 20.0 and np.ptp(passes) > 5
    # the error signal scales the kinetics shares from the defaults
    pause = np.array([d.kinetics.pause_share for d in draws])
    assert pause.min() >= base.kinetics.pause_share * 0.4 - 1e-12
    assert pause.max() <= base.kinetics.pause_share * 1.3 + 1e-12


def test_each_zmw_draws_its_own_model_reproducibly():
    config = SimulationConfig(randomize=ParameterRanges.from_dict(DEFAULT_RANGES))
    first = [zmw_config(config, i).errors.insertion_rate for i in range(5)]
    again = [zmw_config(config, i).errors.insertion_rate for i in range(5)]
    assert first == again and len(set(first)) == 5
    assert zmw_config(SimulationConfig(), 3) == SimulationConfig()  # no ranges: unchanged


def test_overrides_set_values_and_derived_knobs():
    base = SimulationConfig()
    config = apply_overrides(base, {"errors.rate_scale": 2.0, "kinetics.error_signal": 0,
                                    "molecule.max_passes": 30.4})
    assert config.errors.insertion_rate == pytest.approx(2 * base.errors.insertion_rate)
    assert config.errors.substitution_rate == pytest.approx(2 * base.errors.substitution_rate)
    assert config.kinetics.pause_share == 0 and config.kinetics.short_pulse_share == (0, 0)
    assert config.molecule.max_passes == 30
    assert base.errors.insertion_rate == 0.046  # the input is not changed


@pytest.mark.parametrize("ranges, message", [
    ({"errors.nonsense": [0, 1]}, "no numeric field 'nonsense'"),
    ({"sizes.deletion_rate": [0, 1]}, "expected SECTION.FIELD"),
    ({"errors.deletion_rate": [0.03, 0.01]}, "needs finite low <= high"),
    ({"errors.deletion_rate": [0.01, "x"]}, "is not two numbers"),
    ({"errors.deletion_rate": [0.01, float("nan")]}, "needs finite low <= high"),
    ({"errors.deletion_rate": [0.01, 1.5]}, "must be in [0, 1)"),
    ({"errors.rate_scale": [-1, 1]}, "must be >= 0"),
    ({}, "non-empty mapping"),
])
def test_bad_ranges_get_a_clear_error(ranges, message):
    with pytest.raises(DczooInputError) as error:
        ParameterRanges.from_dict(ranges)
    assert message in str(error.value)


def test_cli_param_and_randomize(tmp_path, capsys):
    out = tmp_path / "sim"
    ranges = tmp_path / "ranges.json"
    ranges.write_text(json.dumps({"errors.substitution_rate": [0.0, 0.001]}))
    status = main(["simulate", "--random-genome", "30000", "--zmws", "4", "--seed", "2", "--out", str(out),
                   "--insert-mean", "600", "--insert-sd", "50", "--passes", "4", "--quiet",
                   "--param", "errors.insertion_rate=0", "--param", "errors.deletion_rate=0",
                   "--param", "errors.systematic_sites_per_kb=0", "--param", "errors.confident_sites_per_kb=0",
                   "--randomize", str(ranges)])
    assert status == 0
    recorded = json.loads((out / "simulation.json").read_text())
    assert recorded["parameters"]["randomize"] == {"errors.substitution_rate": [0.0, 0.001]}
    assert recorded["parameters"]["errors"]["insertion_rate"] == 0
    # no indel errors: every subread aligns without I or D
    with pysam.AlignmentFile(str(out / "subreads_to_ccs.bam"), check_sq=False) as bam:
        ops = {op for r in bam.fetch(until_eof=True) if not r.is_unmapped for op, _ in r.cigartuples}
    assert ops <= {7, 8}
    assert main(["simulate", "--random-genome", "30000", "--out", str(tmp_path / "x"),
                 "--param", "errors.deletion_rate=lots"]) == 2
    assert "must be a finite number" in capsys.readouterr().err
    assert main(["simulate", "--random-genome", "30000", "--out", str(tmp_path / "y"),
                 "--randomize", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_randomized_simulation_runs_and_differs(tmp_path):
    plain = simulate(tiny_config(n_zmws=3), str(tmp_path / "a"), progress=False)
    varied = simulate(tiny_config(n_zmws=3, randomize=ParameterRanges.from_dict({"errors.rate_scale": [1.8, 2.0]})),
                      str(tmp_path / "b"), progress=False)
    assert plain["zmws"] == varied["zmws"] == 3

    def indels(folder):
        with pysam.AlignmentFile(str(folder / "subreads_to_ccs.bam"), check_sq=False) as bam:
            return sum(length for r in bam.fetch(until_eof=True) if not r.is_unmapped
                       for op, length in r.cigartuples if op in (1, 2))
    assert indels(tmp_path / "b") > 1.4 * indels(tmp_path / "a")

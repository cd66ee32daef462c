"""Fixtures of the simulator tests: one tiny simulation shared by the module tests."""

import dataclasses

import pytest

from dczoo.simulate import MoleculeModel, SimulationConfig, simulate


def tiny_config(**overrides):
    """A configuration that simulates in about a second: short inserts, few passes."""
    molecule = dataclasses.replace(MoleculeModel(), insert_mean=700.0, insert_sd=100.0, min_insert=300,
                                   passes_mean=6.0, low_pass_share=0.3)
    values = dict(n_zmws=8, seed=3, random_genome=40_000, molecule=molecule)
    values.update(overrides)
    return SimulationConfig(**values)


@pytest.fixture(scope="session")
def tiny_sim(tmp_path_factory):
    """Folder of a tiny simulation (8 ZMWs, random genome) and its summary."""
    out = tmp_path_factory.mktemp("tiny_sim")
    summary = simulate(tiny_config(), str(out), cpus=1, progress=False)
    return out, summary


@pytest.fixture(scope="session")
def real_dir(shared_dir):
    """The real human_1m sample (10 ZMWs)."""
    path = shared_dir / "data" / "human_1m"
    if not path.is_dir():
        pytest.skip(f"{path} is not present")
    return path

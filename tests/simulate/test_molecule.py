"""Molecules: insert sampling, pass layout, cx flags, coordinates, bad parameters."""

import dataclasses

import numpy as np
import pytest

from dczoo.errors import DczooInputError
from dczoo.simulate.molecule import (
    MoleculeModel,
    plan_subreads,
    polymerase_coordinates,
    sample_full_passes,
    sample_insert,
)
from dczoo.simulate.reference import make_contigs
from dczoo.simulate.subread_errors import reverse_complement


def test_full_passes_alternate_strands_and_carry_cx():
    rng = np.random.default_rng(0)
    for n_full in (0, 1, 2, 5, 12):
        for _ in range(20):
            plans = plan_subreads(n_full, 3000, MoleculeModel(), rng)
            full = [p for p in plans if p.full]
            assert len(full) == n_full
            assert all(p.span == (0, 3000) for p in full)
            assert all(a.bottom != b.bottom for a, b in zip(plans, plans[1:]))
            if n_full:
                assert plans[0].cx in (2, 3) and plans[-1].cx in (1, 3)


def test_pass_count_distribution_has_low_pass_zmws():
    rng = np.random.default_rng(1)
    counts = np.array([sample_full_passes(MoleculeModel(), rng) for _ in range(2000)])
    low = (counts <= 2).mean()
    assert 0.25 < low < 0.45
    assert 8 <= np.median(counts[counts >= 3]) <= 14
    fixed = dataclasses.replace(MoleculeModel(), fixed_passes=4)
    assert {sample_full_passes(fixed, rng) for _ in range(10)} == {4}


def test_insert_intervals_map_back_to_the_reference():
    rng = np.random.default_rng(2)
    genome = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=10_000)]
    contigs = make_contigs({"g": genome.size})
    model = dataclasses.replace(MoleculeModel(), insert_mean=800.0, insert_sd=50.0)
    for _ in range(30):
        insert = sample_insert(contigs, {"g": genome}, model, rng)
        for bottom in (False, True):
            begin, end, strand = insert.interval(bottom, 100, 400)
            ref = genome[insert.contig.offset + begin: insert.contig.offset + end]
            expected = ref if strand == "+" else reverse_complement(ref)
            assert np.array_equal(insert.strand(bottom)[100:400], expected)


def test_inserts_avoid_n_and_report_when_impossible():
    genome = np.frombuffer(b"ACGTN" * 400, dtype=np.uint8).copy()
    contigs = make_contigs({"g": genome.size}, split_fractions=(1, 0, 0))
    model = dataclasses.replace(MoleculeModel(), insert_mean=500.0, insert_sd=0.0)
    with pytest.raises(DczooInputError, match="without N"):
        sample_insert(contigs, {"g": genome}, model, np.random.default_rng(0))


def test_polymerase_coordinates_leave_adapter_gaps():
    coords = polymerase_coordinates([100, 200, 150], MoleculeModel(), np.random.default_rng(3))
    assert [qe - qs for qs, qe in coords] == [100, 200, 150]
    gaps = [b[0] - a[1] for a, b in zip(coords, coords[1:])]
    assert all(40 <= g <= 60 for g in gaps)


@pytest.mark.parametrize("kwargs, message", [
    (dict(fixed_passes=0), "at least 1 full pass"),
    (dict(passes_mean=0.0), "zero passes"),
    (dict(insert_mean=0.0), "mean must be > 0"),
    (dict(low_pass_share=1.5), "low-pass-share"),
])
def test_bad_molecule_parameters(kwargs, message):
    with pytest.raises(DczooInputError, match=message):
        dataclasses.replace(MoleculeModel(), **kwargs).validate()

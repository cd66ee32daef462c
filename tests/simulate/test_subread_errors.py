"""The CLR-like error model: rates, homopolymer dependence, states, determinism."""

import dataclasses

import numpy as np

from dczoo.simulate.alignment import align_to_draft, cigar_column_counts
from dczoo.simulate.subread_errors import (
    STATE_INSERTION,
    STATE_MATCH,
    STATE_MISMATCH,
    SubreadErrorModel,
    apply_errors,
    reverse_complement,
    run_lengths,
    sample_systematic_sites,
    sequence_pass,
)


def _random_template(rng, n):
    return np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=n)]


def test_reverse_complement_and_run_lengths():
    seq = np.frombuffer(b"AACGGGT", dtype=np.uint8)
    assert reverse_complement(seq).tobytes() == b"ACCCGTT"
    assert run_lengths(seq).tolist() == [2, 2, 1, 3, 3, 3, 1]


def test_errors_are_insertion_dominated_with_rare_substitutions():
    rng = np.random.default_rng(1)
    template = _random_template(rng, 20_000)
    read, _ = apply_errors(template, SubreadErrorModel(), rng)
    counts = cigar_column_counts(align_to_draft(read.tobytes().decode(), template.tobytes().decode()).cigartuples)
    total = sum(counts.values())
    assert counts["insertion"] > counts["deletion"] > 0
    assert counts["insertion"] > counts["mismatch"]
    assert 0.84 < counts["match"] / total < 0.92  # CLR-like identity


def test_deletions_are_more_likely_in_homopolymers():
    rng = np.random.default_rng(2)
    model = dataclasses.replace(SubreadErrorModel(), insertion_rate=0.0, substitution_rate=0.0,
                                deletion_extend=0.0)
    runs = np.frombuffer(b"AAAACGTTTTGCAC" * 2000, dtype=np.uint8)
    in_run = run_lengths(runs) >= 2
    kept = np.zeros(runs.size)
    for _ in range(5):
        read, _ = apply_errors(runs, model, rng)
        aln = align_to_draft(read.tobytes().decode(), runs.tobytes().decode(), mode="global", left_align=False)
        r = aln.reference_start
        for op, n in aln.cigartuples:
            if op == 2:
                kept[r:r + n] += 1
            r += n if op in (7, 8, 2) else 0
    # deletions inside runs are placed anywhere in the run; compare per-base rates
    rate_run = kept[in_run].sum() / in_run.sum()
    rate_single = kept[~in_run].sum() / (~in_run).sum()
    assert rate_run > 1.3 * rate_single


def test_long_insertions_exist():
    rng = np.random.default_rng(3)
    template = _random_template(rng, 30_000)
    read, state = apply_errors(template, SubreadErrorModel(), rng)
    ins = state == STATE_INSERTION
    # lengths of runs of inserted bases
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ins.astype(int), [0]])))
    lengths = edges[1::2] - edges[::2]
    assert (lengths > 5).sum() > 5


def test_states_match_the_bases():
    rng = np.random.default_rng(4)
    model = dataclasses.replace(SubreadErrorModel(), insertion_rate=0.0, deletion_rate=0.0)
    template = _random_template(rng, 5000)
    read, state = apply_errors(template, model, rng)
    assert read.size == template.size
    assert np.array_equal(read[state == STATE_MATCH], template[state == STATE_MATCH])
    assert (read[state == STATE_MISMATCH] != template[state == STATE_MISMATCH]).all()


def test_per_zmw_scale_raises_the_error_rate():
    rng = np.random.default_rng(5)
    template = _random_template(rng, 10_000)
    good, _ = apply_errors(template, SubreadErrorModel(), np.random.default_rng(6), scale=0.5)
    bad, _ = apply_errors(template, SubreadErrorModel(), np.random.default_rng(6), scale=1.6)
    t = template.tobytes().decode()
    assert (align_to_draft(bad.tobytes().decode(), t).edit_distance
            > 1.8 * align_to_draft(good.tobytes().decode(), t).edit_distance)


def test_confident_systematic_sites_repeat_across_passes():
    rng = np.random.default_rng(7)
    molecule = np.frombuffer(b"ACGTTTTTGCAGGGGGCATC" * 50, dtype=np.uint8)
    model = dataclasses.replace(SubreadErrorModel(), systematic_sites_per_kb=0.0, confident_sites_per_kb=20.0,
                                insertion_rate=0.0, deletion_rate=0.0, substitution_rate=0.0)
    sites = sample_systematic_sites(molecule, model, rng)
    assert sites.position.size > 0
    reads = [sequence_pass(molecule, sites, False, model, rng)[0] for _ in range(4)]
    # without random errors every difference to the molecule comes from the sites
    assert all(r.size != molecule.size or not np.array_equal(r, molecule) for r in reads)
    assert np.mean(sites.strength) > 0.8


def test_same_seed_same_read():
    template = _random_template(np.random.default_rng(8), 3000)
    a = apply_errors(template, SubreadErrorModel(), np.random.default_rng(9))
    b = apply_errors(template, SubreadErrorModel(), np.random.default_rng(9))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])

"""Drafts from subreads: POA + polishing accuracy, qualities and tags."""

import dataclasses

import edlib
import numpy as np

from dczoo.simulate.alignment import align_to_draft
from dczoo.simulate.draft_consensus import Pileup, _poa, base_qualities, consensus_draft, draft_tags, query_positions
from dczoo.simulate.local_polish import batched_edit_distance
from dczoo.simulate.subread_errors import SubreadErrorModel, reverse_complement, sample_systematic_sites, sequence_pass


def _reads(n_passes, seed=0, length=1500, **model_kw):
    rng = np.random.default_rng(seed)
    molecule = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=length)]
    model = dataclasses.replace(SubreadErrorModel(), **model_kw)
    sites = sample_systematic_sites(molecule, model, rng)
    reads = []
    for k in range(n_passes):
        read, _ = sequence_pass(molecule, sites, k % 2 == 1, model, rng)
        reads.append((reverse_complement(read) if k % 2 else read).tobytes().decode())
    return molecule.tobytes().decode(), reads


def _error(a, b):
    return edlib.align(a, b)["editDistance"] / len(b)


def test_consensus_is_far_better_than_its_subreads():
    truth, reads = _reads(9, systematic_sites_per_kb=0.0, confident_sites_per_kb=0.0)
    draft, quals, pileup = consensus_draft(reads, reads)
    read_error = np.mean([_error(r, truth) for r in reads])
    assert read_error > 0.08
    assert _error(draft, truth) < read_error / 10
    assert len(pileup.alignments) == len(reads)
    assert quals.size == len(draft) and quals.max() <= 93


def test_more_passes_give_a_better_draft():
    errors = []
    for n in (3, 11):
        per_seed = []
        for seed in range(3):
            truth, reads = _reads(n, seed=seed, systematic_sites_per_kb=0.0, confident_sites_per_kb=0.0)
            per_seed.append(_error(consensus_draft(reads, reads)[0], truth))
        errors.append(np.mean(per_seed))
    assert errors[1] < errors[0] / 3


def test_qualities_are_lower_where_subreads_disagree():
    truth, reads = _reads(7, seed=4)
    draft, quals, pileup = consensus_draft(reads, reads)
    idx = np.arange(len(draft))
    votes = pileup.base_votes
    support = votes[np.searchsorted(np.frombuffer(b"ACGT", np.uint8), np.frombuffer(draft.encode(), np.uint8)),
                    idx]
    unanimous = support == pileup.coverage
    assert quals[unanimous].mean() > quals[~unanimous].mean() + 10
    assert np.array_equal(quals, base_qualities(draft, pileup))


def test_tags_follow_ccs_conventions():
    quals = np.array([30, 30, 20, 40], dtype=np.uint8)
    tags = draft_tags(quals, 7, pileup=None)
    assert tags["np"] == 7
    assert abs(tags["rq"] - (1 - np.mean(10 ** (-quals.astype(float) / 10)))) < 1e-9
    assert draft_tags(quals, 1, polished=False) == {"np": 1, "rq": -1.0}
    pileup = Pileup("ACGTACGTAC", ["ACGTACGTAC", "ACGTA"])
    assert abs(draft_tags(np.full(10, 30, np.uint8), 1, pileup)["ec"] - 1.5) < 1e-9


def test_batched_edit_distance_matches_edlib():
    rng = np.random.default_rng(5)
    pairs = [("".join(rng.choice(list("ACGT"), size=rng.integers(1, 25))),
              "".join(rng.choice(list("ACGT"), size=rng.integers(1, 15)))) for _ in range(300)]
    got = batched_edit_distance([a for a, _ in pairs], [b for _, b in pairs])
    want = [edlib.align(a, b)["editDistance"] for a, b in pairs]
    assert got.tolist() == want


def test_query_positions_follow_the_alignment():
    # query ACGTTACG vs reference ACGTACG: one inserted T after ACGT
    aln = align_to_draft("ACGTTACG", "ACGTACG", mode="global", left_align=False)
    assert query_positions(aln, [0, 3, 4, 6]) == [0, 3, 5, 7]
    aln = align_to_draft("ACGACG", "ACGTACG", mode="global", left_align=False)  # T deleted
    assert query_positions(aln, [2, 3, 4]) == [2, 3, 3]


def test_long_passes_go_through_the_poa_in_pieces():
    # the passes are cut where they align to the median pass's cuts; the joined
    # consensus is as good as the one of a single POA
    truth, reads = _reads(5, seed=3, length=4000, systematic_sites_per_kb=0.0, confident_sites_per_kb=0.0)
    whole = _poa(reads, 5)
    pieces = _poa(reads, 5, max_length=2000, piece=1000)
    assert _error(pieces, truth) <= _error(whole, truth) + 0.002
    assert abs(len(pieces) - len(whole)) < 10
    pieced_draft = consensus_draft(reads, reads, max_poa_length=2000)[0]
    assert _error(pieced_draft, truth) <= _error(consensus_draft(reads, reads)[0], truth) + 0.002

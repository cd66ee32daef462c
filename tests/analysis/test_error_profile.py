import pytest

from dczoo.analysis.error_profile import error_profile, read_errors

TRUTH = "ACGTTTACCAGTCA"


def test_homopolymer_insertion():
    errors = read_errors("ACGTTTTACCAGTCA", TRUTH)
    assert errors["hp_insertions"] == 1 and errors["insertions"] == 1
    assert errors["nonhp_insertions"] == 0 and errors["mismatches"] == 0
    assert errors["hp_insertions_by_length"] == {3: 1}


def test_non_homopolymer_deletion():
    errors = read_errors("ACGTTTACAGTCA", "ACGTTTACGAGTCA")
    assert errors["deletions"] == 1
    assert errors["nonhp_deletions"] == 1 and errors["hp_deletions"] == 0


def test_homopolymer_deletion_counts_the_run_length():
    errors = read_errors("ACGTACCAGTCA", TRUTH)
    assert errors["hp_deletions"] == 2 and errors["deletions"] == 2
    assert errors["hp_deletions_by_length"] == {3: 2}


def test_mismatch():
    errors = read_errors("ACGTTTACCTGTCA", TRUTH)
    assert errors["mismatches"] == 1
    assert errors["insertions"] == errors["deletions"] == 0


def test_non_homopolymer_insertion():
    errors = read_errors("ACGTTTAGCCAGTCA", TRUTH)
    # G inserted between A and C: equals neither neighbour.
    assert errors["nonhp_insertions"] == 1 and errors["hp_insertions"] == 0


def test_profile_aggregates_reads():
    reads = ["ACGTTTTACCAGTCA", "ACGTTTACCTGTCA", TRUTH]
    profile = error_profile(reads, [TRUTH] * 3)
    assert profile["mean_per_read"]["hp_insertions"] == pytest.approx(1 / 3)
    assert profile["mean_per_read"]["mismatches"] == pytest.approx(1 / 3)
    assert profile["per_kb"]["mismatches"] == pytest.approx(1 / (3 * len(TRUTH) / 1000))
    assert profile["hp_by_length"]["insertions"] == {3: 1}


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        error_profile(["A"], [])


def test_identity_to_truth():
    from dczoo.analysis import identity_to_truth

    assert identity_to_truth(TRUTH, TRUTH) == 1.0
    # one inserted base: 14 matches over 15 columns
    assert identity_to_truth("ACGTTTTACCAGTCA", TRUTH) == pytest.approx(14 / 15)
    # one mismatch: 13 matches over 14 columns
    assert identity_to_truth("ACGTTTACCTGTCA", TRUTH) == pytest.approx(13 / 14)

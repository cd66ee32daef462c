"""Alignments to the draft: CIGAR parsing, validity and left-aligned indels."""

import numpy as np
import pytest

from dczoo.errors import DczooInputError
from dczoo.simulate.alignment import align_to_draft, cigar_column_counts, identity, left_align_indels, parse_edlib_cigar


def _walk(query, draft, start, cigar):
    """Checks every column: = is a match, X a mismatch; returns (query used, draft end)."""
    q, r = 0, start
    for op, n in cigar:
        for _ in range(n):
            if op == 7:
                assert query[q] == draft[r]
            elif op == 8:
                assert query[q] != draft[r]
            q += op in (7, 8, 1)
            r += op in (7, 8, 2)
    return q, r


def test_parse_edlib_cigar_multi_digit():
    assert parse_edlib_cigar("12=1X105I3D") == [(7, 12), (8, 1), (1, 105), (2, 3)]


def test_homopolymer_deletion_is_left_aligned():
    # the read lacks one A of a run of four: the D must sit on the run's first base
    aln = align_to_draft("CGAAATG", "CGAAAATG")
    assert aln.cigartuples == [(7, 2), (2, 1), (7, 5)]


def test_insertion_is_left_aligned_in_a_dinucleotide_repeat():
    cigar = left_align_indels([(7, 6), (1, 2), (7, 2)], "ACACACACGG", "ACACACGG", 0)
    assert cigar == [(1, 2), (7, 8)]


def test_random_alignments_are_valid_and_fully_left_aligned():
    rng = np.random.default_rng(0)
    for _ in range(40):
        draft = "".join(rng.choice(list("AACGT"), size=150))
        read = list(draft)
        for _ in range(15):
            j = int(rng.integers(len(read)))
            if rng.random() < 0.5:
                read.insert(j, read[j])
            else:
                del read[j]
        read = "".join(read)
        aln = align_to_draft(read, draft)
        used, end = _walk(read, draft, aln.reference_start, aln.cigartuples)
        assert used == len(read) and end == aln.reference_end
        # no indel right after an `=` could move one base further left
        q, r, prev = 0, aln.reference_start, None
        for op, n in aln.cigartuples:
            if prev == 7 and op == 2:
                assert draft[r - 1] != draft[r + n - 1]
            if prev == 7 and op == 1:
                assert draft[r - 1] != read[q + n - 1]
            q += n if op in (7, 8, 1) else 0
            r += n if op in (7, 8, 2) else 0
            prev = op


def test_infix_alignment_of_a_partial_read_starts_inside_the_draft():
    draft = "TTGACCATGGCATTACGGATCCAGTTAGC"
    aln = align_to_draft(draft[10:22], draft)
    assert aln.reference_start == 10 and aln.reference_end == 22 and identity(aln.cigartuples) == 1.0


def test_column_counts_and_identity():
    cigar = [(7, 8), (8, 1), (1, 2), (2, 1)]
    assert cigar_column_counts(cigar) == {"match": 8, "mismatch": 1, "insertion": 2, "deletion": 1}
    assert identity(cigar) == pytest.approx(8 / 12)


def test_empty_sequences_are_rejected():
    with pytest.raises(DczooInputError, match="empty"):
        align_to_draft("", "ACGT")

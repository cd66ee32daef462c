"""Constructed ZMWs for the rules human_1m does not exercise.

Covers the reference's own unit cases (trimming, deletions, indents, clips,
spacing, encoding) and the rules of spec sections 2-3 and 9: insertions after
the last draft base (A1), empty labels (A2), the column-0 quirk (A3),
counting before truth checks (A4), adjusted labels, label overflow, label
insertions at window boundaries, non-ACGT bases, windows without draft
bases, and more subreads than tensor rows.
"""

import array
from types import SimpleNamespace

import numpy as np
import pysam
import pytest

from dczoo.data.bam_reader import Draft, Subread, parse_cigar_string, parse_subread
from dczoo.data.labels import TruthRange
from dczoo.data.zmw_groups import ZmwGroup
from dczoo.data.zmw_processing import PreprocessConfig, place_subreads, process_zmw

VOCAB = " ATCG"


def subread(seq, cigar, start=0, reverse=False, name="m/1/0_10", pw=None):
    """A subread; `pw` is given in sequencing order like the BAM tag."""
    ops, lens = parse_cigar_string(cigar)
    native = np.arange(1, len(seq) + 1, dtype=np.uint8) if pw is None else np.asarray(pw, np.uint8)
    oriented = native[::-1] if reverse else native
    return Subread(
        name=name,
        sequence=seq,
        ops=ops,
        lens=lens,
        reference_start=start,
        strand=2 if reverse else 1,
        pw=oriented.copy(),
        ip=(oriented + 100).astype(np.uint8),
        sn=np.array([1.5, 2.5, 3.5, 4.5], np.float32),
    )


def group(draft, subreads, name="m/1/ccs"):
    quality = np.arange(len(draft), dtype=np.uint8) % 50 + 1
    return ZmwGroup(0, name, subreads, Draft(name, draft, quality, None, 3, 0.99, "rg", 1))


def text(row):
    return "".join(VOCAB[int(v)] for v in row)


class StubTruth:
    """Stands in for `TruthInputs` with one in-memory truth alignment."""

    truth_to_ccs = "truth_to_ccs.bam"

    def __init__(self, seq, cigar, start=0, skip=None):
        ops, lens = parse_cigar_string(cigar)
        self.record = SimpleNamespace(
            query_name="m/1/truth",
            query_sequence=seq,
            cigartuples=list(zip(ops.tolist(), lens.tolist())),
            reference_start=start,
        )
        self.range = TruthRange("chr1", 100, 100 + len(seq))
        self.skip = skip

    def lookup(self, name):
        if self.skip:
            return self.skip, None, None, None
        return None, self.record, self.range, "train"


def config(window_length=100, **kwargs):
    return PreprocessConfig(window_length=window_length, **kwargs)


def test_trim_long_insertion_forward():
    placed, counters = place_subreads([subread("A" * 14, "4M6I4M")], 5)
    assert placed.pw.tolist() == [1, 2, 3, 4, 11, 12, 13, 14]
    assert placed.expanded.slot.tolist() == list(range(8))
    assert dict(counters) == {
        "zmw_total_bp": 14, "zmw_trimmed_insertions": 1, "zmw_trimmed_insertions_bp": 6
    }


def test_trim_long_insertion_reverse_uses_reversed_mask():
    placed, _ = place_subreads([subread("A" * 11, "1M6I4M", reverse=True)], 5)
    # In sequencing order the kept pw are [1, 2, 3, 4, 11], as in the reference.
    assert placed.pw[::-1].tolist() == [1, 2, 3, 4, 11]


def test_insertion_of_exactly_ins_trim_is_kept():
    placed, counters = place_subreads([subread("A" * 9, "2M5I2M")], 5)
    assert placed.bases.size == 9 and counters["zmw_trimmed_insertions"] == 0
    assert placed.expanded.ins_offset.tolist() == [-1, -1, 0, 1, 2, 3, 4, -1, -1]


def test_parse_subread_reverses_kinetics_of_reverse_reads():
    header = pysam.AlignmentHeader.from_dict({"SQ": [{"SN": "m/1/ccs", "LN": 10}]})
    record = pysam.AlignedSegment(header)
    record.query_name, record.query_sequence = "m/1/0_4", "ACGT"
    record.reference_id, record.reference_start, record.cigarstring = 0, 0, "4="
    record.flag = 16
    record.set_tag("pw", array.array("B", [1, 2, 3, 4]))
    record.set_tag("ip", array.array("B", [5, 6, 7, 8]))
    record.set_tag("sn", array.array("f", [1, 2, 3, 4]))
    parsed = parse_subread(record, "x.bam")
    assert parsed.strand == 2
    assert parsed.pw.tolist() == [4, 3, 2, 1] and parsed.ip.tolist() == [8, 7, 6, 5]


def test_deletion_indent_and_encoding():
    zmw = process_zmw(
        group("TTTGTTGTGGAGAT", [subread("TTGTGGAGAT", "5M1D5M", start=3)]), config()
    )
    window = zmw.windows[0]
    # Indent (3 gaps), then TTGTG, a deletion gap, GAGAT: ids 2,2,4,2,4,0,4,1,4,1,2.
    assert window[0, :14].tolist() == [0, 0, 0, 2, 2, 4, 2, 4, 0, 4, 1, 4, 1, 2]
    assert window[20, 8] == 0 and window[40, 8] == 0  # pw, ip 0 at the deletion
    assert window[20, 3] == 1 and window[40, 3] == 101
    assert (window[60] == 1).all()  # strand over the full width, padding included
    assert (window[61:80] == 0).all() and (window[1:20] == 0).all()
    np.testing.assert_array_equal(window[81:85, 0], [1.5, 2.5, 3.5, 4.5])
    assert (window[81:85] == window[81:85, :1]).all()
    assert text(window[80, :14]) == "TTTGTTGTGGAGAT"
    assert zmw.ccs_bq[0, :14].tolist() == list(range(1, 15)) and (zmw.ccs_bq[0, 14:] == -1).all()


def test_soft_and_hard_clips():
    zmw = process_zmw(
        group("ACGTA", [subread("GGACGTATT", "2S5M2S"), subread("ACGTA", "3H5M4H")]), config()
    )
    assert text(zmw.windows[0, 0, :6]) == "ACGTA "
    assert text(zmw.windows[0, 1, :6]) == "ACGTA "
    assert zmw.windows[0, 20, :5].tolist() == [3, 4, 5, 6, 7]  # pw of the kept bases


def test_spacing_shares_insertion_columns():
    zmw = process_zmw(
        group("TTTTT", [subread("TTTTT", "1M1I1M1I1M"), subread("TTTTT", "5M")]), config()
    )
    rows = zmw.windows[0]
    assert text(rows[0, :7]) == "TTTTT  "
    assert text(rows[1, :7]) == "T T TTT"
    assert text(rows[80, :7]) == "T T TTT"
    assert zmw.ccs_width == 7 and zmw.window_pos.tolist() == [0]


def test_insertions_left_align_in_shared_block():
    zmw = process_zmw(
        group("ACG", [subread("ATTCG", "1M2I2M"), subread("AGCG", "1M1I2M")]), config()
    )
    assert text(zmw.windows[0, 0, :5]) == "ATTCG"
    assert text(zmw.windows[0, 1, :5]) == "AG CG"
    assert text(zmw.windows[0, 80, :5]) == "A  CG"


def test_subread_insertion_after_last_draft_base_stays_in_last_window():
    zmw = process_zmw(group("ACGT", [subread("ACGTAA", "4M2I")]), config())
    assert zmw.ccs_width == 4 and zmw.n_windows == 1
    assert text(zmw.windows[0, 0, :7]) == "ACGTAA "
    assert text(zmw.windows[0, 80, :7]) == "ACGT   "
    assert zmw.ccs_bq[0, 3:7].tolist() == [4, -1, -1, -1]
    # With 4-column windows those columns are past the last window: dropped.
    short = process_zmw(group("ACGT", [subread("ACGTAA", "4M2I")]), config(window_length=4))
    assert short.n_windows == 1 and text(short.windows[0, 0]) == "ACGT"


def test_non_acgt_bases_encode_as_zero():
    zmw = process_zmw(group("ANGT", [subread("ACNT", "4M")]), config())
    assert zmw.windows[0, 0, :4].tolist() == [1, 3, 0, 2]
    assert zmw.windows[0, 80, :4].tolist() == [1, 0, 4, 2]
    assert zmw.ccs_bq[0, 1] == 2  # the draft's N keeps its quality


def test_more_subreads_than_rows():
    subreads = [subread("ACGT", "4M", name=f"m/1/{i}") for i in range(21)]
    subreads.append(subread("ACCGT", "2M1I2M", name="m/1/21"))
    zmw = process_zmw(group("ACGT", subreads), config())
    window = zmw.windows[0]
    assert zmw.num_subreads == 22 and zmw.num_passes.tolist() == [20]
    # The 22nd subread is not in the rows, but its insertion spaces them.
    assert text(window[0, :5]) == "AC GT" and text(window[19, :5]) == "AC GT"
    assert text(window[80, :5]) == "AC GT"
    assert (window[60:80] == 1).all()


def test_window_without_draft_base_is_skipped():
    inserted = "C" * 150
    zmw = process_zmw(
        group("A" * 100, [subread("A" * 90 + inserted + "A" * 10, "90M150I10M")]),
        config(ins_trim=0),
    )
    # Columns: 90 slots, 150 insertions, 10 slots = 250 -> 3 windows; the
    # second (columns 100-199) holds only inserted bases.
    assert zmw.window_index.tolist() == [0, 2]
    assert zmw.window_pos.tolist() == [0, 90]
    assert text(zmw.windows[1, 0, 40:50]) == "AAAAAAAAAA"
    assert zmw.counters["n_examples_no_ccs_idx"] == 1
    assert zmw.counters["example_width_bucket_100"] == 3
    assert zmw.counters["n_examples"] == 2


def _labels(draft, truth, window_length=4, subreads=None):
    subreads = subreads or [subread(draft, f"{len(draft)}M")]
    return process_zmw(group(draft, subreads), config(window_length), truth)


def test_label_with_gaps_fits():
    zmw = _labels("AAAAAAAA", StubTruth("AACAA", "2M1I1D2M", start=0))
    # Window 0 slice: A A C <del> A -> 5 columns > 4: gaps removed -> AACA.
    assert text(zmw.label_codes[0]) == "AACA"
    assert zmw.counters["n_examples_adjusted_label"] == 1


def test_label_overflow_drops_window():
    zmw = _labels("AAAAAAAA", StubTruth("AACCCAAAAAA", "2M3I6M"))
    assert zmw.window_index.tolist() == [1]
    assert zmw.counters["n_examples_label_overflow"] == 1
    assert zmw.counters["example_width_bucket_4"] == 2
    assert zmw.counters["n_examples"] == 1 and zmw.counters["n_examples_train"] == 1


def test_label_insertion_at_window_boundary_is_lost():
    zmw = _labels("AAAAAAAA", StubTruth("AAAACAAAA", "4M1I4M"))
    assert [text(row) for row in zmw.label_codes] == ["AAAA", "AAAA"]
    assert "n_examples_adjusted_label" not in zmw.counters


def test_label_keeps_internal_gaps_of_subread_insertions():
    subreads = [subread("AAGAA", "2M1I2M")]
    zmw = _labels("AAAA", StubTruth("AAAA", "4M"), window_length=8, subreads=subreads)
    assert text(zmw.label_codes[0]) == "AA AA   "


def test_window_without_label_gets_empty_label():
    zmw = _labels("AAAAAAAA", StubTruth("CCCC", "4M", start=4))
    assert zmw.window_index.tolist() == [0, 1]
    assert text(zmw.label_codes[0]) == "    " and text(zmw.label_codes[1]) == "CCCC"
    assert zmw.counters["n_examples_skip_large_windows_keep"] == 2


def test_label_matching_only_column_zero_is_empty():
    zmw = _labels("AAAAAAAA", StubTruth("C", "1M"))
    assert text(zmw.label_codes[0]) == "    "


def test_trimming_is_counted_before_truth_checks():
    truth = StubTruth("A", "1M", skip="n_zmw_missing_truth_range")
    zmw = process_zmw(group("AAAA", [subread("AAAAAAAAAAA", "2M7I2M")]), config(), truth)
    assert zmw.n_windows == 0 and zmw.skip_reason == "n_zmw_missing_truth_range"
    assert zmw.counters == {
        "n_zmw_processed": 1,
        "n_zmw_missing_truth_range": 1,
        "zmw_total_bp": 11,
        "zmw_trimmed_insertions": 1,
        "zmw_trimmed_insertions_bp": 7,
    }


@pytest.mark.parametrize("cigar", ["4M1P", "2M1S2M"])
def test_unsupported_cigars_are_input_errors(cigar):
    from dczoo.errors import DczooInputError

    with pytest.raises(DczooInputError, match="m/1/0_10"):
        process_zmw(group("AAAA", [subread("AAAA" if "S" not in cigar else "AAAAA", cigar)]),
                    config())

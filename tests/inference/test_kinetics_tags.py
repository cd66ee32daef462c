"""`dczoo correct --kinetics`: the per-strand kinetics tags of `ccs --hifi-kinetics`.

The expected values are computed here, independently of dczoo's code: codec V1
from the PacBio BAM spec's table, the per-strand mean of the passes in frames,
subread bases placed with pysam's own aligned pairs, corrected bases placed on
the draft by walking the called columns.
"""

import numpy as np
import pysam
import pytest

from dczoo.cli.main import main
from dczoo.data.bam_reader import Draft, Subread, parse_cigar_string
from dczoo.data.kinetics import decode_codec_v1, encode_codec_v1
from dczoo.data.zmw_groups import ZmwGroup
from dczoo.data.zmw_processing import PreprocessConfig, process_zmw
from dczoo.errors import DczooInputError
from dczoo.inference.bam_writer import read_to_segment
from dczoo.inference.pipeline import correct
from dczoo.inference.read_filter import ReadFilter
from dczoo.inference.zmw_corrector import ZmwCorrector

VOCAB = " ATCG"

# Codec V1 as the spec's table lists it: 64 codes each at 1, 2, 4 and 8 frames apart.
SPEC_FRAMES = [f for start, step in ((0, 1), (64, 2), (192, 4), (448, 8))
               for f in range(start, start + 64 * step, step)]


def spec_encode(frames):
    """Nearest listed duration (halfway: the longer one), capped at 952 frames."""
    frames = min(float(frames), 952.0)
    best = 0
    for code, listed in enumerate(SPEC_FRAMES):
        if abs(listed - frames) <= abs(SPEC_FRAMES[best] - frames):
            best = code
    return best


def spec_mean(codes):
    """Codec V1 code of the mean duration of passes given as codes."""
    return spec_encode(sum(SPEC_FRAMES[c] for c in codes) / len(codes))


def test_codec_follows_the_spec_table():
    assert len(SPEC_FRAMES) == 256 and SPEC_FRAMES[-1] == 952
    codes = np.arange(256)
    assert decode_codec_v1(codes).tolist() == SPEC_FRAMES
    assert encode_codec_v1(SPEC_FRAMES).tolist() == codes.tolist()
    # The spec's example: 194 frames rounds to 196, code 129; longer than 952 caps.
    assert encode_codec_v1([194, 5000]).tolist() == [129, 255]
    durations = np.linspace(0, 1000, 4001)
    assert encode_codec_v1(durations).tolist() == [spec_encode(f) for f in durations]


# A constructed ZMW. Draft positions 0..9; values are codec V1 codes per draft
# position (SEQ orientation), chosen across codec ranges so that the mean of the
# frames differs from the mean of the codes.
DRAFT = "ACGTACGTAC"
F1_IP = [10, 60, 100, 130, 20, 30, 40, 50, 200, 255]
F1_PW = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
# F2 misses draft position 3 (deletion) and has an inserted base after position 6.
F2_POSITIONS = [0, 1, 2, 4, 5, 6, None, 7, 8, 9]
F2_IP = [12, 130, 63, 22, 90, 40, 250, 51, 201, 191]
F2_PW = [7, 8, 9, 10, 11, 12, 99, 14, 15, 16]
# F3 is a partial pass (adapter after only) over positions 5..9.
F3_IP = [70, 41, 52, 202, 100]
F3_PW = [1, 2, 3, 4, 5]
R1_IP = [3, 33, 66, 99, 132, 165, 198, 231, 250, 1]
R1_PW = [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]


def _subread(name, sequence, cigar, ip, pw, reverse=False, start=0, cx=3):
    ops, lens = parse_cigar_string(cigar)
    return Subread(name=name, sequence=sequence, ops=ops, lens=lens, reference_start=start,
                   strand=2 if reverse else 1, pw=np.array(pw, np.uint8),
                   ip=np.array(ip, np.uint8), sn=np.array([5, 6, 7, 8], np.float32), cx=cx)


def _constructed_subreads(with_reverse=True):
    f2_sequence = DRAFT[:3] + DRAFT[4:7] + "G" + DRAFT[7:]
    subreads = [
        _subread("m/1/0_10", DRAFT, "10=", F1_IP, F1_PW),
        _subread("m/1/20_30", f2_sequence, "3=1D3=1I3=", F2_IP, F2_PW),
        _subread("m/1/60_65", DRAFT[5:], "5=", F3_IP, F3_PW, start=5, cx=2),
    ]
    if with_reverse:
        subreads.insert(1, _subread("m/1/10_20", DRAFT, "10=", R1_IP, R1_PW, reverse=True))
    return subreads


def _constructed_zmw(with_reverse=True):
    draft = Draft("m/1/ccs", DRAFT, np.full(len(DRAFT), 30, np.uint8), 3.0, 3, 0.99, "rg", 1)
    group = ZmwGroup(0, "m/1/ccs", _constructed_subreads(with_reverse), draft)
    return process_zmw(group, PreprocessConfig(kinetics=True))


def _forward_means():
    """Expected forward means per draft position, from the passes covering it."""
    ip = {p: [v] for p, v in enumerate(F1_IP)}
    pw = {p: [v] for p, v in enumerate(F1_PW)}
    for position, i, w in zip(F2_POSITIONS, F2_IP, F2_PW):
        if position is not None:
            ip[position].append(i)
            pw[position].append(w)
    for offset, (i, w) in enumerate(zip(F3_IP, F3_PW)):
        ip[5 + offset].append(i)
        pw[5 + offset].append(w)
    return [spec_mean(ip[p]) for p in range(10)], [spec_mean(pw[p]) for p in range(10)]


class _CallsPredictor:
    """Stands in for the model: calls the given token of every column."""

    batch_size = 4

    def __init__(self, tokens):
        self.tokens = tokens

    def predict_batch(self, windows):
        probs = np.full(self.tokens.shape + (5,), 0.001, np.float32)
        np.put_along_axis(probs, self.tokens[..., None].astype(np.int64), 0.996, axis=-1)
        return probs[: len(windows)]


def _correct_constructed(zmw):
    """Corrects the constructed ZMW with draft position 2 deleted and a G called
    in the insertion column after draft position 6."""
    tokens = zmw.rows[:, zmw.layout.ccs].copy()
    on_draft = zmw.ccs_bq[0] >= 0
    draft_columns = np.flatnonzero(on_draft)
    insertion_column = int(np.flatnonzero(~on_draft[: draft_columns[-1]])[0])
    assert draft_columns[6] < insertion_column < draft_columns[7]
    tokens[0, draft_columns[2]] = 0
    tokens[0, insertion_column] = VOCAB.index("G")
    results = []
    corrector = ZmwCorrector(_CallsPredictor(tokens), results.append, skip_windows_above=0,
                             read_filter=ReadFilter(0))
    corrector.add(zmw)
    corrector.finish()
    return results[0].read


def test_constructed_zmw_known_values_through_insertion_and_deletion():
    read = _correct_constructed(_constructed_zmw())
    assert read.sequence == DRAFT[:2] + DRAFT[3:7] + "G" + DRAFT[7:]
    positions = [0, 1, 3, 4, 5, 6, None, 7, 8, 9]
    fi, fp = _forward_means()
    # Hand-checked values: position 1 averages 60 and 200 frames (codes 60 and
    # 130) to 130 frames, code 97; position 3 has only F1 (F2 deletes it).
    assert fi[1] == 97 and fi[3] == 130
    kinetics = read.kinetics
    for name, values in (("fi", kinetics.fi), ("fp", kinetics.fp), ("ri", kinetics.ri),
                         ("rp", kinetics.rp)):
        assert values.dtype == np.uint8 and len(values) == len(read.sequence), name
    expected_fi = [0 if p is None else fi[p] for p in positions]
    expected_fp = [0 if p is None else fp[p] for p in positions]
    assert kinetics.fi.tolist() == expected_fi
    assert kinetics.fp.tolist() == expected_fp
    # Reverse values run from the read's last base to its first (spec).
    expected_ri = [0 if p is None else R1_IP[p] for p in positions][::-1]
    expected_rp = [0 if p is None else R1_PW[p] for p in positions][::-1]
    assert kinetics.ri.tolist() == expected_ri
    assert kinetics.rp.tolist() == expected_rp
    # Complete passes: F1, F2 forward (F3 is partial), R1 reverse.
    assert (kinetics.fn, kinetics.rn) == (2, 1)


def test_missing_strand_is_empty_with_zero_passes_in_the_bam():
    read = _correct_constructed(_constructed_zmw(with_reverse=False))
    header = pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.6"}})
    segment = read_to_segment(read, header)
    tags = dict((tag, (value, kind)) for tag, value, kind in segment.get_tags(with_value_type=True))
    assert len(tags["fi"][0]) == len(tags["fp"][0]) == len(read.sequence)
    assert len(tags["ri"][0]) == 0 and len(tags["rp"][0]) == 0
    assert tags["fn"] == (2, "i") and tags["rn"] == (0, "i")
    for tag in ("fi", "fp", "ri", "rp"):
        assert tags[tag][1] == "B" and tags[tag][0].typecode == "B", tag
    assert "\tri:B:C\t" in segment.to_string() + "\t"


def test_kinetics_are_off_by_default():
    draft = Draft("m/1/ccs", DRAFT, np.full(len(DRAFT), 30, np.uint8), 3.0, 3, 0.99, "rg", 1)
    zmw = process_zmw(ZmwGroup(0, "m/1/ccs", _constructed_subreads(), draft), PreprocessConfig())
    assert zmw.kinetics is None
    read = _correct_constructed(zmw)
    assert read.kinetics is None
    segment = read_to_segment(read, pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.6"}}))
    assert not any(segment.has_tag(tag) for tag in ("fi", "fp", "ri", "rp", "fn", "rn"))


# The bundled example, end to end.


def independent_draft_kinetics(subreads_path):
    """Per draft read: {"fi", "fp", "ri", "rp": per-position codes, "fn", "rn"},
    straight from the subread records with pysam's aligned pairs."""
    frames = {}
    passes = {}
    lengths = {}
    with pysam.AlignmentFile(str(subreads_path), check_sq=False) as bam:
        for reference, length in zip(bam.references, bam.lengths):
            lengths[reference] = length
        for record in bam:
            if record.is_unmapped or record.is_secondary or record.is_supplementary:
                continue
            draft = record.reference_name
            strand = "r" if record.is_reverse else "f"
            n = record.query_length
            native = {tag: list(record.get_tag(tag)) for tag in ("ip", "pw")}
            for query, ref in record.get_aligned_pairs(matches_only=True):
                index = n - 1 - query if record.is_reverse else query
                for tag, letter in (("ip", "i"), ("pw", "p")):
                    key = (draft, strand + letter, ref)
                    frames.setdefault(key, []).append(SPEC_FRAMES[native[tag][index]])
            count = passes.setdefault(draft, {"f": 0, "r": 0, "any_f": False, "any_r": False})
            count["any_" + strand] = True
            if (record.get_tag("cx") & 3) == 3:
                count[strand] += 1
    result = {}
    for draft, length in lengths.items():
        if draft not in passes:
            continue
        entry = {"fn": passes[draft]["f"], "rn": passes[draft]["r"],
                 "any_f": passes[draft]["any_f"], "any_r": passes[draft]["any_r"]}
        for tag in ("fi", "fp", "ri", "rp"):
            entry[tag] = np.array([
                spec_encode(np.mean(frames[(draft, tag, p)])) if (draft, tag, p) in frames else 0
                for p in range(length)
            ])
        result[draft] = entry
    return result


def called_draft_positions(result):
    """Draft position (or None) of each corrected base, walking the called
    columns of every window in order: a column holding a draft base advances
    the draft, a called base there sits on it, a called base elsewhere has none."""
    positions, seen = [], 0
    for window in range(result.tokens.shape[0]):
        for column in range(result.tokens.shape[1]):
            on_draft = result.zmw.ccs_bq[window, column] >= 0
            if result.tokens[window, column] != 0:
                positions.append(seen if on_draft else None)
            seen += bool(on_draft)
    return positions


def expected_read_tags(read, positions, draft_values):
    expected = {}
    for tag in ("fi", "fp", "ri", "rp"):
        if not draft_values["any_" + tag[0]]:
            expected[tag] = []
            continue
        values = [0 if p is None else int(draft_values[tag][p]) for p in positions]
        expected[tag] = values[::-1] if tag[0] == "r" else values
    expected["fn"], expected["rn"] = draft_values["fn"], draft_values["rn"]
    return expected


def bam_kinetics(path):
    with pysam.AlignmentFile(str(path), check_sq=False) as bam:
        return {
            record.query_name: {
                tag: (list(record.get_tag(tag)) if tag[1] != "n" else record.get_tag(tag))
                for tag in ("fi", "fp", "ri", "rp", "fn", "rn")
            }
            for record in bam
        }


def read_tags(read):
    k = read.kinetics
    return {"fi": k.fi.tolist(), "fp": k.fp.tolist(), "ri": k.ri.tolist(), "rp": k.rp.tolist(),
            "fn": k.fn, "rn": k.rn}


@pytest.fixture(scope="module")
def independent(example):
    return independent_draft_kinetics(example[0])


@pytest.fixture(scope="module")
def model_run(example, tiny_preset, tmp_path_factory):
    """The Python API with the model on every window (real insertions and
    deletions), writing a BAM too."""
    output = tmp_path_factory.mktemp("api") / "all.bam"
    results = []
    reads = correct(*example, tiny_preset, output, kinetics=True, min_quality=0,
                    skip_windows_above=0, batch_size=512, cpus=0, on_zmw=results.append)
    return reads, results, output


def test_example_reads_with_draft_kept_equal_the_independent_means(example, tiny_preset,
                                                                   independent):
    # Every window keeps the draft: each read is its draft, base for base.
    reads = correct(*example, tiny_preset, kinetics=True, min_quality=0,
                    skip_windows_above=1e-9, cpus=0)
    with pysam.AlignmentFile(str(example[1]), check_sq=False) as bam:
        drafts = {record.query_name: record.query_sequence for record in bam}
    assert [read.name for read in reads] == list(drafts) and len(reads) == 20
    for read in reads:
        assert read.sequence == drafts[read.name]
        draft = independent[read.name]
        positions = list(range(len(read.sequence)))
        assert read_tags(read) == expected_read_tags(read, positions, draft), read.name
    # The example has a ZMW with a single (forward) subread: its reverse strand is empty.
    assert any(read.kinetics.ri.size == 0 and read.kinetics.rn == 0 for read in reads)


def test_example_corrected_reads_carry_the_means_to_their_bases(model_run, independent):
    reads, results, output = model_run
    assert len(reads) > 0
    by_name = {result.name: result for result in results}
    inserted = deleted = 0
    for read in reads:
        positions = called_draft_positions(by_name[read.name])
        assert len(positions) == len(read.sequence)
        inserted += positions.count(None)
        deleted += len(by_name[read.name].zmw.draft.sequence) - (len(positions) - positions.count(None))
        expected = expected_read_tags(read, positions, independent[read.name])
        assert read_tags(read) == expected, read.name
    assert inserted > 0 and deleted > 0  # the correction did move bases
    # The BAM holds the same numbers as the Python API.
    assert bam_kinetics(output) == {read.name: read_tags(read) for read in reads}


def test_chunks_keep_the_tags(example, tiny_preset, model_run, tmp_path):
    _, _, whole = model_run
    merged = {}
    for index in range(2):
        output = tmp_path / f"chunk{index}.bam"
        status = main([
            "correct", "--subreads-to-ccs", str(example[0]), "--ccs-bam", str(example[1]),
            "--output", str(output), "--model", str(tiny_preset), "--min-quality", "0",
            "--skip-windows-above", "0", "--batch-size", "512", "--cpus", "0", "--quiet",
            "--chunk", f"{index}/2", "--kinetics",
        ])
        assert status == 0
        merged.update(bam_kinetics(output))
    assert merged == bam_kinetics(whole)


def test_fastq_output_refuses_kinetics(example, tiny_preset, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    status = main([
        "correct", "--subreads-to-ccs", str(example[0]), "--ccs-bam", str(example[1]),
        "--output", str(out / "reads.fastq"), "--model", str(tiny_preset), "--quiet",
        "--kinetics",
    ])
    assert status == 2
    error = capsys.readouterr().err
    assert "--kinetics needs a .bam output" in error and "Traceback" not in error
    assert len(error.strip().splitlines()) == 1
    assert list(out.iterdir()) == []
    with pytest.raises(DczooInputError, match="needs a .bam output"):
        correct(*example, tiny_preset, out / "reads.fq.gz", kinetics=True)
    assert list(out.iterdir()) == []

"""The Space's upload checks and preset catalog, without a server."""

import gzip
import sys

import pytest

from tests.space.conftest import SPACE_DIR

sys.path.insert(0, str(SPACE_DIR))

import space_inputs  # noqa: E402
import space_presets  # noqa: E402
from dczoo.errors import DczooInputError  # noqa: E402


def test_limits_on_size_and_zmws(example):
    subreads, ccs = example / "subreads_to_ccs.bam", example / "ccs.bam"
    checked = space_inputs.check_inputs(subreads, ccs)
    assert checked.n_zmws == 20
    with pytest.raises(DczooInputError, match=r"more than 5 ZMWs, the limit"):
        space_inputs.check_inputs(subreads, ccs, max_zmws=5)
    with pytest.raises(DczooInputError, match=r"subreads_to_ccs.bam is too large .*limit is 0.1 MB"):
        space_inputs.check_inputs(subreads, ccs, max_mb=0.1)


@pytest.mark.parametrize("content, expected", [
    (b"hello\n", "looks like a text file"),
    (b"@HD\tVN:1.6\n", "looks like SAM text"),
    (b"@read1\nACGT\n+\n!!!!\n", "FASTQ/FASTA"),
    (gzip.compress(b"plain text\n"), "holds no BAM data"),
    (b"", "empty"),
])
def test_not_a_bam_messages(tmp_path, example, content, expected):
    path = tmp_path / "upload.bam"
    path.write_bytes(content)
    with pytest.raises(DczooInputError, match=expected) as error:
        space_inputs.check_inputs(path, example / "ccs.bam")
    assert str(tmp_path) not in str(error.value)


def test_presets_from_env():
    assert space_presets.presets_from_env("") == {}
    assert space_presets.presets_from_env("a=/x, b=/y") == {"a": "/x", "b": "/y"}
    with pytest.raises(ValueError, match="name=folder"):
        space_presets.presets_from_env("justaname")


def test_resolve_falls_back_or_explains(test_presets):
    from dczoo.models import BUILTIN_PRESETS

    catalog = space_presets.PresetCatalog(test_presets)
    assert catalog.names[: len(BUILTIN_PRESETS)] == list(BUILTIN_PRESETS)
    assert catalog.resolve("tiny") == ("tiny", None)
    name, note = catalog.resolve("unfinished")
    assert catalog.has_weights(name) and name != "unfinished" and "unfinished has no trained weights" in note
    without = space_presets.PresetCatalog({"unfinished": test_presets["unfinished"]})
    if not any(without.has_weights(n) for n in without.names):
        with pytest.raises(space_presets.NoWeightsError, match="neither has any other preset"):
            without.resolve("student_4layer")
    with pytest.raises(DczooInputError, match="unknown preset"):
        catalog.resolve("nope")
    with pytest.raises(ValueError, match="reuse built-in names"):
        space_presets.PresetCatalog({"student_4layer": test_presets["tiny"]})


def test_truth_from_gzipped_fasta_and_truth_bam(example, tmp_path):
    checked = space_inputs.check_inputs(example / "subreads_to_ccs.bam", example / "ccs.bam")
    from_bam = space_inputs.load_truth_file(example / "truth_to_ccs.bam", checked.draft_names)
    assert not from_bam.either_strand and from_bam.records == 20 and len(from_bam.sequences) == 20
    first = checked.draft_names[0]
    assert set(from_bam.sequences) == {space_inputs.zmw_key(name) for name in checked.draft_names}
    fasta = tmp_path / "truth.fa.gz"
    key = space_inputs.zmw_key(first)
    fasta.write_bytes(gzip.compress(f">{key}/truth\n{from_bam.sequences[key]}\n>other/1\nACGT\n".encode()))
    from_fasta = space_inputs.load_truth_file(fasta, checked.draft_names)
    assert from_fasta.either_strand and from_fasta.records == 2 and from_fasta.name == "truth.fa.gz"
    assert from_fasta.sequences == {key: from_bam.sequences[key]}


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b">m64001_000020_000000/4194304\n", "no sequence in the FASTA file"),
    (b">chr1\nACGT\n", "none of its 1 sequences belongs to a ZMW of ccs.bam"),
    (b"@m64001_000020_000000/4194304\nACGT\n+\n!!!!\n", "it looks like FASTQ"),
])
def test_bad_truth_messages(example, tmp_path, content, expected):
    checked = space_inputs.check_inputs(example / "subreads_to_ccs.bam", example / "ccs.bam")
    path = tmp_path / "truth.fasta"
    path.write_bytes(content)
    with pytest.raises(DczooInputError, match=expected) as error:
        space_inputs.load_truth_file(path, checked.draft_names)
    assert str(tmp_path) not in str(error.value) and str(error.value).startswith("truth.fasta")

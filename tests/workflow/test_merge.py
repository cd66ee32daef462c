"""`dczoo merge`: shards of `dczoo correct --chunk i/N` -> the bytes of a single run, and every refusal."""

import gzip
import hashlib
import json
import shutil

import pytest

from dczoo.cli.main import main
from dczoo.errors import EXIT_BAD_INPUT
from dczoo.inference.merge import merge_shards
from dczoo.inference.read_filter import iter_reads
from dczoo.inference.run_stats import chunk_summary, read_ordinals

from tests.models.tiny import tiny_corrector
from tests.workflow.conftest import CHUNKS, assert_same_bam, correct


def _merge(output, shards, *extra):
    return main(["merge", "--output", str(output), "--quiet", *[str(shard) for shard in shards], *extra])


def _copy_shard(shard, folder, name=None):
    """Copies a shard and its summary into `folder`; returns the copy's path."""
    copy = folder / (name or shard.name)
    shutil.copy(shard, copy)
    shutil.copy(f"{shard}.summary.json", f"{copy}.summary.json")
    return copy


def _fingerprints(paths):
    """Bytes and modification time of each file and its summary."""
    found = {}
    for path in paths:
        for each in (path, path.parent / f"{path.name}.summary.json"):
            found[each] = (hashlib.sha256(each.read_bytes()).hexdigest(), each.stat().st_mtime_ns)
    return found


def test_chunk_positions_round_trip():
    entry = chunk_summary((2, 5), [2, 7, 12, 22, 27, 42])
    assert entry == {"index": 2, "count": 5, "read_positions": "0-2,4-5,8"}
    assert read_ordinals(entry) == [2, 7, 12, 22, 27, 42]
    assert read_ordinals(chunk_summary((0, 1), [])) == []
    with pytest.raises(ValueError):
        read_ordinals({"index": 0, "count": 2, "read_positions": "4,3"})


def test_shards_leave_gaps(runs):
    """The fixture's --min-length drops reads in every chunk, so order needs the ZMW ordinals."""
    single, shards = runs["fastq"]
    summaries = [json.loads((shard.parent / f"{shard.name}.summary.json").read_text()) for shard in shards]
    assert all(0 < s["reads_written"] < s["zmws"] for s in summaries)
    assert [s["chunk"]["index"] for s in summaries] == [0, 1, 2]
    names = [[name for name, *_ in iter_reads(str(shard))] for shard in shards]
    round_robin = [shard[k] for k in range(max(map(len, names))) for shard in names if k < len(shard)]
    assert round_robin != [name for name, *_ in iter_reads(str(single))]  # taking turns is not the order


def test_merged_fastq_is_the_single_run(runs, tmp_path):
    single, shards = runs["fastq"]
    before = _fingerprints(shards)
    output = tmp_path / "merged.fastq"
    assert _merge(output, reversed(shards)) == 0
    assert output.read_bytes() == single.read_bytes()
    assert _fingerprints(shards) == before  # shards only read
    merged = json.loads((tmp_path / "merged.fastq.summary.json").read_text())
    alone = json.loads((single.parent / "single.fastq.summary.json").read_text())
    for key in ("zmws", "zmws_dropped", "outcomes", "reads_written", "preprocessing_counters", "model",
                "input_fingerprints"):
        assert merged[key] == alone[key], key
    padding = "padding_computed"  # each shard pads its own last batch
    assert {k: v for k, v in merged["windows"].items() if k != padding} == \
        {k: v for k, v in alone["windows"].items() if k != padding}
    assert merged["settings"] == dict(alone["settings"], chunk=None)
    assert [shard["chunk"] for shard in merged["shards"]] == ["0/3", "1/3", "2/3"]
    assert sum(shard["reads_written"] for shard in merged["shards"]) == merged["reads_written"]
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_merged_fastq_gz_has_the_single_runs_content(runs, tmp_path):
    """The gzip header holds no file name and no time: the bytes are identical."""
    single, shards = runs["fastq.gz"]
    output = tmp_path / "merged.fastq.gz"
    assert _merge(output, shards) == 0
    assert output.read_bytes() == single.read_bytes()
    plain = tmp_path / "merged.fastq"  # gzipped shards may also give a plain FASTQ
    assert _merge(plain, shards) == 0
    assert plain.read_bytes() == gzip.decompress(single.read_bytes())


def test_merged_bam_is_the_single_run_but_the_command(runs, tmp_path):
    single, shards = runs["bam"]
    output = tmp_path / "merged.bam"
    summary = merge_shards(shards, output, command_line="dczoo merge ...")
    assert summary["exit_status"] == 0 and summary["reads_written"] > 0
    merged_header = assert_same_bam(output, single)  # every record byte for byte, kinetics tags included
    assert merged_header[-1].startswith("@PG\tID:dczoo\t") and merged_header[-1].endswith("CL:dczoo merge ...")
    names = [name for name, *_ in iter_reads(str(output))]
    assert names == [name for name, *_ in iter_reads(str(single))]


def test_a_shard_without_reads(example, tiny_preset, runs, tmp_path):
    """A chunk whose reads all fail the filters (exit 1, no reads file, or the workflow's empty
    placeholder) still counts; the merge equals the single run with the same filter."""
    lengths = {}
    for index, shard in enumerate(runs["fastq"][1]):
        lengths[index] = max(len(sequence) for _, sequence, _, _ in iter_reads(str(shard)))
    assert lengths[2] < max(lengths.values())  # else no filter empties only chunk 2
    options = ("--min-length", str(lengths[2] + 1))
    single = tmp_path / "single.fastq"
    assert correct(example, single, tiny_preset, *options) == 0
    shards = [tmp_path / f"shard{index}.fastq" for index in range(CHUNKS)]
    statuses = [correct(example, shard, tiny_preset, *options, "--chunk", f"{i}/{CHUNKS}")
                for i, shard in enumerate(shards)]
    assert statuses[2] == 1 and not shards[2].exists()
    assert _merge(tmp_path / "merged.fastq", shards) == 0
    assert (tmp_path / "merged.fastq").read_bytes() == single.read_bytes()
    shards[2].write_bytes(b"")  # the workflow's placeholder
    assert _merge(tmp_path / "merged2.fastq", shards) == 0
    assert (tmp_path / "merged2.fastq").read_bytes() == single.read_bytes()
    shards[2].write_bytes(b"@x\nA\n+\nI\n")  # but not a file with data
    assert _merge(tmp_path / "merged3.fastq", shards) == EXIT_BAD_INPUT
    assert not (tmp_path / "merged3.fastq").exists()


def test_no_read_in_any_shard_writes_no_output(example, tiny_preset, tmp_path):
    shards = [tmp_path / f"shard{index}.fastq" for index in range(2)]
    for index, shard in enumerate(shards):
        assert correct(example, shard, tiny_preset, "--min-length", "1000000", "--chunk", f"{index}/2") == 1
    output = tmp_path / "merged.fastq"
    assert _merge(output, shards) == 1
    assert not output.exists()
    summary = json.loads((tmp_path / "merged.fastq.summary.json").read_text())
    assert summary["exit_status"] == 1 and summary["zmws"] == 20 and summary["reads_written"] == 0


@pytest.fixture()
def refuse(tmp_path, capsys):
    """Runs a merge that must be refused: exit 2, one error line naming `words`, no output."""

    def check(shards, words, output_name="merged.fastq"):
        output = tmp_path / output_name
        output.write_text("earlier\n")  # an earlier output stays as it was
        capsys.readouterr()
        assert _merge(output, shards) == EXIT_BAD_INPUT
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and error.startswith("dczoo merge: error: "), error
        assert words in error, error
        assert output.read_text() == "earlier\n"
        assert not (tmp_path / f"{output_name}.summary.json").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        return error

    return check


def test_refuses_a_missing_shard(runs, refuse):
    refuse(runs["fastq"][1][:2], "missing shard(s): chunk 2/3")


def test_refuses_a_duplicated_shard(runs, refuse, tmp_path):
    shards = runs["fastq"][1]
    copy = _copy_shard(shards[1], tmp_path / "..", f"{tmp_path.name}_copy.fastq")
    refuse([*shards, copy], "chunk 1/3 is given twice")


def test_refuses_mixed_formats(runs, refuse):
    refuse([*runs["fastq"][1][:2], runs["bam"][1][2]], "shards of mixed formats")
    refuse([*runs["fastq"][1][:2], runs["fastq.gz"][1][2]], "shards of mixed formats")


def test_refuses_an_output_of_another_format(runs, refuse):
    refuse(runs["bam"][1], "fastq output from bam shards")


def test_refuses_other_settings(example, tiny_preset, min_length, runs, refuse, tmp_path):
    other = tmp_path / "other" / "shard2.fastq"
    other.parent.mkdir()
    assert correct(example, other, tiny_preset, "--min-length", str(min_length), "--max-base-quality", "60",
                   "--chunk", f"2/{CHUNKS}") == 0
    error = refuse([*runs["fastq"][1][:2], other], "other settings")
    assert "settings.max_base_quality: 93 vs 60" in error


def test_refuses_another_model(example, tiny_preset, min_length, runs, refuse, tmp_path):
    preset = tmp_path / "another_preset"
    tiny_corrector(seed=99, num_layers=1).save_to_preset(preset)
    other = tmp_path / "other" / "shard2.fastq"
    other.parent.mkdir()
    assert correct(example, other, preset, "--min-length", str(min_length), "--chunk", f"2/{CHUNKS}") == 0
    refuse([*runs["fastq"][1][:2], other], "another model")


def test_refuses_another_input(shared_dir, tiny_preset, min_length, runs, refuse, tmp_path):
    human_1m = shared_dir / "data" / "human_1m"
    other = tmp_path / "other" / "shard2.fastq"
    other.parent.mkdir()
    status = correct((human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam"), other, tiny_preset,
                     "--min-length", str(min_length), "--chunk", f"2/{CHUNKS}")
    assert status in (0, 1)
    refuse([*runs["fastq"][1][:2], other], "another input")


def test_a_copy_of_the_inputs_is_the_same_input(example, tiny_preset, min_length, runs, tmp_path):
    """Shards made on another machine read the inputs at another path: same bytes, same input."""
    copies = tmp_path / "copies"
    copies.mkdir()
    inputs = [shutil.copy(path, copies / path.name) for path in example]
    other = tmp_path / "shard2.fastq"
    assert correct(inputs, other, tiny_preset, "--min-length", str(min_length), "--chunk", f"2/{CHUNKS}") == 0
    single, shards = runs["fastq"]
    assert _merge(tmp_path / "merged.fastq", [*shards[:2], other]) == 0
    assert (tmp_path / "merged.fastq").read_bytes() == single.read_bytes()


def test_refuses_different_chunk_counts(example, tiny_preset, min_length, runs, refuse, tmp_path):
    other = tmp_path / "other" / "half.fastq"
    other.parent.mkdir()
    assert correct(example, other, tiny_preset, "--min-length", str(min_length), "--chunk", "1/2") == 0
    refuse([*runs["fastq"][1], other], "shards of different --chunk counts")


def test_refuses_a_partial_shard(runs, refuse, tmp_path):
    shards = runs["fastq"][1]
    truncated = _copy_shard(shards[2], tmp_path / "..", f"{tmp_path.name}_partial.fastq")
    lines = truncated.read_text().splitlines(keepends=True)
    truncated.write_text("".join(lines[:-4]))  # its last read lost
    refuse([*shards[:2], truncated], "but its summary lists")


def test_refuses_a_truncated_bam_shard(runs, refuse, tmp_path):
    shards = runs["bam"][1]
    truncated = _copy_shard(shards[0], tmp_path / "..", f"{tmp_path.name}_cut.bam")
    data = truncated.read_bytes()
    truncated.write_bytes(data[:len(data) // 2])
    refuse([truncated, *shards[1:]], "truncated", output_name="merged.bam")


def test_refuses_a_shard_without_summary(runs, refuse, tmp_path):
    shards = runs["fastq"][1]
    lone = tmp_path / ".." / f"{tmp_path.name}_lone.fastq"
    shutil.copy(shards[0], lone)
    refuse([lone, *shards[1:]], "does not exist; merge needs the summary JSON")


def test_refuses_an_unchunked_run(runs, refuse):
    single, shards = runs["fastq"]
    refuse([single], "records no chunk")


def test_refuses_an_output_that_is_a_shard(runs, capsys):
    shards = runs["fastq"][1]
    before = shards[0].read_bytes()
    assert _merge(shards[0], shards) == EXIT_BAD_INPUT
    assert "is the same file as shard" in capsys.readouterr().err
    assert shards[0].read_bytes() == before


def test_human_1m_merged_bam_is_the_single_run(shared_dir, tiny_preset, tmp_path):
    """DeepConsensus's human_1m test set (10 real ZMWs) with kinetics: 3 BAM shards merge to the single run."""
    folder = shared_dir / "data" / "human_1m"
    inputs = folder / "subreads_to_ccs.bam", folder / "ccs.bam"
    single = tmp_path / "single.bam"
    assert correct(inputs, single, tiny_preset, "--kinetics") == 0
    shards = [tmp_path / f"shard{index}.bam" for index in range(CHUNKS)]
    for index, shard in enumerate(shards):
        assert correct(inputs, shard, tiny_preset, "--kinetics", "--chunk", f"{index}/{CHUNKS}") == 0
    assert _merge(tmp_path / "merged.bam", shards) == 0
    assert_same_bam(tmp_path / "merged.bam", single)
    assert len([name for name, *_ in iter_reads(str(single))]) == 10

"""Fixtures of the workflow tests: single runs and shards of the bundled example.

Every run corrects the bundled example (20 ZMWs, the `example` fixture of tests/conftest.py) with
a tiny model (`tiny_preset`), so a run takes seconds on any backend. `--min-length` is set to the
median length of the unfiltered reads, so about half the ZMWs have no read, interleaved across the
chunks: merging must put the reads back by their ZMW.
"""

import gzip
import statistics

import pytest

from dczoo.cli.main import main
from dczoo.inference.read_filter import iter_reads

# The real reads of the workflow test on human_1m.
from tests.inference.conftest import human_1m  # noqa: F401

CHUNKS = 3


def correct(inputs, output, preset, *extra):
    """Runs `dczoo correct` in this process; returns its exit status."""
    return main([
        "correct", "--subreads-to-ccs", str(inputs[0]), "--ccs-bam", str(inputs[1]),
        "--output", str(output), "--model", str(preset), "--min-quality", "0", "--cpus", "0",
        "--quiet", *extra,
    ])


@pytest.fixture(scope="session")
def min_length(example, tiny_preset, tmp_path_factory):
    """`--min-length` that keeps about half of the example's reads."""
    output = tmp_path_factory.mktemp("lengths") / "all.fastq"
    assert correct(example, output, tiny_preset) == 0
    lengths = [len(sequence) for _, sequence, _, _ in iter_reads(str(output))]
    assert len(lengths) == 20
    return int(statistics.median(lengths)) + 1


@pytest.fixture(scope="session")
def runs(example, tiny_preset, min_length, tmp_path_factory):
    """Single runs and their 3 shards per format: {"fastq"|"fastq.gz"|"bam": (single, [shards])}."""
    made = {}
    for kind, extra in (("fastq", ()), ("fastq.gz", ()), ("bam", ("--kinetics",))):
        folder = tmp_path_factory.mktemp(kind.replace(".", "_"))
        options = ("--min-length", str(min_length), *extra)
        single = folder / f"single.{kind}"
        assert correct(example, single, tiny_preset, *options) == 0
        shards = []
        for index in range(CHUNKS):
            shard = folder / f"shard{index}.{kind}"
            assert correct(example, shard, tiny_preset, *options, "--chunk", f"{index}/{CHUNKS}") == 0
            shards.append(shard)
        made[kind] = single, shards
    return made


def bam_parts(path):
    """A BAM's uncompressed bytes split into (header text lines, everything after the header)."""
    data = gzip.decompress(path.read_bytes())  # BGZF is multi-member gzip
    assert data[:4] == b"BAM\1"
    length = int.from_bytes(data[4:8], "little")
    text = data[8:8 + length].decode()
    return text.rstrip("\0").splitlines(), data[8 + length:]


def without_command(line):
    """A @PG line without its CL: field."""
    return "\t".join(field for field in line.split("\t") if not field.startswith("CL:"))


def assert_same_bam(merged, single):
    """The merged BAM has the single run's records byte for byte, and its header but the @PG command."""
    merged_header, merged_records = bam_parts(merged)
    single_header, single_records = bam_parts(single)
    assert merged_records == single_records
    assert merged_header[:-1] == single_header[:-1]
    assert without_command(merged_header[-1]) == without_command(single_header[-1])
    return merged_header

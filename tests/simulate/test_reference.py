"""Reference loading, random genomes and the per-split contigs."""

import numpy as np
import pytest

from dczoo.errors import DczooInputError
from dczoo.simulate.reference import make_contigs, parse_split_of, random_genome, read_fasta
from dczoo.simulate.subread_errors import run_lengths


def test_contigs_cut_each_record_into_split_blocks():
    contigs = make_contigs({"chr20": 200_000, "chrM": 1000})
    by_name = {c.name: c for c in contigs}
    assert [c.split for c in contigs if c.record == "chr20"] == ["train", "eval", "test"]
    assert by_name["chr20_0_160000"].chrom == "chr1"
    assert by_name["chr20_160000_180000"].chrom == "chr21"
    assert by_name["chr20_180000_200000"].offset == 180_000
    assert sum(c.length for c in contigs if c.record == "chr20") == 200_000


def test_split_of_gives_whole_records_and_custom_chromosomes():
    contigs = make_contigs({"a": 100, "b": 50}, split_of={"b": "test"}, split_chroms={"test": "chr20"})
    b = [c for c in contigs if c.record == "b"]
    assert len(b) == 1 and b[0].name == "b" and b[0].split == "test" and b[0].chrom == "chr20"


def test_bad_split_options():
    with pytest.raises(DczooInputError, match="RECORD=SPLIT"):
        parse_split_of(["chr1=validation"])
    with pytest.raises(DczooInputError, match="not in the reference"):
        make_contigs({"a": 100}, split_of={"z": "train"})
    with pytest.raises(DczooInputError, match="split-fractions"):
        make_contigs({"a": 100}, split_fractions=(0, 0, 0))


def test_random_genome_has_human_like_homopolymers():
    seq = random_genome(200_000, np.random.default_rng(0))
    assert seq.size == 200_000 and set(np.unique(seq).tobytes()) <= set(b"ACGT")
    gc = np.isin(seq, np.frombuffer(b"GC", np.uint8)).mean()
    assert 0.36 < gc < 0.46
    rl = run_lengths(seq)
    # i.i.d. bases put ~1.6% of bases in runs >= 5; human DNA has several times more
    assert (rl >= 5).mean() > 0.03


def test_read_fasta_uppercases_and_rejects_missing(tmp_path, shared_dir):
    fasta = shared_dir / "data" / "chm13_chr20" / "CHM13_chr20_0_200000.fa"
    records = read_fasta(str(fasta))
    assert list(records) == ["chr20"] and records["chr20"].size == 200_000
    assert not np.isin(records["chr20"], np.frombuffer(b"acgt", np.uint8)).any()
    with pytest.raises(DczooInputError, match="not found"):
        read_fasta(str(tmp_path / "missing.fa"))
    empty = tmp_path / "empty.fa"
    empty.write_text(">x\n\n")
    with pytest.raises(DczooInputError, match="no sequence"):
        read_fasta(str(empty))

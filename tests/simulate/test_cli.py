"""`dczoo simulate` on the command line."""

import pysam

from dczoo.cli.main import main


def test_cli_simulates_and_compares(tmp_path, real_dir, capsys):
    out = tmp_path / "sim"
    status = main(["simulate", "--random-genome", "30000", "--zmws", "3", "--seed", "5", "--out", str(out),
                   "--insert-mean", "600", "--insert-sd", "50", "--passes", "3", "--quiet",
                   "--split-chrom", "eval=chr22", "--compare-to", str(real_dir)])
    assert status == 0
    text = capsys.readouterr().out
    assert "3 ZMWs" in text and "| subread identity to draft |" in text and "judged statistics" in text
    with pysam.AlignmentFile(str(out / "ccs.bam"), check_sq=False) as bam:
        assert [r.get_tag("np") for r in bam.fetch(until_eof=True)] == [3, 3, 3]
    assert "chr22" in (out / "truth_split.tsv").read_text()


def test_cli_measure_only(tmp_path, tiny_sim, real_dir, capsys):
    out, _ = tiny_sim
    assert main(["simulate", "--compare-to", str(real_dir), "--measure", str(out)]) == 0
    assert "| mean ip at inserted bases |" in capsys.readouterr().out


def test_cli_errors_exit_2(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "x"), "--zmws", "2"]) == 2
    assert "--reference FASTA or --random-genome" in capsys.readouterr().err
    assert main(["simulate", "--random-genome", "20000", "--passes", "0", "--out", str(tmp_path / "y")]) == 2
    assert "at least 1 full pass" in capsys.readouterr().err
    assert main(["simulate", "--reference", str(tmp_path / "none.fa"), "--out", str(tmp_path / "z")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["simulate", "--random-genome", "20000", "--split-of", "random=dev",
                 "--out", str(tmp_path / "w")]) == 2
    assert "RECORD=SPLIT" in capsys.readouterr().err

"""Realism statistics: they reproduce the spec's numbers on the real data, and the table logic."""

import math

import pytest

from dczoo.simulate.realism import compare_directories, compare_statistics, format_table, within_tolerance
from dczoo.simulate.realism_stats import collect_statistics, homopolymer_run_lengths, summarize


@pytest.fixture(scope="module")
def real_stats(real_dir):
    return summarize(collect_statistics(str(real_dir)))


def test_real_statistics_reproduce_the_measured_targets(real_stats):
    # numbers measured independently on human_1m (../shared/spec/simulator_targets.md)
    assert real_stats["subread identity to draft"] == pytest.approx(0.8847, abs=5e-4)
    assert real_stats["mismatch column fraction"] == pytest.approx(0.0251, abs=5e-4)
    assert real_stats["insertion column fraction"] == pytest.approx(0.0583, abs=5e-4)
    assert real_stats["deletion column fraction"] == pytest.approx(0.0319, abs=5e-4)
    assert real_stats["insertion events per kb"] == pytest.approx(39.3, abs=0.05)
    assert real_stats["deletion events per kb"] == pytest.approx(28.3, abs=0.05)
    assert real_stats["insertions > 5 bp per kb"] == pytest.approx(0.73, abs=0.005)
    assert real_stats["insertions extending a homopolymer"] == pytest.approx(0.49, abs=0.01)
    assert real_stats["mean pw at inserted bases"] == pytest.approx(12.6, abs=0.05)
    assert real_stats["mean ip at inserted bases"] == pytest.approx(22.5, abs=0.05)
    assert real_stats["subreads per ZMW, median"] == 9 and real_stats["subreads per ZMW, max"] == 19
    assert real_stats["empirical Q of draft bases with QV 20-29"] == pytest.approx(23.0, abs=0.05)
    assert real_stats["empirical Q of draft bases with QV >= 60"] == pytest.approx(35.3, abs=0.05)


def test_homopolymer_run_lengths():
    assert homopolymer_run_lengths("AACGGG").tolist() == [2, 2, 1, 3, 3, 3]
    assert homopolymer_run_lengths("").tolist() == []


def test_tolerances():
    assert within_tolerance(10.0, 11.9, ("rel", 0.2)) and not within_tolerance(10.0, 12.1, ("rel", 0.2))
    assert within_tolerance(0.001, 0.009, ("rel_or_abs", 0.25, 0.01))
    assert within_tolerance(0.88, 0.86, ("err_rel", 0.2)) and not within_tolerance(0.88, 0.85, ("err_rel", 0.2))
    # 0.999 is Q30, 0.998 is Q27
    assert within_tolerance(0.999, 0.998, ("phred", 3.1)) and not within_tolerance(0.999, 0.996, ("phred", 3.0))
    assert within_tolerance(1.0, 5.0, ("info",)) is None
    assert within_tolerance(math.nan, 1.0, ("rel", 0.2)) is None


def test_table_marks_rows_outside_tolerance(real_stats):
    sim = dict(real_stats)
    sim["insertion events per kb"] *= 2
    rows = compare_statistics(real_stats, sim)
    bad = [r["statistic"] for r in rows if r["within"] is False]
    assert bad == ["insertion events per kb"]
    table = format_table(rows)
    assert "| insertion events per kb | 39.29 | 78.57 | ±20% | **no** |" in table


def test_simulation_meets_most_targets(tiny_sim, real_dir):
    # even a tiny simulation (8 short ZMWs) is close to the real subread statistics
    out, _ = tiny_sim
    rows = {r["statistic"]: r for r in compare_directories(str(real_dir), str(out))}
    for key in ("subread identity to draft", "insertion events per kb", "deletion events per kb",
                "mean pw at inserted bases", "mean pw at matched bases"):
        assert rows[key]["within"], rows[key]
    assert rows["mean pw at inserted bases"]["simulated"] < rows["mean pw at matched bases"]["simulated"]
    assert rows["insertions > 5 bp per kb"]["simulated"] > 0.2

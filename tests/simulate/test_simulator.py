"""End-to-end simulation: files, formats and conventions of the real data, determinism, errors."""

import dataclasses
import json
import os

import numpy as np
import pysam
import pytest

from dczoo.errors import DczooInputError
from dczoo.simulate import simulate
from dczoo.simulate.bam_writer import OUTPUT_FILES, read_group_id
from dczoo.simulate.zmw import simulate_zmw

from tests.simulate.conftest import tiny_config


def _records(path):
    with pysam.AlignmentFile(str(path), check_sq=False) as bam:
        return list(bam.fetch(until_eof=True))


def test_all_outputs_are_written(tiny_sim):
    out, summary = tiny_sim
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    assert summary["zmws"] == 8
    assert not [f for f in os.listdir(out) if f.startswith(".")]  # no temporary files left


def test_ccs_bam_matches_the_real_layout(tiny_sim, real_dir):
    out, _ = tiny_sim
    real = _records(real_dir / "ccs.bam")[0]
    with pysam.AlignmentFile(str(out / "ccs.bam"), check_sq=False) as bam:
        header = bam.header.to_dict()
        recs = list(bam.fetch(until_eof=True))
    assert header["HD"]["SO"] == "unknown" and not header.get("SQ")
    assert header["RG"][0]["DS"].startswith("READTYPE=CCS;")
    for rec in recs:
        movie, zmw, suffix = rec.query_name.split("/")
        assert suffix == "ccs" and int(zmw) == rec.get_tag("zm")
        assert rec.flag == 4 and rec.mapping_quality == 255
        types = {t: ty for t, _, ty in rec.get_tags(with_value_type=True)}
        assert types["np"] == "C" and types["rq"] == "f" and types["zm"] == "I" and types["RG"] == "Z"
        assert len(rec.get_tag("sn")) == 4
        if rec.get_tag("np") >= 3:
            quals = np.asarray(rec.query_qualities, dtype=float)
            assert rec.get_tag("rq") == pytest.approx(1 - np.mean(10 ** (-quals / 10)), abs=1e-5)
            assert rec.has_tag("ec") and rec.get_tag("ec") > 2
        else:  # ccs --all keeps one subread: rq -1, qualities 10, no ec (as in the real file)
            assert rec.get_tag("rq") == -1.0 and set(rec.query_qualities) == {10}
            assert not rec.has_tag("ec")
    real_tags = {t for t, _ in real.get_tags()} - {"ec"}
    assert real_tags <= {t for t, _ in recs[0].get_tags()}


def test_subreads_match_the_real_layout(tiny_sim, real_dir):
    out, _ = tiny_sim
    drafts = {r.query_name: r for r in _records(out / "ccs.bam")}
    with pysam.AlignmentFile(str(out / "subreads_to_ccs.bam"), check_sq=False) as bam:
        header = bam.header.to_dict()
        recs = list(bam.fetch(until_eof=True))
    with pysam.AlignmentFile(str(real_dir / "subreads_to_ccs.bam"), check_sq=False) as bam:
        real = next(bam.fetch(until_eof=True))
    ds = header["RG"][0]["DS"]
    assert "Ipd:CodecV1=ip" in ds and "PulseWidth:CodecV1=pw" in ds and ds.startswith("READTYPE=SUBREAD;")
    assert header["RG"][0]["ID"] == read_group_id(header["RG"][0]["PU"], "SUBREAD")
    assert [s["SN"] for s in header["SQ"]] == list(drafts)  # one @SQ per draft, ccs.bam order
    assert {t for t, _ in real.get_tags()} == {t for t, _ in recs[0].get_tags()}
    seen, order = set(), []
    for rec in recs:
        zmw = rec.get_tag("zm")
        if not order or order[-1] != zmw:
            assert zmw not in seen  # ZMWs are contiguous
            seen.add(zmw)
            order.append(zmw)
        movie, hole, coords = rec.query_name.split("/")
        qs, qe = (int(x) for x in coords.split("_"))
        assert (qs, qe) == (rec.get_tag("qs"), rec.get_tag("qe")) and qe - qs == rec.query_length
        assert rec.reference_name == f"{movie}/{hole}/ccs"
        assert rec.flag in (0, 16) and rec.query_qualities is None
        assert {op for op, _ in rec.cigartuples} <= {7, 8, 1, 2}
        assert len(rec.get_tag("pw")) == len(rec.get_tag("ip")) == rec.query_length
        assert rec.get_tag("np") == 1 and rec.get_tag("cx") in (0, 1, 2, 3)
        # = and X columns really are matches and mismatches of the draft
        draft = drafts[rec.reference_name].query_sequence
        q, r = 0, rec.reference_start
        for op, n in rec.cigartuples:
            if op in (7, 8):
                same = [rec.query_sequence[q + i] == draft[r + i] for i in range(n)]
                assert all(same) if op == 7 else not any(same)
            q += n if op in (7, 8, 1) else 0
            r += n if op in (7, 8, 2) else 0
        assert q == rec.query_length and r == rec.reference_end <= len(draft)
    assert order == [r.get_tag("zm") for r in drafts.values()]


def test_pw_is_stored_in_native_orientation(tiny_sim):
    # short pulses mark inserted bases: they line up with I columns only after
    # reversing the arrays of reverse-strand records, as the real files require
    out, _ = tiny_sim
    gap = {True: [], False: []}
    for rec in _records(out / "subreads_to_ccs.bam"):
        if not rec.is_reverse:
            continue
        pw = np.asarray(rec.get_tag("pw"), dtype=float)
        inserted = np.zeros(rec.query_length, dtype=bool)
        q = 0
        for op, n in rec.cigartuples:
            if op == 1:
                inserted[q:q + n] = True
            q += n if op in (7, 8, 1) else 0
        for flipped in (True, False):
            p = pw[::-1] if flipped else pw
            gap[flipped].append(p[~inserted].mean() - p[inserted].mean())
    assert np.mean(gap[True]) > 2.0 > abs(np.mean(gap[False]))


def test_truth_files_are_consistent(tiny_sim):
    out, _ = tiny_sim
    drafts = {r.query_name: r for r in _records(out / "ccs.bam")}
    info = json.loads((out / "simulation.json").read_text())
    contigs = {c["name"]: c for c in info["contigs"]}
    with pysam.AlignmentFile(str(out / "truth_to_ccs.bam")) as bam:  # indexed
        assert bam.header.to_dict()["HD"]["SO"] == "coordinate"
        for name in drafts:
            recs = list(bam.fetch(name))
            assert len(recs) == 1
            rec = recs[0]
            assert rec.query_name == name.replace("/ccs", "/truth") and rec.flag == 0
            assert rec.get_tag("qe") == rec.query_length and rec.get_tag("qs") == 0
    split_map = dict(line.split("\t") for line in (out / "truth_split.tsv").read_text().splitlines())
    for line in (out / "truth.bed").read_text().splitlines():
        contig, begin, end, name, _score, strand = line.split("\t")
        assert contig in split_map and contig in contigs and name in drafts
        assert int(end) - int(begin) > 0 and strand in "+-"
    assert set(split_map.values()) <= {"chr1", "chr21", "chr19"}


def test_truth_is_the_reference_interval(tmp_path, shared_dir):
    fasta = shared_dir / "data" / "chm13_chr20" / "CHM13_chr20_0_200000.fa"
    config = tiny_config(n_zmws=4, random_genome=None, reference=str(fasta))
    simulate(config, str(tmp_path), progress=False)
    ref = pysam.FastaFile(str(fasta)).fetch("chr20").upper()
    truths = {r.reference_name: r.query_sequence for r in _records(tmp_path / "truth_to_ccs.bam")}
    comp = str.maketrans("ACGT", "TGCA")
    for line in (tmp_path / "truth.bed").read_text().splitlines():
        contig, begin, end, name, _, strand = line.split("\t")
        record, offset, _ = contig.rsplit("_", 2)
        seq = ref[int(offset) + int(begin): int(offset) + int(end)]
        if strand == "-":
            seq = seq.translate(comp)[::-1]
        assert record == "chr20" and truths[name] == seq


def test_output_does_not_depend_on_cpus(tmp_path):
    config = tiny_config(n_zmws=5, seed=11)
    simulate(config, str(tmp_path / "a"), cpus=1, progress=False)
    simulate(config, str(tmp_path / "b"), cpus=2, progress=False)
    for name in ("ccs.bam", "subreads_to_ccs.bam", "truth_to_ccs.bam"):
        a = [r.to_string() for r in _records(tmp_path / "a" / name)]
        b = [r.to_string() for r in _records(tmp_path / "b" / name)]
        assert a == b and a
    for name in ("truth.bed", "truth_split.tsv", "simulation.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    other = tiny_config(n_zmws=5, seed=12)
    simulate(other, str(tmp_path / "c"), progress=False)
    assert [r.query_sequence for r in _records(tmp_path / "c" / "ccs.bam")] != \
        [r.query_sequence for r in _records(tmp_path / "a" / "ccs.bam")]


@pytest.mark.parametrize("overrides, message", [
    (dict(random_genome=None), "no genome"),
    (dict(random_genome=5000, reference="x.fa"), "either --reference or --random-genome"),
    (dict(random_genome=800), "shorter than the"),
    (dict(n_zmws=0), "at least 1 ZMW"),
])
def test_bad_parameters_raise_clear_errors(tmp_path, overrides, message):
    with pytest.raises(DczooInputError, match=message):
        simulate(tiny_config(**overrides), str(tmp_path / "out"), progress=False)
    assert not (tmp_path / "out" / "ccs.bam").exists()


def test_zero_passes_is_rejected(tmp_path):
    config = tiny_config()
    config.molecule = dataclasses.replace(config.molecule, fixed_passes=0)
    with pytest.raises(DczooInputError, match="at least 1 full pass"):
        simulate(config, str(tmp_path), progress=False)


def test_existing_outputs_need_force_and_failures_leave_nothing(tmp_path, monkeypatch):
    config = tiny_config(n_zmws=2)
    simulate(config, str(tmp_path), progress=False)
    before = (tmp_path / "ccs.bam").read_bytes()
    with pytest.raises(DczooInputError, match="--force"):
        simulate(config, str(tmp_path), progress=False)
    import dczoo.simulate.simulator as simulator_module

    def broken(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(simulator_module, "simulate_zmw", broken)
    with pytest.raises(RuntimeError):
        simulate(config, str(tmp_path), progress=False, force=True)
    assert (tmp_path / "ccs.bam").read_bytes() == before  # old output untouched
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]


def _die_at_second_zmw(index, *args):
    if index == 1:
        os._exit(9)  # as a worker killed for memory: no exception, no answer
    return simulate_zmw(index, *args)


def test_a_dead_worker_is_an_error_not_a_hang(tmp_path, monkeypatch):
    import dczoo.simulate.simulator as simulator_module
    from dczoo.errors import EXIT_WORKER_DIED, DczooWorkerError

    monkeypatch.setattr(simulator_module, "simulate_zmw", _die_at_second_zmw)
    with pytest.raises(DczooWorkerError, match="worker process died") as caught:
        simulate(tiny_config(n_zmws=4), str(tmp_path / "out"), cpus=2, progress=False)
    assert caught.value.exit_status == EXIT_WORKER_DIED
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")

"""Benchmark of the preprocessing (BAM -> windows), printed as a table.

Measures, after one warm-up run, the median wall time of several runs of:

* `iterate`: `dczoo.data.iter_zmw_windows` over all ZMWs, building every
  ZMW's float32 window tensor (what training or correction consumes);
* `shards`: packing and compressing windows in the workers and writing
  shards and the summary (`DatasetWriter`), i.e. `dczoo preprocess` without
  interpreter start-up;
* `command`: `python -m dczoo.cli.preprocess` (= `dczoo preprocess` without
  loading the other sub-commands) in a fresh process, including Python
  start-up and imports.

Each row also gives the CPU seconds used (this process and its children), a
measure that depends less on other load of the machine than wall time.

Inputs: the real human_1m (10 ZMWs) and a larger pair made by repeating its
records with new ZMW numbers (`--copies`, default 20 -> 200 ZMWs), in
inference and training mode, for 1 and 2 processes.

Usage:
    .venv/bin/python benchmarks/bench_preprocess.py [--copies 20] [--runs 5]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pysam

REPO = Path(__file__).resolve().parents[1]
HUMAN_1M = REPO / ".." / "shared" / "data" / "human_1m"
sys.path.insert(0, str(REPO))

from dczoo.data import (  # noqa: E402
    DatasetWriter,
    TruthInputs,
    iter_zmw_windows,
    pack_for_shards,
)

ZMW_STEP = 1000  # new ZMW number = original + copy * ZMW_STEP


def _rename(name, copy):
    movie, zmw, rest = name.split("/", 2)
    return f"{movie}/{int(zmw) + copy * ZMW_STEP}/{rest}"


def _header_text(bam, copies):
    """The header with every @SQ repeated per copy (first @HD kept only)."""
    lines, references, seen_hd = [], [], False
    for line in filter(None, str(bam.header).splitlines()):
        if line.startswith("@HD"):
            if seen_hd:
                continue
            seen_hd = True
        if line.startswith("@SQ"):
            references.append(line)
            continue
        lines.append(line)
    for copy in range(copies):
        for line in references:
            fields = [
                f"SN:{_rename(f[3:], copy)}" if f.startswith("SN:") else f
                for f in line.split("\t")
            ]
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def _copy_records(source, destination, copies):
    with pysam.AlignmentFile(str(source), "rb", check_sq=False) as bam:
        new_header = pysam.AlignmentHeader.from_text(_header_text(bam, copies))
        records = list(bam)
    with pysam.AlignmentFile(str(destination), "wb", header=new_header) as out:
        for copy in range(copies):
            for record in records:
                data = record.to_dict()
                data["name"] = _rename(record.query_name, copy)
                if not record.is_unmapped:
                    data["ref_name"] = _rename(record.reference_name, copy)
                new = pysam.AlignedSegment.from_dict(data, new_header)
                if new.has_tag("zm"):
                    new.set_tag("zm", record.get_tag("zm") + copy * ZMW_STEP, "i")
                out.write(new)


def make_large_input(folder, copies):
    """Writes a BAM pair (+ truth) with the human_1m ZMWs repeated `copies` times."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _copy_records(HUMAN_1M / "subreads_to_ccs.bam", folder / "subreads_to_ccs.bam", copies)
    _copy_records(HUMAN_1M / "ccs.bam", folder / "ccs.bam", copies)
    _copy_records(HUMAN_1M / "truth_to_ccs.bam", folder / "truth_to_ccs.bam", copies)
    pysam.index(str(folder / "truth_to_ccs.bam"))
    lines = (HUMAN_1M / "truth.bed").read_text().splitlines()
    with open(folder / "truth.bed", "w") as bed:
        for copy in range(copies):
            for line in lines:
                fields = line.split("\t")
                fields[3] = _rename(fields[3], copy)
                bed.write("\t".join(fields) + "\n")
    (folder / "truth_split.tsv").write_text((HUMAN_1M / "truth_split.tsv").read_text())
    return folder


def _truth(folder):
    return TruthInputs(folder / "truth_to_ccs.bam", folder / "truth.bed",
                       folder / "truth_split.tsv")


def _iterate(folder, cpus, training):
    zmws = windows = 0
    for zmw in iter_zmw_windows(folder / "subreads_to_ccs.bam", folder / "ccs.bam", cpus=cpus,
                                truth=_truth(folder) if training else None):
        zmw.windows  # noqa: B018 - build the float32 tensors as a consumer would
        zmws += 1
        windows += zmw.n_windows
    return zmws, windows


def _shards(folder, cpus, training, out):
    zmws = windows = 0
    with DatasetWriter(out, overwrite=True) as writer:
        for zmw in iter_zmw_windows(folder / "subreads_to_ccs.bam", folder / "ccs.bam",
                                    cpus=cpus, truth=_truth(folder) if training else None,
                                    transform=pack_for_shards):
            writer.add(zmw)
            zmws += 1
            windows += zmw.n_windows
        writer.finish()
    return zmws, windows


def _command(folder, cpus, training, out):
    args = [sys.executable, "-m", "dczoo.cli.preprocess",
            "--subreads-to-ccs", str(folder / "subreads_to_ccs.bam"),
            "--ccs-bam", str(folder / "ccs.bam"), "--out", str(out), "--cpus", str(cpus),
            "--overwrite", "--no-progress"]
    if training:
        args += ["--truth-to-ccs", str(folder / "truth_to_ccs.bam"),
                 "--truth-bed", str(folder / "truth.bed"),
                 "--truth-split", str(folder / "truth_split.tsv")]
    subprocess.run(args, check=True, capture_output=True, cwd=REPO)
    return None


def _cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median_time(function, runs):
    """Median wall and CPU seconds of `runs` calls after one warm-up call."""
    result = function()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds() - start_cpu)
    return (statistics.median(times), statistics.median(cpu)), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="repeats of human_1m for the large input")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per row (median)")
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-command", action="store_true", help="skip the fresh-process rows")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        large = make_large_input(tmp / "large", args.copies)
        inputs = [("human_1m", HUMAN_1M.resolve()), (f"human_1m x{args.copies}", large)]
        for label, folder in inputs:
            for training in (False, True):
                mode = "training" if training else "inference"
                for cpus in args.cpus:
                    seconds, (zmws, windows) = _median_time(
                        lambda: _iterate(folder, cpus, training), args.runs)
                    rows.append((label, mode, "iterate", cpus, *seconds, zmws, windows))
                    seconds, _ = _median_time(
                        lambda: _shards(folder, cpus, training, tmp / "out"), args.runs)
                    rows.append((label, mode, "shards", cpus, *seconds, zmws, windows))
                    if not args.no_command and label == "human_1m":
                        seconds, _ = _median_time(
                            lambda: _command(folder, cpus, training, tmp / "cmd"), args.runs)
                        rows.append((label, mode, "command", cpus, *seconds, zmws, windows))
        (import_s, _), _ = _median_time(
            lambda: subprocess.run([sys.executable, "-c", "import dczoo.data"], check=True,
                                   capture_output=True, cwd=REPO), args.runs)

    print(f"CPUs: {os.cpu_count()}; runs per row: {args.runs} (median, after 1 warm-up); "
          f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}")
    print(f"{'input':<16} {'mode':<10} {'measured':<8} {'cpus':>4} {'wall s':>8} "
          f"{'CPU s':>7} {'ZMWs':>5} {'windows':>7} {'ZMWs/s':>8} {'windows/s':>10}")
    for label, mode, what, cpus, seconds, cpu, zmws, windows in rows:
        print(f"{label:<16} {mode:<10} {what:<8} {cpus:>4} {seconds:>8.3f} {cpu:>7.2f} "
              f"{zmws:>5} {windows:>7} {zmws / seconds:>8.1f} {windows / seconds:>10.0f}")
    print(f"fresh `python -c 'import dczoo.data'`: {import_s:.3f} s wall "
          "(part of every `command` row)")
    print("load average after (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()

"""Throughput of `dczoo simulate`: ZMWs per second and CPU seconds per ZMW.

Simulates N ZMWs of 3 kb inserts (the defaults) from the chr20 FASTA in
../shared, measures wall time and CPU time (this process and its workers), and
extrapolates to the issue's target of 5,000 ZMWs on 2 cores. CPU time is the
fairer number on a shared machine: wall time grows with other load.

Usage:
    .venv/bin/python benchmarks/bench_simulate.py --zmws 300 --cpus 2
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dczoo.simulate import SimulationConfig, simulate  # noqa: E402

DEFAULT_FASTA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "chm13_chr20" / \
    "CHM13_chr20_0_200000.fa"


def _cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zmws", type=int, default=300)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference", default=str(DEFAULT_FASTA))
    parser.add_argument("--target-zmws", type=int, default=5000)
    args = parser.parse_args(argv)
    config = SimulationConfig(n_zmws=args.zmws, seed=args.seed, reference=args.reference)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as out:
        cpu0, t0 = _cpu_seconds(), time.perf_counter()
        summary = simulate(config, out, cpus=args.cpus, progress=False)
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    cpu_per_zmw = cpu / args.zmws
    result = {
        "zmws": args.zmws,
        "cpus": args.cpus,
        "insert_mean": config.molecule.insert_mean,
        "wall_s": round(wall, 2),
        "zmws_per_s": round(args.zmws / wall, 3),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_zmw": round(cpu_per_zmw, 4),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "extrapolated_wall_min_for_target_from_wall": round(args.target_zmws / (args.zmws / wall) / 60, 1),
        "extrapolated_min_for_target_on_2_free_cores_from_cpu": round(args.target_zmws * cpu_per_zmw / 2 / 60, 1),
    }
    assert summary["zmws"] == args.zmws
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

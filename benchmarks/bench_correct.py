"""Benchmark of `dczoo correct`: model windows/s and end-to-end ZMWs/s.

Runs every backend in its own process, one after the other, in one
invocation, so the numbers are side by side on the same machine and load:

* peak: a large float32 matmul (numpy, and the backend's own) in GFLOP/s;
* model: windows/s through `BatchedPredictor` for the converted reference
  teacher (6 layers) and student (4 layers), wall clock and per CPU-second,
  and the fraction of the matmul peak (1.85 / 1.24 GFLOP per window);
* end to end: `run_correction` on human_1m (and optionally a simulated set),
  ZMWs/s and model windows/s, first run (includes compilation) and a second
  run with the compiled model;
* precision levers (`--levers`): bfloat16 (both models) and int8 (student)
  end to end, with the fraction of output bases identical to float32 (edlib
  alignment of each read to its float32 counterpart) and the quality change.

Usage:
    python benchmarks/bench_correct.py                       # all backends
    python benchmarks/bench_correct.py --backends tensorflow --levers
    python benchmarks/bench_correct.py --levers --presets    # trained presets
    python benchmarks/bench_correct.py --simulated sim200/   # + a simulated set
    python benchmarks/bench_correct.py --json results.json

Models: the converted reference checkpoints (random weights), or with
`--presets` the trained teacher_6layer and student_4layer (the levers'
agreement is only meaningful on trained, confident models). The comparison
with the reference's `deepconsensus run` is bench_vs_reference.py.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from read_agreement import read_agreement

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "data" / "reference"
HUMAN_1M = SHARED / "data" / "human_1m"
GFLOP_PER_WINDOW = {"teacher": 1.85, "student": 1.24}
PRESETS = {"teacher": "teacher_6layer", "student": "student_4layer"}


def _matmul_gflops(backend_matmul=None, n=2048, repeats=5):
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    matmul = backend_matmul or (lambda x, y: x @ y)
    matmul(a, a)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, a)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def _backend_matmul():
    import keras

    ops = keras.ops
    return lambda x, y: ops.convert_to_numpy(ops.matmul(x, y))


def _model_speed(model, windows, batch_size, repeats):
    from dczoo.inference.batched_predictor import BatchedPredictor

    predictor = BatchedPredictor(model, batch_size)
    start = time.perf_counter()
    predictor.predict(windows[:batch_size])
    compile_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        predictor.predict(windows)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = repeats * windows.shape[0]
    return {"windows_per_s": n / wall, "windows_per_cpu_s": n / cpu, "first_call_s": compile_s}


def _e2e(model, subreads, ccs, precision="float32", batch_size=256):
    from dczoo.inference.pipeline import CorrectionOptions, run_correction

    options = CorrectionOptions(min_quality=0, batch_size=batch_size)
    cpu = time.process_time()
    reads = run_correction(subreads, ccs, model, None, options, precision=precision, collect=True)
    cpu = time.process_time() - cpu
    summary = reads.summary
    loop = summary["timings_s"]["correction_loop"]
    return reads, {
        "zmws": summary["zmws"],
        "model_windows": summary["windows"]["model"],
        "correction_loop_s": loop,
        "zmws_per_s": summary["throughput"]["zmws_per_s"],
        "model_windows_per_s": summary["throughput"]["model_windows_per_s"],
        "end_to_end_windows_per_s": summary["windows"]["model"] / loop,
        "main_process_cpu_s": cpu,
        "timings_s": summary["timings_s"],
    }


def _load(name, presets):
    """The converted reference checkpoint, or the trained preset, of `name`."""
    if presets:
        from dczoo.models import DeepConsensusCorrector

        return DeepConsensusCorrector.from_preset(PRESETS[name])
    from dczoo.models.convert import from_deepconsensus_checkpoint

    return from_deepconsensus_checkpoint(REFERENCE / "model" / name)


def worker(args):
    """Measures one backend (this process's KERAS_BACKEND); prints JSON."""
    import keras
    import numpy as np

    result = {
        "backend": keras.backend.backend(),
        "load_average_start": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "peak_gflops_numpy": _matmul_gflops(),
        "peak_gflops_backend": _matmul_gflops(_backend_matmul()),
    }
    with np.load(REFERENCE / "windows" / "inference.npz") as archive:
        windows = archive["subreads/encoded"][: args.model_windows, ..., 0]
    inputs = [("human_1m", HUMAN_1M / "subreads_to_ccs.bam", HUMAN_1M / "ccs.bam")]
    if args.simulated:
        folder = Path(args.simulated)
        inputs.append((folder.name, folder / "subreads_to_ccs.bam", folder / "ccs.bam"))
    for name in ("teacher", "student"):
        model = _load(name, args.presets)
        entry = result[name] = {"model": _model_speed(model, windows, args.batch_size, args.repeats)}
        peak = max(result["peak_gflops_numpy"], result["peak_gflops_backend"])
        entry["model"]["fraction_of_measured_peak"] = (
            entry["model"]["windows_per_s"] * GFLOP_PER_WINDOW[name] / peak
        )
        entry["model"]["fraction_of_480_gflops"] = (
            entry["model"]["windows_per_s"] * GFLOP_PER_WINDOW[name] / 480
        )
        fresh = _load(name, args.presets)
        float32_reads = {}
        for label, subreads, ccs in inputs:
            if label == "human_1m":
                _, entry[f"e2e_{label}_first_run"] = _e2e(
                    fresh, subreads, ccs, batch_size=args.batch_size
                )
            float32_reads[label], entry[f"e2e_{label}"] = _e2e(
                model, subreads, ccs, batch_size=args.batch_size
            )
        if args.levers:
            from dczoo.inference.model_loading import with_precision

            levers = ["bfloat16"] + (["int8"] if name == "student" else [])
            for precision in levers:
                lever_model = with_precision(model, precision)
                speed = _model_speed(lever_model, windows[: args.batch_size], args.batch_size, 1)
                reads, e2e = _e2e(lever_model, *inputs[0][1:], batch_size=args.batch_size)
                speed["e2e_zmws_per_s_incl_compile"] = e2e["zmws_per_s"]
                speed.update(read_agreement(float32_reads["human_1m"], reads))
                entry[f"lever_{precision}"] = speed
        print(f"[{result['backend']}] {name} done", file=sys.stderr, flush=True)
    result["load_average_end"] = os.getloadavg()
    print("RESULT " + json.dumps(result), flush=True)


def _table(results):
    simulated = [k[4:] for k in results[0]["teacher"] if k.startswith("e2e_") and "human_1m" not in k]
    sim_header = f" e2e ZMWs/s ({simulated[0]}) |" if simulated else ""
    lines = [
        "| backend | model | model windows/s | per CPU-s | % of measured peak | % of 480 GFLOP/s "
        "| e2e ZMWs/s (human_1m) | e2e model windows/s | e2e windows per CPU-s | first run ZMWs/s "
        "|" + sim_header,
        "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if simulated else ""),
    ]
    for r in results:
        for name in ("teacher", "student"):
            m, e, first = r[name]["model"], r[name]["e2e_human_1m"], r[name]["e2e_human_1m_first_run"]
            sim = f" {r[name]['e2e_' + simulated[0]]['zmws_per_s']:.2f} |" if simulated else ""
            lines.append(
                f"| {r['backend']} | {name} | {m['windows_per_s']:.1f} | {m['windows_per_cpu_s']:.1f} "
                f"| {100 * m['fraction_of_measured_peak']:.0f}% | {100 * m['fraction_of_480_gflops']:.0f}% "
                f"| {e['zmws_per_s']:.2f} | {e['end_to_end_windows_per_s']:.1f} "
                f"| {e['model_windows'] / e['main_process_cpu_s']:.1f} "
                f"| {first['zmws_per_s']:.2f} |"
                + sim
            )
    for r in results:
        for name in ("teacher", "student"):
            for key, value in r[name].items():
                if key.startswith("lever_"):
                    float32 = r[name]["model"]["windows_per_s"]
                    lines.append(
                        f"| {r['backend']} | {name} {key[6:]} | {value['windows_per_s']:.1f} "
                        f"({value['windows_per_s'] / float32:.2f}x float32) | identical bases "
                        f"{100 * value['identical_bases']:.3f}% | reads identical "
                        f"{value['reads_identical']}/10 | base quality change "
                        f"{value['mean_base_quality_change']:+.3f} (abs "
                        f"{value['mean_abs_base_quality_change']:.3f}) | read quality change "
                        f"{value['mean_read_quality_change']:+.3f} |"
                    )
    for r in results:
        ratio = r["teacher"]["model"]["windows_per_s"] / r["student"]["model"]["windows_per_s"]
        lines.append(
            f"\n{r['backend']}: student/teacher model speed {1 / ratio:.2f}x; matmul peak "
            f"numpy {r['peak_gflops_numpy']:.0f} / backend {r['peak_gflops_backend']:.0f} GFLOP/s; "
            f"load average {r['load_average_start'][0]:.1f} -> {r['load_average_end'][0]:.1f}"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--model-windows", type=int, default=512, help="windows timed per repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--simulated", help="folder with a simulated subreads_to_ccs.bam + ccs.bam")
    parser.add_argument("--levers", action="store_true", help="measure bfloat16 and int8 too")
    parser.add_argument("--presets", action="store_true",
                        help="the trained teacher_6layer and student_4layer presets instead of "
                             "the converted reference checkpoints (random weights)")
    parser.add_argument("--json", help="write all results to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    results = []
    for backend in args.backends:
        command = [sys.executable, __file__, "--worker", "--batch-size", str(args.batch_size),
                   "--model-windows", str(args.model_windows), "--repeats", str(args.repeats)]
        if args.simulated:
            command += ["--simulated", args.simulated]
        if args.levers:
            command.append("--levers")
        if args.presets:
            command.append("--presets")
        environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        print(f"=== {backend}", file=sys.stderr, flush=True)
        done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=REPO)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{backend} failed")
        results.append(json.loads(lines[-1][len("RESULT "):]))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    print(_table(results))


if __name__ == "__main__":
    main()

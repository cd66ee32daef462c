"""Benchmark of the `onnxruntime` engine against the Keras TensorFlow engine.

One process (KERAS_BACKEND=tensorflow), one machine state, side by side:

* models: the bundled `teacher_6layer` and a 4-layer student made from it
  (`student_from_teacher(teacher, 4, init="top", copy_rezero_alphas=True,
  copy_final_norm=True)`; a trained student_4layer preset is used instead
  when its weights are bundled), each exported to ONNX float32 and int8
  (ONNX Runtime dynamic quantization);
* model speed: windows/s on real human_1m windows, after a warmup call,
  median of `--repeats` passes, for Keras (TensorFlow, `BatchedPredictor`),
  ONNX Runtime float32 and int8;
* end to end: `dczoo.inference.run_correction` on human_1m, ZMWs/s and
  model windows/s, median of `--e2e-repeats` runs after a warmup run;
* agreement: fraction of output bases identical and mean |base quality
  change| of each engine against Keras float32 (reads aligned with edlib,
  as in bench_correct.py).

Usage:
    KERAS_BACKEND=tensorflow python benchmarks/bench_onnx.py
    python benchmarks/bench_onnx.py --model-windows 256 --repeats 3 --e2e-repeats 2 --json onnx.json
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HUMAN_1M = SHARED / "data" / "human_1m"
WINDOWS = SHARED / "data" / "reference" / "windows" / "inference.npz"
# DeepConsensus 1.2 `deepconsensus run` (teacher) on the 10 human_1m ZMWs on
# these 2 cores (see bench_correct.py): about 0.7 ZMW/s end to end.
REFERENCE_ZMWS_PER_S = 0.7

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))


def _models():
    from dczoo.distill import student_from_teacher
    from dczoo.models import DeepConsensusCorrector
    from dczoo.models.preset_io import has_bundled_weights

    teacher = DeepConsensusCorrector.from_preset("teacher_6layer")
    if has_bundled_weights("student_4layer"):
        student = DeepConsensusCorrector.from_preset("student_4layer")
        student_name = "student_4layer"
    else:
        student = student_from_teacher(teacher, 4, init="top", copy_rezero_alphas=True,
                                       copy_final_norm=True)
        student_name = "student_4layer (top init, untrained)"
    return {"teacher_6layer": teacher, student_name: student}


def _median_rate(run, count, repeats):
    run()  # warmup
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def _engines(model, folder, label, batch_size):
    """engine name -> (model handle for run_correction, engine, predictor)."""
    from dczoo.export import export_onnx
    from dczoo.inference.batched_predictor import BatchedPredictor
    from dczoo.inference.onnx_engine import OnnxPredictor, load_onnx_corrector

    engines = {"keras-tensorflow": (model, "keras", BatchedPredictor(model, batch_size))}
    export_s = {}
    for int8 in (False, True):
        path = os.path.join(folder, f"{label.split()[0]}{'_int8' if int8 else ''}.onnx")
        start = time.perf_counter()
        export_onnx(model, path, int8=int8, preset=label)
        export_s["int8" if int8 else "float32"] = time.perf_counter() - start
        onnx_model, _ = load_onnx_corrector(path)
        name = "onnxruntime-int8" if int8 else "onnxruntime-float32"
        engines[name] = (path, "onnxruntime", OnnxPredictor(onnx_model, batch_size))
    return engines, export_s


def _e2e(handle, engine, batch_size, repeats):
    from dczoo.inference.pipeline import CorrectionOptions, run_correction

    runs = []
    for _ in range(repeats + 1):  # the first run is the warmup
        options = CorrectionOptions(min_quality=0, batch_size=batch_size, cpus=1)
        reads = run_correction(HUMAN_1M / "subreads_to_ccs.bam", HUMAN_1M / "ccs.bam",
                               handle, None, options, engine=engine, collect=True)
        runs.append(reads)
    timed = [r.summary["throughput"] for r in runs[1:]]
    return runs[-1], {
        "zmws_per_s": statistics.median(t["zmws_per_s"] for t in timed),
        "model_windows_per_s": statistics.median(t["model_windows_per_s"] for t in timed),
    }


def run(args):
    import numpy as np

    from bench_correct import _agreement

    with np.load(WINDOWS) as archive:
        windows = np.ascontiguousarray(archive["subreads/encoded"][: args.model_windows, ..., 0])
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_onnx_") as folder:
        for label, model in _models().items():
            engines, export_s = _engines(model, folder, label, args.batch_size)
            baseline = None
            for name, (handle, engine, predictor) in engines.items():
                rate = _median_rate(lambda: predictor.predict(windows), len(windows), args.repeats)
                reads, e2e = _e2e(handle, engine, args.batch_size, args.e2e_repeats)
                baseline = reads if baseline is None else baseline
                row = {"model": label, "engine": name, "windows_per_s": rate, **e2e,
                       "x_reference_e2e": e2e["zmws_per_s"] / REFERENCE_ZMWS_PER_S,
                       **_agreement(baseline, reads)}
                if name.startswith("onnxruntime"):
                    row["export_s"] = export_s[name.split("-")[1]]
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    return results


def table(results):
    """Markdown table of the results."""
    lines = [
        "| model | engine | model windows/s | e2e ZMWs/s | e2e model windows/s | x reference e2e "
        "| identical bases vs Keras float32 | mean abs quality change |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['engine']} | {r['windows_per_s']:.0f} | {r['zmws_per_s']:.2f} "
            f"| {r['model_windows_per_s']:.0f} | {r['x_reference_e2e']:.1f} "
            f"| {100 * r['identical_bases']:.3f}% | {r['mean_abs_base_quality_change']:.3f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--model-windows", type=int, default=512, help="windows timed per pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed model passes (median)")
    parser.add_argument("--e2e-repeats", type=int, default=3, help="timed end-to-end runs (median)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    import keras

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("run with KERAS_BACKEND=tensorflow (the Keras engine compared)")
    started = time.perf_counter()
    results = run(args)
    print(table(results))
    print(f"\n{os.cpu_count()} cores; total {time.perf_counter() - started:.0f} s; "
          f"reference `deepconsensus run`: {REFERENCE_ZMWS_PER_S} ZMWs/s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

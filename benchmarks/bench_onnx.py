"""Benchmark of the `onnxruntime` engine against the Keras TensorFlow engine.

One process (KERAS_BACKEND=tensorflow), one machine state, side by side:

* models: the bundled presets of `--models` (default `teacher_6layer` and
  `student_4layer`; a student without bundled weights is made from the
  teacher: `student_from_teacher(teacher, N, init="top",
  copy_rezero_alphas=True, copy_final_norm=True)`), each exported to ONNX
  float32 and int8 (ONNX Runtime dynamic quantization);
* model speed: windows/s on real human_1m windows, after a warmup call,
  median of `--repeats` passes, for Keras (TensorFlow, `BatchedPredictor`),
  ONNX Runtime float32 and int8;
* end to end: `dczoo.inference.run_correction` on human_1m, ZMWs/s and
  model windows/s, median of `--e2e-repeats` runs after a warmup run;
* agreement: fraction of output bases identical and mean |base quality
  change| of each engine against Keras float32, end to end on human_1m and
  on the bundled example (`dczoo.examples`, 20 simulated ZMWs; reads aligned
  with edlib, as in bench_correct.py), and per window on windows (the real
  human_1m windows, and `--test-windows`, a held-out simulated test set made
  by recipes/make_data.py): the fraction of positions where either engine
  outputs a base (not a gap) at which both output the same base.

The comparison with the reference's `deepconsensus run` on the same machine
is benchmarks/bench_vs_reference.py (whole commands, side by side).

Usage:
    KERAS_BACKEND=tensorflow python benchmarks/bench_onnx.py
    python benchmarks/bench_onnx.py --model-windows 256 --repeats 3 --e2e-repeats 2 --json onnx.json
    python benchmarks/bench_onnx.py --test-windows runs/data/windows_test --window-sample 2000
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
sys.path.insert(0, str(REPO))

from read_agreement import read_agreement  # noqa: E402


def _models(names=("teacher_6layer", "student_4layer")):
    """The bundled presets `names`, by name; a student without bundled weights is
    made from the teacher (top init, alphas copied, untrained) and named so."""
    from dczoo.distill import student_from_teacher
    from dczoo.models import DeepConsensusCorrector
    from dczoo.presets import BUILTIN_PRESETS, has_bundled_weights

    teacher = DeepConsensusCorrector.from_preset("teacher_6layer")
    models = {}
    for name in names:
        if name == "teacher_6layer":
            models[name] = teacher
        elif has_bundled_weights(name):
            models[name] = DeepConsensusCorrector.from_preset(name)
        else:
            layers = BUILTIN_PRESETS[name]["architecture"]["num_layers"]
            models[f"{name} (top init, untrained)"] = student_from_teacher(
                teacher, layers, init="top", copy_rezero_alphas=True, copy_final_norm=True)
    return models


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


def _correct(folder, handle, engine, batch_size):
    from dczoo.inference.pipeline import CorrectionOptions, run_correction

    options = CorrectionOptions(min_quality=0, batch_size=batch_size, cpus=1)
    return run_correction(Path(folder) / "subreads_to_ccs.bam", Path(folder) / "ccs.bam",
                          handle, None, options, engine=engine, collect=True)


def _e2e(handle, engine, batch_size, repeats):
    # The first run is the warmup.
    runs = [_correct(HUMAN_1M, handle, engine, batch_size) for _ in range(repeats + 1)]
    timed = [r.summary["throughput"] for r in runs[1:]]
    return runs[-1], {
        "zmws_per_s": statistics.median(t["zmws_per_s"] for t in timed),
        "model_windows_per_s": statistics.median(t["model_windows_per_s"] for t in timed),
    }


def base_agreement(probabilities, baseline):
    """Of the positions where either outputs a base (argmax not the gap),
    the fraction where both output the same base."""
    ours, theirs = probabilities.argmax(-1), baseline.argmax(-1)
    emitted = (ours != 0) | (theirs != 0)
    return float((ours == theirs)[emitted].mean())


def _window_sets(args):
    import numpy as np

    from dczoo.data import load_split

    with np.load(WINDOWS) as archive:
        sets = {"human_1m": np.ascontiguousarray(archive["subreads/encoded"][..., 0])}
    if args.test_windows:
        sets["held_out_sim"], _ = load_split(args.test_windows, "test", sample=args.window_sample)
    return sets


def run(args):
    from dczoo.examples import example_dir

    window_sets = _window_sets(args)
    windows = window_sets["human_1m"][: args.model_windows]
    bundled = example_dir("sim_small")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_onnx_") as folder:
        for label, model in _models(args.models).items():
            engines, export_s = _engines(model, folder, label, args.batch_size)
            baseline = None
            for name, (handle, engine, predictor) in engines.items():
                rate = _median_rate(lambda: predictor.predict(windows), len(windows), args.repeats)
                reads, e2e = _e2e(handle, engine, args.batch_size, args.e2e_repeats)
                example_reads = _correct(bundled, handle, engine, args.batch_size)
                probabilities = {k: predictor.predict(v) for k, v in window_sets.items()}
                if baseline is None:
                    baseline = (reads, example_reads, probabilities)
                row = {"model": label, "engine": name, "windows_per_s": rate, **e2e,
                       **read_agreement(baseline[0], reads),
                       "bundled_example": read_agreement(baseline[1], example_reads),
                       "window_base_agreement": {
                           k: base_agreement(p, baseline[2][k]) for k, p in probabilities.items()},
                       "windows_compared": {k: len(v) for k, v in window_sets.items()}}
                if name.startswith("onnxruntime"):
                    row["export_s"] = export_s[name.split("-")[1]]
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    return results


def table(results):
    """Markdown table of the results."""
    lines = [
        "| model | engine | model windows/s | e2e ZMWs/s | e2e model windows/s "
        "| identical bases vs Keras float32: human_1m reads | bundled example reads "
        "| human_1m windows | held-out windows | mean abs quality change (human_1m) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        windows = r["window_base_agreement"]
        held_out = windows.get("held_out_sim")
        held_out = "-" if held_out is None else f"{100 * held_out:.3f}%"
        lines.append(
            f"| {r['model']} | {r['engine']} | {r['windows_per_s']:.0f} | {r['zmws_per_s']:.2f} "
            f"| {r['model_windows_per_s']:.0f} | {100 * r['identical_bases']:.3f}% "
            f"| {100 * r['bundled_example']['identical_bases']:.3f}% "
            f"| {100 * windows['human_1m']:.3f}% | {held_out} "
            f"| {r['mean_abs_base_quality_change']:.3f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--model-windows", type=int, default=512, help="windows timed per pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed model passes (median)")
    parser.add_argument("--e2e-repeats", type=int, default=3, help="timed end-to-end runs (median)")
    parser.add_argument("--test-windows", help="held-out test windows (recipes/make_data.py "
                        "output, e.g. runs/data/windows_test) for the agreement")
    parser.add_argument("--window-sample", type=int, default=2000,
                        help="held-out windows compared (random sample)")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--models", nargs="+", default=["teacher_6layer", "student_4layer"],
                        help="bundled presets compared (default teacher_6layer student_4layer)")
    args = parser.parse_args()
    import keras

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("run with KERAS_BACKEND=tensorflow (the Keras engine compared)")
    started = time.perf_counter()
    results = run(args)
    print(table(results))
    print(f"\n{os.cpu_count()} cores; total {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

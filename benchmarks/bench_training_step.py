"""Training-step time per Keras backend, and what the alignment loss costs.

For each backend (a fresh worker process each, since the backend is fixed at
import) and each model (teacher = 6 layers, student_4layer = 4 layers, full
size, fresh weights), at batch 32 of random 85 x 100 windows:

* `step_alignment`: `train_on_batch` with `AlignmentLoss` (the real step);
* `step_xent`: the same step with a per-column cross-entropy instead, i.e.
  the model's own cost with a nearly free loss;
* `loss_only`: forward + backward of `AlignmentLoss` alone on (32, 100, 5)
  probabilities, compiled as `fit` compiles it (jax.jit, tf.function, torch
  eager);
* `distill_step`: one `Distiller` step (teacher 6 -> student 4, alternating).

`loss_overhead` = (step_alignment - step_xent) / step_xent, the fraction the
loss adds to a training step; on a noisy machine `loss_only / step_xent` is
the steadier estimate of the same thing. Every time is the median of `--steps`
steps after `--warmup` steps, and the two steps of a model are interleaved so
that load changes hit both. Run all backends in one go:

    .venv/bin/python benchmarks/bench_training_step.py --out bench.json

Timings on a shared machine are noisy: report the load average printed with
the table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")
MODELS = {"teacher": 6, "student_4layer": 4}


def _windows(batch, seed=0):
    import numpy as np

    from dczoo.constants import NUM_SN, WindowLayout

    rows, p = WindowLayout(), WindowLayout().max_passes
    rng = np.random.default_rng(seed)
    windows = np.zeros((batch, rows.num_rows, 100), np.float32)
    windows[:, rows.bases] = rng.integers(0, 5, (batch, p, 100))
    windows[:, rows.pw.start : rows.ip.stop] = rng.integers(0, 80, (batch, 2 * p, 100))
    windows[:, rows.strand] = rng.integers(1, 3, (batch, p, 1))
    windows[:, rows.ccs] = rng.integers(0, 5, (batch, 100))
    windows[:, rows.sn] = rng.uniform(2, 15, (batch, NUM_SN, 1))
    labels = rng.integers(1, 5, (batch, 100))
    labels[rng.random(labels.shape) < 0.1] = 0
    return windows, labels.astype(np.float32)


def _median_time(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _loss_only_fn(labels, probs):
    import keras

    from dczoo.losses import AlignmentLoss

    loss = AlignmentLoss()
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        step = jax.jit(jax.value_and_grad(lambda p: loss(labels, p)))
        return lambda: jax.block_until_ready(step(probs))
    if backend == "tensorflow":
        import tensorflow as tf

        probs_t = tf.constant(probs)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                tape.watch(probs_t)
                value = loss(labels, probs_t)
            return value, tape.gradient(value, probs_t)

        return lambda: [t.numpy() for t in step()]
    import torch

    def step():
        p = torch.tensor(probs, requires_grad=True)
        loss(labels, p).backward()
        return p.grad

    return step


def run_worker(args):
    """Times one backend (KERAS_BACKEND is set by the parent)."""
    import keras

    from dczoo.distill import Distiller, student_from_teacher
    from dczoo.losses import AlignmentLoss
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector
    from dczoo.optimizers import make_optimizer

    keras.utils.set_random_seed(0)
    windows, labels = _windows(args.batch)
    result = {"backend": keras.config.backend(), "batch": args.batch, "models": {}}
    jit = {"auto": "auto", "xla": True}[args.jit]
    teacher = None
    for name, num_layers in MODELS.items():
        if name not in args.models:
            continue
        timings, steps = {}, {}
        for loss_name, loss in (("step_alignment", AlignmentLoss()),
                                ("step_xent", keras.losses.SparseCategoricalCrossentropy())):
            model = DeepConsensusCorrector(DeepConsensusBackbone(num_layers=num_layers))
            model.compile(optimizer=make_optimizer(1000, warmup_steps=0), loss=loss,
                          jit_compile=jit)
            start = time.perf_counter()
            model.train_on_batch(windows, labels)
            timings[f"{loss_name}_first_call"] = time.perf_counter() - start
            for _ in range(args.warmup):
                model.train_on_batch(windows, labels)
            steps[loss_name] = model
            if num_layers == 6 and loss_name == "step_alignment":
                teacher = model
        # Interleave the two steps so that load changes hit both alike.
        times = {key: [] for key in steps}
        for _ in range(args.steps):
            for key, model in steps.items():
                start = time.perf_counter()
                model.train_on_batch(windows, labels)
                times[key].append(time.perf_counter() - start)
        for key, values in times.items():
            timings[key] = statistics.median(values)
        timings["loss_overhead"] = (
            timings["step_alignment"] - timings["step_xent"]) / timings["step_xent"]
        result["models"][name] = timings
    probs = keras.ops.convert_to_numpy(
        keras.ops.softmax(keras.random.normal((args.batch, 100, 5), seed=1), axis=-1))
    result["loss_only"] = _median_time(_loss_only_fn(labels, probs), args.warmup, args.steps)
    if teacher is not None and "distill" in args.models:
        student = student_from_teacher(teacher, 4, init="alternating")
        distiller = Distiller(teacher, student)
        distiller.compile(optimizer=make_optimizer(1000, warmup_steps=0), jit_compile=jit)
        distiller.train_on_batch(windows, labels)
        result["distill_step"] = _median_time(
            lambda: distiller.train_on_batch(windows, labels), args.warmup, args.steps)
    print("RESULT " + json.dumps(result), flush=True)


def _table(results):
    lines = ["| backend | model | step, AlignmentLoss (s) | step, cross-entropy (s) | "
             "step difference | AlignmentLoss fwd+bwd alone (s) | loss alone / xent step |",
             "|---|---|---|---|---|---|---|"]
    for result in results:
        for name, t in result["models"].items():
            lines.append(
                f"| {result['backend']} | {name} | {t['step_alignment']:.3f} | "
                f"{t['step_xent']:.3f} | {100 * t['loss_overhead']:+.0f}% | "
                f"{result['loss_only']:.3f} | "
                f"{100 * result['loss_only'] / t['step_xent']:.1f}% |")
    lines += ["", "| backend | distillation step, teacher 6 -> student 4 (s) |", "|---|---|"]
    lines += [f"| {r['backend']} | {r['distill_step']:.3f} |" for r in results
              if "distill_step" in r]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--models", nargs="+", default=list(MODELS) + ["distill"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--jit", choices=["auto", "xla"], default="auto",
                        help="compile(jit_compile=...): auto (default) or XLA everywhere")
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args)

    results = []
    load_before = os.getloadavg()
    for backend in args.backends:
        command = [sys.executable, os.path.abspath(__file__), "--worker", "--batch",
                   str(args.batch), "--warmup", str(args.warmup), "--steps", str(args.steps),
                   "--jit", args.jit, "--models", *args.models]
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(f"{backend}: worker failed\n{done.stderr[-3000:]}", file=sys.stderr)
            continue
        results.append(json.loads(lines[-1][len("RESULT "):]))
        print(f"{backend} done", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(_table(results))
    print(f"\nbatch {args.batch}, median of {args.steps} steps after {args.warmup} warm-up "
          f"steps, jit_compile={args.jit}; load average before {load_before[0]:.1f}, "
          f"after {load_after[0]:.1f} on {os.cpu_count()} CPUs")
    if args.out:
        with open(args.out + ".tmp", "w") as handle:
            json.dump({"results": results, "load_before": load_before,
                       "load_after": load_after}, handle, indent=1)
        os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

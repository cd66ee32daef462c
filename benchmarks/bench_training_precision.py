"""Teacher training throughput per backend, dtype policy and batch size.

The teacher issue asks whether mixed bfloat16 (the CPU has AVX512-BF16) and
larger batches pay on this machine. Each (backend, policy) runs in a fresh
worker process (the backend is fixed at import); inside it every batch size is
timed on real-shaped random windows with the production `AlignmentLoss` and
Adam optimizer, `--steps` steps after `--warmup`, median seconds per step. The
table reports windows per second, and each configuration's ratio to float32 at
batch 32 of the same backend (the configuration of the bundled teacher).

    .venv/bin/python benchmarks/bench_training_precision.py \
        --backends tensorflow jax --policies float32 mixed_bfloat16 --batches 32 64

Timings on a shared machine are noisy: compare ratios within one run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_training_step import _windows  # noqa: E402  (the same random windows)


def run_worker(args):
    import keras

    keras.config.set_dtype_policy(args.policy)
    from dczoo.losses import AlignmentLoss
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

    keras.utils.set_random_seed(0)
    result = {"backend": keras.config.backend(), "policy": args.policy, "batches": {}}
    for batch in args.batches:
        windows, labels = _windows(batch)
        model = DeepConsensusCorrector(DeepConsensusBackbone(num_layers=args.layers))
        model.compile(optimizer=keras.optimizers.Adam(1e-4, global_clipnorm=1.0),
                      loss=AlignmentLoss())
        for _ in range(args.warmup):
            model.train_on_batch(windows, labels)
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            model.train_on_batch(windows, labels)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        result["batches"][str(batch)] = {"seconds_per_step": seconds, "windows_per_second": batch / seconds}
    print("RESULT " + json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--policies", nargs="+", default=["float32", "mixed_bfloat16"])
    parser.add_argument("--batches", nargs="+", type=int, default=[32, 64])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    parser.add_argument("--policy", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args)
    results = []
    for backend in args.backends:
        for policy in args.policies:
            command = [sys.executable, os.path.abspath(__file__), "--worker", "--policy", policy,
                       "--layers", str(args.layers), "--warmup", str(args.warmup),
                       "--steps", str(args.steps), "--batches", *map(str, args.batches)]
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode != 0 or not lines:
                print(f"{backend}/{policy}: worker failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            results.append(json.loads(lines[-1][len("RESULT "):]))
            print(f"{backend}/{policy} done", file=sys.stderr, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| backend | policy | batch | s/step | windows/s | vs float32 batch 32 |")
    print("|---|---|---|---|---|---|")
    for result in results:
        base = next((r["batches"].get(str(args.batches[0])) for r in results
                     if r["backend"] == result["backend"] and r["policy"] == "float32"), None)
        for batch, timing in result["batches"].items():
            ratio = timing["windows_per_second"] / base["windows_per_second"] if base else float("nan")
            print(f"| {result['backend']} | {result['policy']} | {batch} | {timing['seconds_per_step']:.3f} "
                  f"| {timing['windows_per_second']:.1f} | {ratio:.2f}x |")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"results": results, "layers": args.layers}, handle, indent=1)


if __name__ == "__main__":
    main()

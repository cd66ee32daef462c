"""ONNX Runtime model windows/s against the batch size (windows per call).

Exports a preset (float32 and int8, TensorFlow) and times passes over the
first 1024 real human_1m windows at each batch size, in rotating rounds,
median; the result chose `DEFAULT_ONNX_BATCH_SIZE` of `dczoo correct`.

Usage:
    python benchmarks/bench_onnx_batch.py [--preset student_4layer] [--rounds 3]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

WINDOWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "windows" / "inference.npz"
BATCH_SIZES = (32, 64, 128, 256, 512)


def main():
    import numpy as np
    import onnxruntime

    from dczoo.export import export_onnx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="student_4layer")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with np.load(WINDOWS) as archive:
        windows = np.ascontiguousarray(archive["subreads/encoded"][:1024, ..., 0])
    with tempfile.TemporaryDirectory() as folder:
        for int8 in (False, True):
            path = os.path.join(folder, f"model{'_int8' if int8 else ''}.onnx")
            export_onnx(args.preset, path, int8=int8)
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            times = {size: [] for size in BATCH_SIZES}
            for round_index in range(args.rounds + 1):  # round 0 warms up
                for size in BATCH_SIZES:
                    start = time.perf_counter()
                    for i in range(0, len(windows), size):
                        session.run(None, {"windows": windows[i:i + size]})
                    if round_index:
                        times[size].append(time.perf_counter() - start)
            rates = "  ".join(f"{size}: {len(windows) / statistics.median(t):.0f}"
                              for size, t in times.items())
            print(f"{args.preset} {'int8' if int8 else 'float32'} windows/s by batch size: {rates}")


if __name__ == "__main__":
    main()

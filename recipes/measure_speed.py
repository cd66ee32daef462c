#!/usr/bin/env python
"""Model windows/s of several presets, measured round-robin in one process.

The speed axis of the yield-vs-speed plot when the models were evaluated in
separate `evaluate.py` runs (with `--no-speed`): `report.py --speed` adds
these numbers to the merged results. Uses `evaluate.windows_per_second` (two
batches of 256 test windows, a warm-up, the median of 5 passes per model);
run it on an otherwise idle machine.

Example:
    KERAS_BACKEND=tensorflow python recipes/measure_speed.py --model teacher_6layer \
        --model student_5layer --model student_4layer --model student_3layer \
        --test-windows runs/data/windows_test --out docs/results/students/speed.json
"""

import argparse
import json
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="name=preset (or a preset name/folder, named by its basename)")
    parser.add_argument("--test-windows", required=True, help="preprocessed test windows folder")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes per model")
    parser.add_argument("--out", required=True, help="JSON file: model name -> windows/s")
    args = parser.parse_args(argv)
    import keras

    from dczoo.inference.model_loading import load_corrector
    from evaluate import _named, load_test_windows, windows_per_second

    windows, _ = load_test_windows(args.test_windows, 512)
    models = {}
    for spec in args.model:
        name, handle = _named(spec)
        models[name] = load_corrector(handle)[0]
    speeds = windows_per_second(models, windows, rounds=args.rounds)
    result = {"windows_per_second": {name: round(value, 2) for name, value in speeds.items()},
              "backend": keras.backend.backend(), "cpus": os.cpu_count(), "machine": platform.machine(),
              "models": {name: handle for name, handle in map(_named, args.model)}}
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1)
    for name, value in result["windows_per_second"].items():
        print(f"[measure_speed] {name}: {value:,.1f} windows/s")


if __name__ == "__main__":
    main()

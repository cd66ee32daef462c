#!/usr/bin/env python
"""Model windows/s of presets, for `report.py --speed` (the yield-vs-speed figure).

    python recipes/measure_speed.py --windows data/windows_test \
        --model teacher_6layer --model student_5layer --model student_4layer --model student_3layer \
        --same-as student_4layer_nodistill=student_4layer --out speed.json

Every model runs through the keras engine of `dczoo correct` (`evaluate.windows_per_second`:
512 test windows per pass, batch 256, the models in turn within each round, `--rounds` rounds,
median); the whole measurement is repeated `--repeats` times and the median of those is kept.
`--same-as NAME=MODEL` gives a model that was not measured the speed of one with the same
architecture (a non-distilled twin has its student's layers, so its speed).
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", required=True, help="preprocessed windows folder (its `test` split)")
    parser.add_argument("--model", action="append", required=True, help="preset name or folder (repeatable)")
    parser.add_argument("--same-as", action="append", default=[], metavar="NAME=MODEL",
                        help="report NAME with the speed of the measured MODEL (same architecture)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True, help="JSON to write")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import keras

    from dczoo.errors import DczooInputError
    from dczoo.inference.model_loading import load_corrector
    from evaluate import load_test_windows, windows_per_second

    aliases = {}
    for item in args.same_as:
        name, _, model = item.partition("=")
        if not name or model not in args.model:
            raise DczooInputError(f"--same-as {item!r}: give NAME=MODEL with MODEL one of the --model values")
        aliases[name] = model
    windows, _ = load_test_windows(args.windows, 512)
    models = {handle: load_corrector(handle)[0] for handle in args.model}
    repeats = [windows_per_second(models, windows, rounds=args.rounds) for _ in range(args.repeats)]
    speed = {name: statistics.median(r[name] for r in repeats) for name in models}
    speed.update({name: speed[model] for name, model in aliases.items()})
    result = {"windows_per_second": {k: round(v, 1) for k, v in speed.items()},
              "repeats": [{k: round(v, 1) for k, v in r.items()} for r in repeats],
              "backend": keras.backend.backend(), "batch_size": 256, "windows": int(len(windows[:512])),
              "same_as": aliases}
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1)
    print(json.dumps(result["windows_per_second"]))
    return result


if __name__ == "__main__":
    main()

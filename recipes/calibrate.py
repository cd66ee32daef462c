#!/usr/bin/env python
"""Fit a model's base-quality calibration on held-out windows; write a calibrated preset.

The model runs on labelled windows it was not trained on (make_data.py's
calibration set by default), on exactly the windows `dczoo correct` would give
it (draft windows above the skip threshold are passed through there, so they
are left out here). Its bases are counted right or wrong against the labels
per predicted quality (`dczoo.analysis.calibration`), a monotone
piecewise-linear map from predicted to empirical quality is fitted, and the
model is saved as a new preset carrying it (`quality_calibration`, used by
`dczoo correct`, the ONNX export and the Space alike).

Example:
    KERAS_BACKEND=tensorflow python recipes/calibrate.py --model runs/teacher/best \\
        --windows runs/data/windows_calibration --out runs/teacher/calibrated

Writes the preset to --out and `calibration.json` (the counts before and after,
the fitted knots, the table) next to it.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="preset name, folder or hf:// handle")
    parser.add_argument("--windows", required=True, help="labelled windows folder (dczoo preprocess)")
    parser.add_argument("--split", default="test", help="split of --windows to use (default: test)")
    parser.add_argument("--out", required=True, help="folder of the calibrated preset")
    parser.add_argument("--window-sample", type=int, default=40000,
                        help="windows used at most (a random sample)")
    parser.add_argument("--min-bases", type=int, default=2000, help="smallest group of the fit")
    parser.add_argument("--batch-size", type=int, default=256)
    return parser.parse_args(argv)


def labelled_windows(folder, split, sample, seed=0, with_passes=False):
    """(windows, labels[, num_passes]) the model would see: windows above the skip threshold left out."""
    from dczoo.data import read_shard, shard_paths
    from dczoo.inference.window_skipping import skip_mask

    windows, labels, passes = [], [], []
    for path, _ in shard_paths(folder, split):
        shard = read_shard(path, clip=True)
        keep = ~skip_mask(shard["ccs_bq"])
        windows.append(shard["windows"][keep])
        labels.append(shard["labels"][keep])
        passes.append(np.asarray(shard["num_passes"])[keep])
    windows, labels, passes = np.concatenate(windows), np.concatenate(labels), np.concatenate(passes)
    pick = np.sort(np.random.default_rng(seed).permutation(len(windows))[:sample])
    if with_passes:
        return windows[pick], labels[pick], passes[pick]
    return windows[pick], labels[pick]


def main(argv=None):
    from dczoo.analysis.calibration import fit_quality_calibration, window_quality_counts
    from dczoo.inference.model_loading import load_corrector

    args = parse_args(argv)
    model, _ = load_corrector(args.model)
    windows, labels = labelled_windows(args.windows, args.split, args.window_sample)
    probabilities = model.predict(windows, batch_size=args.batch_size, verbose=0)
    before = window_quality_counts(probabilities, labels)
    calibration = fit_quality_calibration(before, min_bases=args.min_bases)
    after = window_quality_counts(probabilities, labels, calibration=calibration)
    model.quality_calibration = str(calibration)
    metadata = {}
    metadata_path = os.path.join(args.model, "metadata.json")
    if os.path.isfile(metadata_path):
        with open(metadata_path) as handle:
            metadata = json.load(handle)
    metadata["quality_calibration"] = {
        "calibration": str(calibration), "fitted_on": os.path.abspath(args.windows),
        "split": args.split, "windows": int(len(windows)),
        "max_deviation_up_to_q40_before": before.max_deviation(),
        "max_deviation_up_to_q40_after": after.max_deviation(),
        "command": "python recipes/calibrate.py " + " ".join(sys.argv[1:]) if argv is None else "",
    }
    # what save_to_preset records itself is recorded anew
    for key in ("weights_sha256", "weights_dtype", "date_saved", "dczoo_version", "keras_version",
                "backend_saved_with", "class_name", "parameter_count", "num_layers"):
        metadata.pop(key, None)
    model.save_to_preset(args.out, metadata=metadata)
    report = {"calibration": str(calibration), "windows": int(len(windows)),
              "before": {"table": before.table(), "counts": before.to_dict()},
              "after": {"table": after.table(), "counts": after.to_dict()}}
    with open(os.path.join(args.out, "calibration.json"), "w") as handle:
        json.dump(report, handle, indent=1)
    print(f"[calibrate] {calibration}")
    print("| predicted Q bin | bases | empirical before | predicted after | empirical after |")
    print("|---|---|---|---|---|")
    after_rows = {(r["low"], r["high"]): r for r in after.table()}
    for row in before.table():
        a = after_rows.get((row["low"], row["high"]))
        print(f"| {row['low']}-{row['high']} ({row['predicted']:.1f}) | {row['bases']:,} | "
              f"{row['empirical']:.1f} | " + (f"{a['predicted']:.1f} | {a['empirical']:.1f} |" if a else "- | - |"))
    print(f"[calibrate] max |empirical - predicted| up to Q40: before {before.max_deviation():.2f}, "
          f"after {after.max_deviation():.2f}; wrote {args.out}")


if __name__ == "__main__":
    main()

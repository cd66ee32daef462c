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

With `--draft-sim` (the BAM folder of the same held-out set), the qualities of
the draft bases that windows above the skip threshold keep are fitted the same
way (`draft_quality_calibration`, the default of `dczoo correct
--ccs-calibration`): the drafts those windows keep are the draft caller's, and
their qualities are as calibrated as that caller makes them.

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
    parser.add_argument("--draft-sim", help="BAM folder of the held-out set: also fit the qualities of "
                                            "the draft bases that skipped windows keep")
    parser.add_argument("--window-sample", type=int, default=40000,
                        help="windows used at most (a random sample)")
    parser.add_argument("--min-bases", type=int, default=2000, help="smallest group of the fit")
    parser.add_argument("--batch-size", type=int, default=256)
    return parser.parse_args(argv)


def labelled_windows(folder, split, sample, seed=0, with_passes=False):
    """(windows, labels[, num_passes]) the model would see: windows above the skip threshold left out."""
    from dczoo.data import load_split
    from dczoo.inference.window_skipping import skip_mask

    return load_split(folder, split, sample=sample, seed=seed, with_passes=with_passes,
                      where=lambda meta: ~skip_mask(meta["ccs_bq"]))


def kept_draft_counts(sim_folder):
    """Right/wrong draft bases, per draft quality, of the windows `dczoo correct` keeps as drafts.

    Args:
        sim_folder: BAM folder with subreads_to_ccs.bam, ccs.bam, truth_to_ccs.bam.

    Returns:
        `dczoo.analysis.calibration.QualityCounts`.
    """
    from dczoo.analysis import load_truth
    from dczoo.analysis.calibration import QualityCounts, aligned_base_errors
    from dczoo.data import iter_zmw_windows
    from dczoo.inference.window_skipping import skip_mask

    truth = load_truth(os.path.join(sim_folder, "truth_to_ccs.bam"))
    counts = QualityCounts()
    for zmw in iter_zmw_windows(os.path.join(sim_folder, "subreads_to_ccs.bam"),
                                os.path.join(sim_folder, "ccs.bam")):
        if zmw.name not in truth or not len(zmw.window_pos):
            continue
        sequence = zmw.draft.sequence
        qualities = np.asarray(zmw.draft.qualities)
        kept = np.zeros(len(sequence), bool)
        bases_per_window = (zmw.ccs_bq >= 0).sum(axis=1)
        for start, count, skipped in zip(zmw.window_pos, bases_per_window, skip_mask(zmw.ccs_bq)):
            if skipped:
                kept[start:start + count] = True
        if kept.any():
            errors = aligned_base_errors(sequence, truth[zmw.name])
            counts.add(qualities[kept], errors[kept])
    return counts


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
    draft_report = None
    if args.draft_sim:
        from dczoo.inference.quality import finish_qualities

        kept = kept_draft_counts(args.draft_sim)
        draft_calibration = fit_quality_calibration(kept, min_bases=args.min_bases)
        model.draft_quality_calibration = str(draft_calibration)
        q = np.repeat(np.arange(len(kept.right)), kept.right + kept.wrong)
        wrong = np.concatenate([np.r_[np.ones(w, bool), np.zeros(r, bool)]
                                for r, w in zip(kept.right, kept.wrong)])
        from dczoo.analysis.calibration import QualityCounts

        kept_after = QualityCounts()
        kept_after.add(finish_qualities(q.astype(np.float32), draft_calibration), wrong)
        draft_report = {"calibration": str(draft_calibration), "fitted_on": os.path.relpath(args.draft_sim),
                        "before": {"table": kept.table(), "counts": kept.to_dict()},
                        "after": {"table": kept_after.table()},
                        "max_deviation_up_to_q40_before": kept.max_deviation(),
                        "max_deviation_up_to_q40_after": kept_after.max_deviation()}
        print(f"[calibrate] kept draft bases: {draft_calibration}; max |empirical - predicted| up to Q40 "
              f"before {kept.max_deviation():.2f}, after {kept_after.max_deviation():.2f}")
    metadata = {}
    metadata_path = os.path.join(args.model, "metadata.json")
    if os.path.isfile(metadata_path):
        with open(metadata_path) as handle:
            metadata = json.load(handle)
    metadata["quality_calibration"] = {
        "calibration": str(calibration), "fitted_on": os.path.relpath(args.windows),
        "split": args.split, "windows": int(len(windows)),
        "max_deviation_up_to_q40_before": before.max_deviation(),
        "max_deviation_up_to_q40_after": after.max_deviation(),
        "command": "python recipes/calibrate.py " + " ".join(sys.argv[1:]) if argv is None else "",
    }
    if draft_report:
        metadata["draft_quality_calibration"] = {k: v for k, v in draft_report.items() if k != "before"}
    # what save_to_preset records itself is recorded anew
    for key in ("weights_sha256", "weights_dtype", "date_saved", "dczoo_version", "keras_version",
                "backend_saved_with", "class_name", "parameter_count", "num_layers"):
        metadata.pop(key, None)
    model.save_to_preset(args.out, metadata=metadata)
    report = {"calibration": str(calibration), "windows": int(len(windows)),
              "before": {"table": before.table(), "counts": before.to_dict()},
              "after": {"table": after.table(), "counts": after.to_dict()}, "draft": draft_report}
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

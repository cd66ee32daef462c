#!/usr/bin/env python
"""Save a trained model as a bundled built-in preset, with its model card.

Loads a trained preset folder (e.g. `runs/teacher/best`), stores it as
`dczoo/models/presets/<name>/` with float16 weights when float16 loses
nothing measurable on test windows (identical argmax on every window column
checked, max probability change reported), and records the evaluation results
(from evaluate.py's results.json) and training settings in its metadata.
Uploading to the Hugging Face Hub is `dczoo publish` (see docs).

Example:
    python recipes/publish.py --source runs/teacher/best --name teacher_6layer \
        --test-windows runs/data/windows_test --results docs/results/results.json
"""

import argparse
import json
import os
import tempfile

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="trained preset folder")
    parser.add_argument("--name", required=True, help="built-in preset name to write")
    parser.add_argument("--test-windows", required=True, help="windows to check float16 on")
    parser.add_argument("--results", help="evaluate.py results.json to record")
    parser.add_argument("--results-key", help="entry of results.json (default: --name)")
    parser.add_argument("--windows", type=int, default=2000)
    return parser.parse_args(argv)


def describe_training_data(metadata):
    """One sentence on the training data, from make_data.py's settings file."""
    data = (metadata.get("training") or {}).get("data") or metadata.get("data")
    folder = os.path.dirname(os.path.normpath(data)) if data else None
    for name in ("settings_train.json", "settings.json"):
        path = os.path.join(folder, name) if folder else None
        if path and os.path.exists(path):
            break
    else:
        return "See MODEL_CARD.md in the dczoo repository."
    with open(path) as handle:
        made = json.load(handle).get("arguments", {})
    if "kind" in made:  # make_data.py train
        zmws = made.get("zmws") or 8000
        randomized = made.get("ranges") != "none"
        return (f"Simulated with `dczoo simulate` by `recipes/make_data.py train`: {zmws} ZMWs "
                f"(mean insert {made.get('insert_mean') or 6000} bp, seed {made.get('seed') or 1}) from the first "
                f"{1 - made.get('test_fraction', 0):.0%} of `{os.path.basename(str(made.get('reference')))}` and "
                f"{made.get('random_genome', 0):,} bp of random genome"
                + (", every ZMW with its own error model drawn from wide ranges" if randomized else "")
                + "; test and shift sets come from the rest, with other seeds. "
                "Details in MODEL_CARD.md of the dczoo repository.")
    return (f"Simulated with `dczoo simulate` by `recipes/make_data.py`: {made.get('train_zmws')} ZMWs "
            f"(mean insert {made.get('insert_mean')} bp, seed {made.get('seed')}) from the first "
            f"{1 - made.get('test_fraction', 0):.0%} of `{os.path.basename(str(made.get('reference')))}`; "
            f"held-out test ZMWs come from the rest (seed {made.get('test_seed')}). "
            "Details in MODEL_CARD.md of the dczoo repository.")


def _summary(entry):
    """An evaluate.py entry without its bulky parts (per-read rows, base counts)."""
    out = {}
    for key, value in entry.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("per_read", "counts")}
            if isinstance(value.get("calibration"), dict):
                value["calibration"] = {k: v for k, v in value["calibration"].items() if k != "counts"}
        out[key] = value
    return out


def main(argv=None):
    from dczoo.data import load_split
    from dczoo.models import DeepConsensusCorrector
    from dczoo.presets import BUILTIN_PRESETS

    args = parse_args(argv)
    if args.name not in BUILTIN_PRESETS:
        raise SystemExit(f"--name must be one of {', '.join(BUILTIN_PRESETS)}")
    entry = BUILTIN_PRESETS[args.name]
    model = DeepConsensusCorrector.from_preset(args.source)
    if model.num_layers != entry["metadata"]["num_layers"]:
        raise SystemExit(f"{args.source} has {model.num_layers} layers, {args.name} needs "
                         f"{entry['metadata']['num_layers']}")
    with open(os.path.join(args.source, "metadata.json")) as handle:
        metadata = json.load(handle)
    for key in ("weights_sha256", "date_saved", "parameter_count", "dczoo_version",
                "keras_version", "backend_saved_with", "class_name", "num_layers",
                "weights_dtype"):
        metadata.pop(key, None)
    metadata["description"] = entry["metadata"]["description"]
    metadata["preset_name"] = args.name
    if metadata.get("role") == "student" and not metadata.get("teacher"):
        metadata["teacher"] = metadata.get("base_model")
    metadata["training_data"] = metadata.get("training_data") or describe_training_data(metadata)
    if args.results:
        with open(args.results) as handle:
            results = json.load(handle)
        entry_results = results[args.results_key or args.name]
        draft = results["draft"]
        q30 = entry_results["test"]["yield"]["30"] / max(draft["test"]["yield"]["30"], 1)
        metadata["evaluation"] = {
            "dataset": {"name": "dczoo simulated held-out test set (recipes/make_data.py)",
                        "type": "simulated-pacbio-hifi", "split": "test"},
            "metrics": {
                "yield_at_empirical_q30_over_draft": round(q30, 4),
                "read_identity": round(entry_results["test"]["mean_identity"], 5),
                "draft_read_identity": round(draft["test"]["mean_identity"], 5),
                "window_exact_accuracy": round(entry_results["window"]["exact_accuracy"], 4),
            },
        }
        metadata["evaluation_details"] = {"model": _summary(entry_results), "draft": _summary(draft)}

    windows, _ = load_split(args.test_windows, "test", sample=args.windows)
    reference = model.predict(windows, batch_size=256, verbose=0)
    with tempfile.TemporaryDirectory() as scratch:
        model.save_to_preset(os.path.join(scratch, "half"), weights_dtype="float16")
        half = DeepConsensusCorrector.from_preset(os.path.join(scratch, "half"))
        probs = half.predict(windows, batch_size=256, verbose=0)
    identical = float((probs.argmax(-1) == reference.argmax(-1)).mean())
    max_change = float(np.abs(probs - reference).max())
    use_half = identical == 1.0
    metadata["float16_check"] = {"windows": int(len(windows)), "identical_bases": identical,
                                 "max_probability_change": max_change,
                                 "stored_as": "float16" if use_half else "float32"}
    print(f"float16 check on {len(windows)} windows: identical argmax {identical:.6f}, "
          f"max probability change {max_change:.2e} -> stored as "
          f"{'float16' if use_half else 'float32'}")
    model.save_to_preset(entry["path"], metadata=metadata,
                         weights_dtype="float16" if use_half else None)
    print(f"wrote {entry['path']}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""How good is a student right after initialisation from the teacher?

For every init strategy (top, alternating, bottom), with and without copying
the teacher's ReZero alphas and final LayerNorm, builds the student with
`dczoo.distill.student_from_teacher` and measures, before any training, the
alignment loss, alignment identity and exact window accuracy on held-out
eval windows, next to the teacher's own. This is the step-0 point of the
paper's init-strategy comparison (Fig. 3b); it picks the init the distillation
recipe starts from when training steps are scarce.

Example:
    KERAS_BACKEND=tensorflow python recipes/init_strategies.py \
        --teacher teacher_6layer --data runs/data/windows_train --layers 4 \
        --out docs/results/init_strategies.json
"""

import argparse
import json
import os

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default="teacher_6layer")
    parser.add_argument("--data", required=True, help="windows folder with an eval split")
    parser.add_argument("--layers", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--windows", type=int, default=1024)
    parser.add_argument("--out", required=True, help="JSON file to write")
    return parser.parse_args(argv)


def scores(model, windows, labels):
    """Mean alignment loss, alignment identity and exact accuracy of a model."""
    from keras import ops

    from dczoo.losses import AlignmentLoss, alignment_identity, window_exact_matches

    probs = model.predict(windows, batch_size=256, verbose=0)
    return {
        "alignment_loss": float(ops.convert_to_numpy(ops.mean(AlignmentLoss()(labels, probs)))),
        "alignment_identity": float(np.mean(alignment_identity(labels, probs))),
        "exact_accuracy": float(ops.convert_to_numpy(window_exact_matches(labels, probs)).mean()),
    }


def main(argv=None):
    from dczoo.data import load_split
    from dczoo.distill import student_from_teacher
    from dczoo.distill.student_init import STRATEGIES
    from dczoo.models import DeepConsensusCorrector

    args = parse_args(argv)
    windows, labels = load_split(args.data, "eval", limit=args.windows)
    teacher = DeepConsensusCorrector.from_preset(args.teacher)
    result = {"teacher": args.teacher, "windows": int(len(windows)),
              "teacher_scores": scores(teacher, windows, labels), "students": []}
    for layers in args.layers:
        for init in STRATEGIES:
            for copy in (False, True):
                student = student_from_teacher(teacher, layers, init=init,
                                               copy_rezero_alphas=copy, copy_final_norm=copy)
                entry = dict(layers=layers, init=init, copy_alphas=copy,
                             **scores(student, windows, labels))
                result["students"].append(entry)
                print(json.dumps(entry), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"[init_strategies] teacher {result['teacher_scores']}; wrote {args.out}")


if __name__ == "__main__":
    main()

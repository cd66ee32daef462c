#!/usr/bin/env python
"""Train the 6-layer DeepConsensus teacher with the alignment loss.

Example:
    KERAS_BACKEND=tensorflow python recipes/train_teacher.py \
        --data runs/data/windows_train --out runs/teacher --steps 6000

Rerunning the same command resumes from the last checkpoint. Outputs: see
recipes/training.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import keras  # noqa: E402

import training  # noqa: E402
from dczoo.losses import AlignmentLoss, WindowAccuracy  # noqa: E402
from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector  # noqa: E402


def build_corrector(num_layers, args):
    """A fresh corrector with the reference architecture."""
    backbone = DeepConsensusBackbone(num_layers=num_layers, dropout=args.dropout)
    return DeepConsensusCorrector(backbone, quality_calibration=None)


def train_plain(num_layers, args, role, description):
    """Trains a corrector of `num_layers` layers with the alignment loss alone."""
    keras.utils.set_random_seed(args.seed)
    training.setup_distribution(args)
    corrector = build_corrector(num_layers, args)
    if getattr(args, "init_from", None):
        start = DeepConsensusCorrector.from_preset(args.init_from)
        if start.count_params() != corrector.count_params():
            raise SystemExit(f"--init-from {args.init_from}: {start.count_params():,} parameters, "
                             f"the model to train has {corrector.count_params():,}")
        corrector.set_weights(start.get_weights())
    corrector.compile(optimizer=training.make_optimizer(args), loss=AlignmentLoss(),
                      metrics=[WindowAccuracy()])
    if getattr(args, "evaluate_only", False):
        return training.evaluate_start(corrector, args)
    metadata = {"description": description, "role": role,
                "training": {"loss": "alignment (del_cost 10, gamma 0.1)",
                             "steps": args.steps, "batch_size": args.batch_size,
                             "optimizer": args.optimizer, "learning_rate": args.learning_rate,
                             "data": args.data, "dtype_policy": args.dtype_policy,
                             "init_from": getattr(args, "init_from", None),
                             "max_minutes": args.max_minutes, "hardware": training.hardware(),
                             "backend": keras.config.backend()}}
    return training.fit(corrector, corrector, args, metadata)


def main(argv=None):
    parser = training.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--init-from", help="start from this preset's weights (same architecture)")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="print the validation loss and accuracy of the starting weights on the eval "
                             "batches a run validates on (the start of a --init-from continuation), train nothing")
    args = parser.parse_args(argv)
    result = train_plain(6, args, "teacher",
                         "6-layer DeepConsensus teacher trained on simulated data.")
    print(result)


if __name__ == "__main__":
    main()

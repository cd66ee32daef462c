#!/usr/bin/env python
"""Distil a 3/4/5-layer student from a trained teacher (the paper's Eq. 1).

loss = alignment(y, student) + alpha * {MSE|KL}(student, teacher); student
layers initialised from the teacher (`--init`).

Example:
    python recipes/distill_student.py --teacher runs/teacher/best --layers 4 \
        --loss mse --alpha 1e5 --init alternating \
        --data runs/data/windows_train --out runs/student4 --steps 2000
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import keras  # noqa: E402

import training  # noqa: E402
from dczoo.distill import Distiller, student_from_teacher  # noqa: E402
from dczoo.losses import WindowAccuracy  # noqa: E402
from dczoo.models import DeepConsensusCorrector  # noqa: E402


def main(argv=None):
    parser = training.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", required=True, help="teacher preset (name, folder, hf://)")
    parser.add_argument("--layers", type=int, choices=[3, 4, 5], required=True)
    parser.add_argument("--loss", choices=["mse", "kl"], default="mse")
    parser.add_argument("--alpha", type=float, default=1e5)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--init", default="alternating",
                        help="top | alternating | bottom | explicit teacher layers, e.g. 1,2,4,6")
    parser.add_argument("--copy-alphas", action="store_true",
                        help="also copy the mapped layers' ReZero alphas and the final LayerNorm (the "
                             "reference leaves them at 0 / identity); starts the student near the teacher")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    training.setup_distribution(args)
    teacher = DeepConsensusCorrector.from_preset(args.teacher)
    if args.dtype_policy == "mixed_bfloat16":
        from dczoo.inference.model_loading import with_precision

        # the teacher's forward pass and the student (which takes the teacher's config) in bfloat16
        teacher = with_precision(teacher, "bfloat16")
    init = args.init
    if "," in init:
        init = [int(v) for v in init.split(",")]
    student = student_from_teacher(teacher, args.layers, init=init,
                                   copy_rezero_alphas=args.copy_alphas,
                                   copy_final_norm=args.copy_alphas)
    distiller = Distiller(teacher, student, alpha=args.alpha, distillation_loss=args.loss,
                          temperature=args.temperature)
    distiller.compile(optimizer=training.make_optimizer(args), metrics=[WindowAccuracy()])
    metadata = {
        "description": f"{args.layers}-layer student distilled from {args.teacher}.",
        "role": "student",
        "base_model": args.teacher,
        "teacher": args.teacher,
        "training": {"loss": f"alignment + {args.alpha:g} * {args.loss}", "init": args.init,
                     "copy_alphas": args.copy_alphas,
                     "temperature": args.temperature, "steps": args.steps,
                     "batch_size": args.batch_size, "optimizer": args.optimizer,
                     "learning_rate": args.learning_rate, "dtype_policy": args.dtype_policy,
                     "max_minutes": args.max_minutes, "seed": args.seed, "hardware": training.hardware(),
                     "data": args.data, "backend": keras.config.backend()},
    }
    print(training.fit(distiller, student, args, metadata))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Train a 3/4/5-layer student *without* distillation (the paper's control).

Same data, steps and optimizer as distill_student.py, alignment loss only,
fresh initialisation.

Example:
    python recipes/train_student.py --layers 4 --data runs/data/windows_train \
        --out runs/student4_plain --steps 2000
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import training  # noqa: E402
from train_teacher import train_plain  # noqa: E402


def main(argv=None):
    parser = training.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, choices=[3, 4, 5], required=True)
    args = parser.parse_args(argv)
    result = train_plain(args.layers, args, "student_undistilled",
                         f"{args.layers}-layer student trained without distillation "
                         "(control).")
    print(result)


if __name__ == "__main__":
    main()

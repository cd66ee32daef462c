"""dczoo.distill: distil a DeepConsensus teacher into a smaller student.

* `Distiller`: a `keras.Model` training a student against labels and a frozen
  teacher (the paper's Eq. 1).
* `student_from_teacher` / `layer_mapping` / `copied_weight_pairs`: build a
  student and initialise it from teacher layers (alternating, top, bottom or
  an explicit list).

The LAMB optimiser and its schedule, which teachers use too, live in
`dczoo.optimizers`.
"""

from dczoo.distill.distiller import Distiller
from dczoo.distill.student_init import copied_weight_pairs, layer_mapping, student_from_teacher

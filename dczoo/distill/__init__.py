"""dczoo.distill: distil a DeepConsensus teacher into a smaller student.

* `Distiller`: a `keras.Model` training a student against labels and a frozen
  teacher (the paper's Eq. 1).
* `student_from_teacher` / `layer_mapping` / `copied_weight_pairs`: build a
  student and initialise it from teacher layers (alternating, top, bottom or
  an explicit list).
* `make_optimizer` / `DeepConsensusLamb` / `WarmupLinearDecay`: the reference's
  LAMB optimiser and learning-rate schedule.
"""

from dczoo.distill.distiller import Distiller
from dczoo.distill.optimizer import DeepConsensusLamb
from dczoo.distill.optimizer import WarmupLinearDecay
from dczoo.distill.optimizer import make_optimizer
from dczoo.distill.optimizer import reference_decay_steps
from dczoo.distill.student_init import copied_weight_pairs
from dczoo.distill.student_init import layer_mapping
from dczoo.distill.student_init import student_from_teacher

"""dczoo.losses: training losses and evaluation metrics.

* `AlignmentLoss`: DeepConsensus's soft alignment loss (the training loss).
* `DistillationLoss`: KL or MSE between teacher and student at temperature T.
* Metrics: `WindowAccuracy`, `AlignmentIdentity` / `alignment_identity`, and the
  read-level `read_yield` helpers.
"""

from dczoo.losses.alignment_loss import AlignmentLoss

"""dczoo.losses: training losses and evaluation metrics.

* `AlignmentLoss`: DeepConsensus's soft alignment loss (the training loss).
* `DistillationLoss`: KL or MSE between teacher and student at temperature T.
* `WindowAccuracy` / `window_exact_matches`: exact gap-free window accuracy.
* `align_windows` / `alignment_identity` / `batch_identity`: the reference's
  hard affine-gap alignment identity (numpy, with the full counts);
  `AlignmentIdentity`: the same identity as a Keras metric (keras.ops).
* `read_identity` / `read_yield` / `yield_over_baseline`: read-level yield at
  empirical Q20/Q30/Q40.
"""

from dczoo.losses.alignment_identity import align_windows, alignment_identity, batch_identity
from dczoo.losses.alignment_identity_metric import AlignmentIdentity
from dczoo.losses.alignment_loss import AlignmentLoss
from dczoo.losses.distillation_loss import DistillationLoss
from dczoo.losses.read_yield import empirical_quality, read_identity, read_yield, yield_over_baseline
from dczoo.losses.window_accuracy import WindowAccuracy, window_exact_matches

"""Distillation loss: KL divergence or MSE between teacher and student at temperature T."""

import keras
from keras import ops

from dczoo.errors import DczooInputError

DIVERGENCES = ("mse", "kl")
# Clip used by the KL divergence, as Keras's `kl_divergence`.
KL_EPSILON = 1e-7


def softened_probabilities(logits, temperature):
    """softmax(logits / T) over the last axis, in float32."""
    return ops.softmax(ops.cast(logits, "float32") / temperature, axis=-1)


@keras.saving.register_keras_serializable(package="dczoo")
class DistillationLoss(keras.losses.Loss):
    """Per-position divergence between softened teacher and student outputs.

    Both logit tensors are turned into probabilities with softmax(logits / T);
    the divergence is taken over the 5 classes at each position and averaged
    over the positions, giving one value per example (as DeepConsensus's
    `DistillationLoss`; no T**2 factor is applied):

    * `"mse"`: mean over classes of (p_teacher - p_student)**2 (the released
      setting, with alpha 1e5);
    * `"kl"`: sum over classes of t * log(t / s), both clipped to [1e-7, 1].

    Args:
        divergence: "mse" or "kl".
        temperature: float > 0.
        reduction: Keras reduction; None gives per-example values.
        name: loss name.
        dtype: compute dtype (float32 by default, also under mixed precision).

    Call args:
        y_true: teacher logits (batch, length, classes).
        y_pred: student logits (batch, length, classes).

    Example:
    >>> loss = DistillationLoss("mse", temperature=1.0, reduction=None)
    >>> loss(teacher.compute_logits(x), student.compute_logits(x))  # (batch,)
    """

    def __init__(self, divergence="mse", temperature=1.0,
                 reduction="sum_over_batch_size", name="distillation_loss",
                 dtype="float32"):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if divergence not in DIVERGENCES:
            raise DczooInputError(
                f"DistillationLoss: divergence must be one of {DIVERGENCES}, got {divergence!r}"
            )
        if not temperature > 0:
            raise DczooInputError(
                f"DistillationLoss: temperature must be > 0, got {temperature}"
            )
        self.divergence = divergence
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        teacher = softened_probabilities(y_true, self.temperature)
        student = softened_probabilities(y_pred, self.temperature)
        if self.divergence == "mse":
            per_position = ops.mean(ops.square(teacher - student), axis=-1)
        else:
            teacher = ops.clip(teacher, KL_EPSILON, 1.0)
            student = ops.clip(student, KL_EPSILON, 1.0)
            per_position = ops.sum(teacher * ops.log(teacher / student), axis=-1)
        return ops.mean(per_position, axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"divergence": self.divergence, "temperature": self.temperature})
        return config

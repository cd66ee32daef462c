"""Knowledge distillation of a DeepConsensus corrector (the paper's Eq. 1).

    L_total = student_loss_weight * L(y, p_student) + alpha * L_KD(p_student, p_teacher)

per example, averaged over the batch, where L is the alignment loss and L_KD a
KL or MSE divergence between the temperature-softened teacher and student
distributions, averaged over positions.

Why not `keras.distillation.Distiller`: it combines losses as
`w * student + (1 - w) * sum(weights * distillation)` with `w` in [0, 1], so
Eq. 1's `1 * L + 1e5 * L_KD` is only reachable up to an overall factor; its
`LogitsDistillation` applies softmax to the models' *outputs* and multiplies
KL by T**2, while a `DeepConsensusCorrector` outputs probabilities and the
reference applies no T**2; and it needs the student loss in `compile`. So this
class overrides `compute_loss` (which every backend's stock `train_step` and
`test_step` call, so `fit` / `evaluate` work unchanged on JAX, TensorFlow and
torch) and keeps the same frozen-teacher idea.
"""

import keras
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.losses import AlignmentLoss, DistillationLoss
from dczoo.models import DeepConsensusCorrector

# Released distillation settings (`transformer_learn_values_distill`).
REFERENCE_ALPHA = 1e5
REFERENCE_DIVERGENCE = "mse"
REFERENCE_TEMPERATURE = 1.0


@keras.saving.register_keras_serializable(package="dczoo")
class Distiller(keras.Model):
    """Trains a student corrector to match labels and a frozen teacher.

    Calling the distiller returns the *student's logits* (so that
    `compute_loss` can soften them); use `distiller.student` (or
    `distiller.student.predict`) for probabilities. Metrics: `loss` (= the
    total), `total_loss`, `student_loss` (alignment loss, batch mean) and
    `distillation_loss` (divergence, batch mean, before `alpha`), plus anything
    passed to `compile(metrics=...)`, which receives student logits (the argmax
    metrics in `dczoo.losses` accept logits).

    The teacher is set non-trainable in the constructor, runs with
    `training=False`, and its logits are wrapped in `stop_gradient`; only the
    student's trainable variables are updated.

    Args:
        teacher: `DeepConsensusCorrector` (frozen by this constructor).
        student: `DeepConsensusCorrector`, e.g. from `student_from_teacher`.
        alpha: float. Weight of the distillation term (reference: 1e5 with
            MSE; 500 was used with KL before).
        distillation_loss: "mse" or "kl".
        temperature: float. Softmax temperature of both models (reference 1).
        student_loss: per-example loss of (labels, student probabilities);
            default `AlignmentLoss(del_cost=10, gamma=0.1)`.
        student_loss_weight: float. Weight of the student loss (reference 1).
        **kwargs: `keras.Model` arguments (`name`).

    Example:
    ```python
    teacher = dczoo.models.DeepConsensusCorrector.from_preset("teacher_6layer")
    student = dczoo.distill.student_from_teacher(teacher, 4, init="alternating")
    distiller = dczoo.distill.Distiller(teacher, student, alpha=1e5,
                                        distillation_loss="mse")
    distiller.compile(optimizer=dczoo.optimizers.make_optimizer(1000, warmup_steps=0))
    distiller.fit(train_batches, validation_data=eval_batches, epochs=1)
    distiller.save_to_preset("student_4layer/")   # the student alone
    ```
    """

    def __init__(self, teacher, student, alpha=REFERENCE_ALPHA,
                 distillation_loss=REFERENCE_DIVERGENCE,
                 temperature=REFERENCE_TEMPERATURE, student_loss=None,
                 student_loss_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        for role, model in (("teacher", teacher), ("student", student)):
            if not isinstance(model, DeepConsensusCorrector):
                raise DczooInputError(
                    f"Distiller: {role} must be a DeepConsensusCorrector, got "
                    f"{type(model).__name__}"
                )
        if teacher is student:
            raise DczooInputError("Distiller: teacher and student are the same model")
        if alpha < 0 or student_loss_weight < 0:
            raise DczooInputError(
                f"Distiller: alpha and student_loss_weight must be >= 0, got {alpha} "
                f"and {student_loss_weight}"
            )
        teacher.trainable = False
        self.teacher = teacher
        self.student = student
        self.alpha = float(alpha)
        self.student_loss_weight = float(student_loss_weight)
        self.temperature = float(temperature)
        self.distillation_loss_name = distillation_loss
        self.distillation_loss_fn = DistillationLoss(
            distillation_loss, temperature, reduction=None
        )
        self.student_loss_fn = student_loss or AlignmentLoss(reduction=None)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = keras.metrics.Mean(name="distillation_loss")
        # Both models arrive built (presets, `student_from_teacher`), so the
        # distiller has every variable now: weights (a training checkpoint)
        # load before the first `fit`.
        self.built = bool(teacher.built and student.built)

    def call(self, inputs, training=None):
        return self.student.compute_logits(inputs, training=bool(training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y is None:
            raise DczooInputError("Distiller: training and evaluation need labels (x, y)")
        if y_pred is None:
            y_pred = self(x, training=training)
        student_logits = ops.cast(y_pred, "float32")
        teacher_logits = ops.stop_gradient(
            ops.cast(self.teacher.compute_logits(x, training=False), "float32")
        )
        student_probs = ops.softmax(student_logits, axis=-1)
        student_loss = self._per_example(self.student_loss_fn(y, student_probs),
                                         student_logits)
        distillation_loss = self.distillation_loss_fn(teacher_logits, student_logits)
        per_example = (self.student_loss_weight * student_loss
                       + self.alpha * distillation_loss)
        if sample_weight is not None:
            weights = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
            per_example = per_example * weights
            student_loss = student_loss * weights
            distillation_loss = distillation_loss * weights
        total = ops.mean(per_example)
        self.total_loss_tracker.update_state(total)
        self.student_loss_tracker.update_state(ops.mean(student_loss))
        self.distillation_loss_tracker.update_state(ops.mean(distillation_loss))
        if self.losses:
            total = total + ops.cast(ops.sum(self.losses), "float32")
        return total

    @staticmethod
    def _per_example(values, logits):
        values = ops.cast(values, "float32")
        if len(values.shape) == 0:  # a reducing loss: spread over the batch
            values = ops.ones_like(logits[:, 0, 0]) * values
        return values

    def save_to_preset(self, preset_dir, metadata=None):
        """Saves the student alone as a preset (the teacher is not saved).

        Args:
            preset_dir: str or path.
            metadata: optional dict recorded with the preset.
        """
        self.student.save_to_preset(preset_dir, metadata=metadata)

    def get_config(self):
        return {
            "name": self.name,
            "teacher": keras.saving.serialize_keras_object(self.teacher),
            "student": keras.saving.serialize_keras_object(self.student),
            "alpha": self.alpha,
            "distillation_loss": self.distillation_loss_name,
            "temperature": self.temperature,
            "student_loss": keras.saving.serialize_keras_object(self.student_loss_fn),
            "student_loss_weight": self.student_loss_weight,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("teacher", "student", "student_loss"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

"""LAMB with DeepConsensus's exclusions, and its warmup + linear-decay schedule.

Used to train teachers (from scratch) and students (by distillation) alike.
DeepConsensus trains with the TF Model Garden LAMB, which differs from
`keras.optimizers.Lamb` in two ways that matter here:

* weight decay is added to the Adam direction *before* the layer-wise trust
  ratio is computed (Keras applies decoupled decay separately), and
* variables whose names contain LayerNorm, layer_norm, bias, norm, BatchNorm or
  batch_normalization get neither weight decay nor the trust ratio. In dczoo
  that is `final_norm/{gamma,beta}` and every `.../bias`. The ReZero alphas are
  not excluded (as in the reference, where they are unnamed variables).

`DeepConsensusLamb` implements that update; `make_optimizer` builds it with the
released hyperparameters and schedule.
"""

import re

import keras
from keras import ops

# Released `transformer_learn_values` hyperparameters.
REFERENCE_INITIAL_LEARNING_RATE = 3.6246e-3
REFERENCE_END_LEARNING_RATE = 2.86594e-5
REFERENCE_WARMUP_STEPS = 35536  # teacher only; distillation uses 0
REFERENCE_WEIGHT_DECAY_RATE = 6.9868e-3
REFERENCE_EPOCHS_FOR_DECAY = 9
REFERENCE_BATCH_SIZE = 256
EXCLUDED_NAME_PATTERNS = ("LayerNorm", "layer_norm", "bias", "norm", "BatchNorm",
                          "batch_normalization")


@keras.saving.register_keras_serializable(package="dczoo")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear decay from `initial` to `end` over `decay_steps`, with linear warmup.

    The decay clock starts at step 0. During the first `warmup_steps` steps the
    rate rises linearly from 0 to the decayed value at step `warmup_steps`
    (TF Model Garden `LinearWarmup` around `PolynomialDecay(power=1)`). After
    `decay_steps` the rate stays at `end_learning_rate`.

    Args:
        initial_learning_rate: float.
        end_learning_rate: float.
        decay_steps: int > 0.
        warmup_steps: int >= 0.

    Example:
    >>> schedule = WarmupLinearDecay(1e-3, 1e-5, decay_steps=1000, warmup_steps=100)
    >>> float(schedule(50))  # half of schedule(100)
    """

    def __init__(self, initial_learning_rate, end_learning_rate, decay_steps,
                 warmup_steps=0):
        if decay_steps <= 0 or warmup_steps < 0:
            raise ValueError(
                f"WarmupLinearDecay: need decay_steps > 0 and warmup_steps >= 0, got "
                f"{decay_steps} and {warmup_steps}"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.end_learning_rate = float(end_learning_rate)
        self.decay_steps = int(decay_steps)
        self.warmup_steps = int(warmup_steps)

    def _decayed(self, step):
        progress = ops.minimum(step, float(self.decay_steps)) / float(self.decay_steps)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - progress) + self.end_learning_rate

    def __call__(self, step):
        step = ops.cast(step, "float32")
        decayed = self._decayed(step)
        if self.warmup_steps == 0:
            return decayed
        warmup_steps = float(self.warmup_steps)
        target = self._decayed(ops.convert_to_tensor(warmup_steps, "float32"))
        return ops.where(step < warmup_steps, target * step / warmup_steps, decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "end_learning_rate": self.end_learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
        }


@keras.saving.register_keras_serializable(package="dczoo")
class DeepConsensusLamb(keras.optimizers.Optimizer):
    """LAMB as DeepConsensus uses it (TF Model Garden semantics).

    Per variable: Adam moments with bias correction give
    `update = m_hat / (sqrt(v_hat) + epsilon)`; unless excluded,
    `update += weight_decay_rate * variable`; unless excluded, the update is
    scaled by the trust ratio `||variable|| / ||update||` (1 when either norm
    is 0); then `variable -= learning_rate * ratio * update`.

    Args:
        learning_rate: float or schedule.
        beta_1, beta_2, epsilon: Adam constants (0.9, 0.999, 1e-6).
        weight_decay_rate: float (6.9868e-3).
        exclude_from_weight_decay: regex patterns searched in `variable.path`.
        exclude_from_layer_adaptation: patterns; None means the same list as
            `exclude_from_weight_decay` (the Model Garden default).
        **kwargs: `keras.optimizers.Optimizer` arguments (`name`, clipping, ...).
            Keras's own decoupled `weight_decay` must stay None.

    Example:
    >>> optimizer = DeepConsensusLamb(learning_rate=1e-3)
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-6,
                 weight_decay_rate=REFERENCE_WEIGHT_DECAY_RATE,
                 exclude_from_weight_decay=EXCLUDED_NAME_PATTERNS,
                 exclude_from_layer_adaptation=None, name="deepconsensus_lamb",
                 **kwargs):
        if kwargs.get("weight_decay") is not None:
            raise ValueError(
                "DeepConsensusLamb: use weight_decay_rate, not Keras's weight_decay"
            )
        kwargs.pop("weight_decay", None)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.weight_decay_rate = float(weight_decay_rate)
        self.exclude_from_weight_decay = tuple(exclude_from_weight_decay or ())
        self.exclude_from_layer_adaptation = (
            None if exclude_from_layer_adaptation is None
            else tuple(exclude_from_layer_adaptation)
        )

    def _layer_adaptation_patterns(self):
        if self.exclude_from_layer_adaptation is None:
            return self.exclude_from_weight_decay
        return self.exclude_from_layer_adaptation

    @staticmethod
    def _matches(variable, patterns):
        path = getattr(variable, "path", None) or variable.name
        return any(re.search(pattern, path) for pattern in patterns)

    def uses_weight_decay(self, variable):
        """Whether `variable` gets weight decay."""
        return self.weight_decay_rate > 0 and not self._matches(
            variable, self.exclude_from_weight_decay
        )

    def uses_layer_adaptation(self, variable):
        """Whether `variable`'s update is scaled by the trust ratio."""
        return not self._matches(variable, self._layer_adaptation_patterns())

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), step)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign_add(m, (gradient - m) * (1 - self.beta_1))
        self.assign_add(v, (ops.square(gradient) - v) * (1 - self.beta_2))
        m_hat = m / (1.0 - beta_1_power)
        v_hat = v / (1.0 - beta_2_power)
        update = m_hat / (ops.sqrt(v_hat) + self.epsilon)
        if self.uses_weight_decay(variable):
            update = update + self.weight_decay_rate * variable
        if self.uses_layer_adaptation(variable):
            w_norm = ops.sqrt(ops.sum(ops.square(variable)))
            u_norm = ops.sqrt(ops.sum(ops.square(update)))
            safe = ops.logical_and(w_norm > 0, u_norm > 0)
            ratio = ops.where(safe, w_norm / ops.where(safe, u_norm, 1.0), 1.0)
            update = ratio * update
        self.assign_sub(variable, lr * update)

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "weight_decay_rate": self.weight_decay_rate,
            "exclude_from_weight_decay": list(self.exclude_from_weight_decay),
            "exclude_from_layer_adaptation": (
                None if self.exclude_from_layer_adaptation is None
                else list(self.exclude_from_layer_adaptation)
            ),
        })
        config.pop("weight_decay", None)
        return config


def reference_decay_steps(num_train_examples, batch_size=REFERENCE_BATCH_SIZE,
                          num_epochs_for_decay=REFERENCE_EPOCHS_FOR_DECAY):
    """The reference's decay length: (examples // batch size) * decay epochs."""
    return (int(num_train_examples) // int(batch_size)) * int(num_epochs_for_decay)


def make_optimizer(decay_steps, warmup_steps="auto",
                   initial_learning_rate=REFERENCE_INITIAL_LEARNING_RATE,
                   end_learning_rate=REFERENCE_END_LEARNING_RATE,
                   weight_decay_rate=REFERENCE_WEIGHT_DECAY_RATE,
                   beta_1=0.9, beta_2=0.999, epsilon=1e-6, **kwargs):
    """LAMB with the reference's hyperparameters and warmup + linear decay.

    Everything defaults to the released DeepConsensus values except the
    warmup, whose reference length (35,536 steps) is longer than a whole CPU
    run: `"auto"` uses min(35,536, decay_steps // 10). Pass
    `warmup_steps=REFERENCE_WARMUP_STEPS` to train a teacher exactly as the
    reference, and `warmup_steps=0` for distillation (the reference's student
    has no warmup).

    Args:
        decay_steps: int. Steps of the linear decay; for the reference,
            `reference_decay_steps(num_train_examples)`. For a short run, the
            total number of training steps.
        warmup_steps: int or "auto".
        initial_learning_rate, end_learning_rate: floats (3.6246e-3, 2.86594e-5).
        weight_decay_rate: float (6.9868e-3).
        beta_1, beta_2, epsilon: Adam constants (0.9, 0.999, 1e-6).
        **kwargs: more `DeepConsensusLamb` arguments.

    Returns:
        `DeepConsensusLamb` with a `WarmupLinearDecay` learning rate.

    Example:
    >>> optimizer = make_optimizer(decay_steps=2000, warmup_steps=0)
    >>> distiller.compile(optimizer=optimizer)
    """
    if warmup_steps == "auto":
        warmup_steps = min(REFERENCE_WARMUP_STEPS, int(decay_steps) // 10)
    schedule = WarmupLinearDecay(initial_learning_rate, end_learning_rate,
                                 decay_steps, warmup_steps)
    return DeepConsensusLamb(learning_rate=schedule, beta_1=beta_1, beta_2=beta_2,
                             epsilon=epsilon, weight_decay_rate=weight_decay_rate,
                             **kwargs)

"""The training loop shared by train_teacher.py, train_student.py and
distill_student.py: data, optimizer, callbacks, resume, presets out.

Every run writes into its `--out` folder: `settings.json` (exact arguments and
environment), `log.csv` (train metrics every 50 steps, eval metrics per epoch),
`tensorboard/`, `checkpoint/` (weights + optimizer state + epoch: rerunning
the same command resumes), `best/` (preset of the epoch with the highest eval
window accuracy, the reference's checkpoint pick) and `final/` (last epoch).
"""

import argparse
import json
import math
import os
import time

import keras

from recipe_utils import ResumableCheckpoint, StepCSVLogger, record_settings, tensorboard_callback


def add_training_arguments(parser):
    """Adds the options every training recipe shares."""
    parser.add_argument("--data", required=True,
                        help="windows folder written by `dczoo preprocess` (train + eval splits)")
    parser.add_argument("--out", required=True, help="run folder (resumes if it exists)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=4000, help="total optimizer steps")
    parser.add_argument("--steps-per-epoch", type=int, default=250,
                        help="steps between evaluations and checkpoints")
    parser.add_argument("--eval-batches", type=int, default=40,
                        help="eval batches per evaluation (0: the whole eval split)")
    parser.add_argument("--optimizer", choices=["adam", "lamb"], default="adam",
                        help="adam (CPU default: warmup, cosine decay, clipnorm 1) or the "
                             "reference's LAMB with warmup + linear decay")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=0,
                        help="stop after this many minutes of training (0: run all --steps); the "
                             "learning rate then follows warmup + cosine decay over the time, not the "
                             "steps, so a run cut by time still ends decayed")
    parser.add_argument("--snapshot-every", type=int, default=0,
                        help="also keep a preset every N epochs in snapshots/epoch_NNN (0: none), "
                             "for learning curves")
    parser.add_argument("--dtype-policy", choices=["float32", "mixed_bfloat16"], default="float32",
                        help="compute dtype while training; mixed_bfloat16 keeps float32 variables "
                             "(2.1x faster on TensorFlow on AVX512-BF16 CPUs, "
                             "benchmarks/bench_training_precision.py); presets are saved in float32")
    parser.add_argument("--data-parallel", action="store_true",
                        help="keras.distribution.DataParallel over all devices (JAX backend)")
    return parser


def hardware():
    """What the run trains on, e.g. "x86_64, 2 CPUs" or "NVIDIA H100 80GB HBM3 (gpu), 16 CPUs"."""
    import platform

    devices = []
    try:
        backend = keras.config.backend()
        if backend == "jax":
            import jax

            devices = [d.device_kind for d in jax.devices() if d.platform != "cpu"]
        elif backend == "tensorflow":
            import tensorflow as tf

            devices = [d.name for d in tf.config.list_physical_devices("GPU")]
        elif backend == "torch":
            import torch

            devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a description only
        devices = []
    cpus = f"{os.cpu_count()} CPUs"
    if devices:
        return f"{devices[0]} x{len(devices)} (gpu), {cpus}"
    return f"{platform.machine()}, {cpus}"


def build_parser(description):
    parser = argparse.ArgumentParser(description=description)
    return add_training_arguments(parser)


def make_optimizer(args):
    """The optimizer the arguments ask for."""
    if getattr(args, "max_minutes", 0):
        # the learning rate is set every step by TimeBudget
        return keras.optimizers.Adam(learning_rate=args.learning_rate, global_clipnorm=1.0)
    if args.optimizer == "lamb":
        from dczoo.optimizers import make_optimizer as reference_optimizer

        return reference_optimizer(args.steps, warmup_steps=args.warmup_steps)
    decay = keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(args.steps - args.warmup_steps, 1),
        alpha=0.05,
        warmup_target=args.learning_rate,
        warmup_steps=args.warmup_steps,
    )
    return keras.optimizers.Adam(learning_rate=decay, global_clipnorm=1.0)


def datasets(args):
    """(train, eval) `WindowDataset`s of the data folder."""
    from dczoo.data import WindowDataset

    train = WindowDataset(args.data, "train", batch_size=args.batch_size, seed=args.seed,
                          drop_remainder=True)
    evaluation = WindowDataset(args.data, "eval", batch_size=args.batch_size, shuffle=False)
    return train, evaluation


def setup_distribution(args):
    """Sets the training dtype policy, and data parallelism over all devices when asked (JAX)."""
    keras.config.set_dtype_policy(getattr(args, "dtype_policy", "float32"))
    if not args.data_parallel:
        return None
    if keras.config.backend() != "jax":
        raise SystemExit("--data-parallel needs KERAS_BACKEND=jax")
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    keras.distribution.set_distribution(distribution)
    return distribution


def save_preset(corrector, folder, metadata):
    """Saves `corrector` as a float32 preset, whatever policy it trained under.

    A model trained under `mixed_bfloat16` holds float32 variables but its
    config names the mixed policy; the preset gets a float32 copy so that it
    loads and predicts like any other (inference precision is chosen at load
    time, `dczoo correct --precision`).
    """
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

    if corrector.dtype_policy.name != "float32":
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("float32")  # the functional models take the global policy
        try:
            backbone = DeepConsensusBackbone.from_config(
                dict(corrector.backbone.get_config(), dtype="float32"))
            copy = DeepConsensusCorrector(backbone, quality_calibration=corrector.quality_calibration,
                                          draft_quality_calibration=corrector.draft_quality_calibration)
        finally:
            keras.config.set_dtype_policy(policy)
        copy.set_weights(corrector.get_weights())
        corrector = copy
    corrector.save_to_preset(folder, metadata=metadata)


class BestPreset(keras.callbacks.Callback):
    """Saves `corrector` as a preset whenever the monitored metric improves."""

    def __init__(self, corrector, folder, monitor, metadata):
        super().__init__()
        self.corrector = corrector
        self.folder = folder
        self.monitor = monitor
        self.metadata = metadata
        self.best_path = folder + ".json"
        self.best = -math.inf
        if os.path.exists(self.best_path):
            with open(self.best_path) as handle:
                self.best = json.load(handle)["value"]

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or value < self.best:
            return
        self.best = float(value)
        save_preset(self.corrector, self.folder,
                    dict(self.metadata, best_epoch=epoch, **{f"best_{self.monitor}": self.best}))
        with open(self.best_path, "w") as handle:
            json.dump({"epoch": epoch, "value": self.best}, handle)


class TimeBudget(keras.callbacks.Callback):
    """Warmup then cosine decay of the learning rate over wall-clock time; stops at the budget.

    Args:
        minutes: float, the training budget.
        learning_rate: float, the peak rate.
        warmup_steps: int.
        alpha: float, the final rate as a share of the peak.
        elapsed: float, minutes already trained (a resumed run).
    """

    def __init__(self, minutes, learning_rate, warmup_steps, alpha=0.05, elapsed=0.0):
        super().__init__()
        self.seconds = minutes * 60
        self.peak, self.warmup, self.alpha = learning_rate, warmup_steps, alpha
        self.offset = elapsed * 60
        self.start = None
        self.step = 0

    def elapsed_minutes(self):
        return (self.offset + (time.time() - self.start if self.start else 0.0)) / 60

    def on_train_begin(self, logs=None):
        self.start = time.time()
        self.step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_batch_begin(self, batch, logs=None):
        fraction = min(self.elapsed_minutes() * 60 / self.seconds, 1.0)
        rate = self.peak * (self.alpha + (1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * fraction)))
        if self.step < self.warmup:
            rate = min(rate, self.peak * (self.step + 1) / self.warmup)
        self.model.optimizer.learning_rate.assign(rate)
        self.step += 1

    def on_train_batch_end(self, batch, logs=None):
        if self.elapsed_minutes() * 60 >= self.seconds:
            self.model.stop_training = True


class Snapshots(keras.callbacks.Callback):
    """Saves `corrector` as a preset every `every` epochs (snapshots/epoch_NNN)."""

    def __init__(self, corrector, folder, every, metadata):
        super().__init__()
        self.corrector, self.folder, self.every, self.metadata = corrector, folder, every, metadata

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            save_preset(self.corrector, os.path.join(self.folder, f"epoch_{epoch + 1:03d}"),
                        dict(self.metadata, epoch=epoch + 1, logs={k: float(v) for k, v in (logs or {}).items()}))


def _write_json(path, data):
    with open(path + ".tmp", "w") as handle:
        json.dump(data, handle)
    os.replace(path + ".tmp", path)


def evaluate_start(trainable, args):
    """Validation logs of the weights before any step, on the eval batches `fit` uses.

    Args:
        trainable: a compiled `keras.Model`.
        args: parsed arguments (see `add_training_arguments`).

    Returns:
        dict `val_loss`, `val_<metric>` (as the epochs of `fit` log them).

    Example:
    ```
    python recipes/train_teacher.py --data data/windows_train --out unused --init-from teacher_6layer \
        --eval-batches 60 --dtype-policy mixed_bfloat16 --evaluate-only
    ```
    """
    _, evaluation = datasets(args)
    logs = trainable.evaluate(evaluation, steps=args.eval_batches or None, verbose=0, return_dict=True)
    return {f"val_{name}": float(value) for name, value in logs.items()}


def fit(trainable, corrector, args, metadata, monitor="val_window_accuracy"):
    """Compiles nothing; runs (or resumes) `trainable.fit` and saves presets.

    Args:
        trainable: a compiled `keras.Model` (the corrector itself, or a
            `Distiller` around it).
        corrector: the `DeepConsensusCorrector` being trained.
        args: parsed arguments (see `add_training_arguments`).
        metadata: dict recorded in the presets' metadata.json.
        monitor: metric picking `best/`.

    Returns:
        dict with the final logs and the wall-clock seconds.
    """
    train, evaluation = datasets(args)
    record_settings(args.out, args, extra={
        "train_windows": train.batches.num_windows if hasattr(train.batches, "num_windows") else None,
        "parameters": int(corrector.count_params()),
    })
    checkpoint = ResumableCheckpoint(os.path.join(args.out, "checkpoint"), trainable)
    initial_epoch = checkpoint.restore()
    epochs = math.ceil(args.steps / args.steps_per_epoch)
    callbacks = [
        checkpoint,
        StepCSVLogger(os.path.join(args.out, "log.csv")),
        BestPreset(corrector, os.path.join(args.out, "best"), monitor, metadata),
    ]
    budget = None
    if getattr(args, "max_minutes", 0):
        elapsed = 0.0
        state = os.path.join(args.out, "time_budget.json")
        if initial_epoch and os.path.exists(state):
            with open(state) as handle:
                elapsed = json.load(handle)["minutes"]
        budget = TimeBudget(args.max_minutes, args.learning_rate, args.warmup_steps, elapsed=elapsed)
        callbacks.insert(0, budget)
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: _write_json(
            state, {"minutes": budget.elapsed_minutes(), "epoch": epoch})))
    if getattr(args, "snapshot_every", 0):
        callbacks.append(Snapshots(corrector, os.path.join(args.out, "snapshots"), args.snapshot_every,
                                   metadata))
    board = tensorboard_callback(os.path.join(args.out, "tensorboard"))
    if board is not None:
        callbacks.append(board)
    if initial_epoch:
        print(f"resuming at epoch {initial_epoch} of {epochs}")
    start = time.time()
    history = trainable.fit(
        train,
        epochs=epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=args.steps_per_epoch,
        validation_data=evaluation,
        validation_steps=args.eval_batches or None,
        callbacks=callbacks,
        verbose=2,
    )
    seconds = time.time() - start
    logs = {k: float(v[-1]) for k, v in history.history.items()} if history.history else {}
    save_preset(corrector, os.path.join(args.out, "final"),
                dict(metadata, final_logs=logs, train_seconds=seconds))
    with open(os.path.join(args.out, "done.json"), "w") as handle:
        json.dump({"logs": logs, "seconds_this_session": seconds}, handle, indent=1)
    return {"logs": logs, "seconds": seconds}

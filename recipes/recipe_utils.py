"""Pieces shared by the training recipes: settings records, resumable
checkpoints (weights + optimizer state + epoch), step-level CSV logs."""

import csv
import datetime
import json
import os
import platform
import subprocess
import time

import keras
import numpy as np


def record_settings(out_dir, args, extra=None, name="settings.json"):
    """Writes `settings.json` with the exact arguments and environment.

    Args:
        out_dir: str. Output folder of the run (created).
        args: argparse.Namespace or dict of the recipe's arguments.
        extra: dict or None. Anything else worth recording.
        name: str, the file name inside `out_dir`.

    Returns:
        dict: what was written.
    """
    import dczoo

    os.makedirs(out_dir, exist_ok=True)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=os.path.dirname(__file__),
        ).stdout.strip()
    except OSError:
        commit = ""
    record = {
        "arguments": dict(vars(args)) if not isinstance(args, dict) else dict(args),
        "keras_backend": keras.config.backend(),
        "keras_version": keras.__version__,
        "dczoo_version": dczoo.__version__,
        "git_commit": commit,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }
    record.update(extra or {})
    path = os.path.join(out_dir, name)
    with open(path + ".tmp", "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True, default=str)
    os.replace(path + ".tmp", path)
    return record


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state and the epoch after every epoch.

    `restore()` (call it after `compile`, before `fit`) reloads the last
    state and returns the epoch to pass as `fit(initial_epoch=...)`, so an
    interrupted run continues where it stopped. Files are replaced
    atomically.

    Args:
        directory: str. Where `checkpoint.weights.h5`,
            `checkpoint.optimizer.npz` and `checkpoint.json` live.
        model_to_save: the `keras.Model` whose weights are saved (for a
            Distiller: the distiller itself, so the student and the optimizer
            state come back together).
    """

    def __init__(self, directory, model_to_save):
        super().__init__()
        self.directory = directory
        self.model_to_save = model_to_save
        os.makedirs(directory, exist_ok=True)
        self.weights_path = os.path.join(directory, "checkpoint.weights.h5")
        self.optimizer_path = os.path.join(directory, "checkpoint.optimizer.npz")
        self.state_path = os.path.join(directory, "checkpoint.json")

    def restore(self):
        """Loads the last checkpoint if any; returns the next epoch (0 if none)."""
        if not os.path.exists(self.state_path):
            return 0
        with open(self.state_path) as handle:
            state = json.load(handle)
        self.model_to_save.load_weights(self.weights_path)
        optimizer = self.model_to_save.optimizer
        if not optimizer.built:
            optimizer.build(self.model_to_save.trainable_variables)
        stored = np.load(self.optimizer_path)
        values = [stored[f"v{i}"] for i in range(len(stored.files))]
        if len(values) != len(optimizer.variables):
            raise RuntimeError(
                f"{self.optimizer_path} holds {len(values)} optimizer variables, "
                f"the optimizer has {len(optimizer.variables)}: settings changed?"
            )
        for variable, value in zip(optimizer.variables, values):
            variable.assign(value)
        return int(state["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        model = self.model_to_save
        model.save_weights(self.weights_path + ".tmp.weights.h5")
        os.replace(self.weights_path + ".tmp.weights.h5", self.weights_path)
        values = {
            f"v{i}": keras.ops.convert_to_numpy(v)
            for i, v in enumerate(model.optimizer.variables)
        }
        np.savez(self.optimizer_path + ".tmp.npz", **values)
        os.replace(self.optimizer_path + ".tmp.npz", self.optimizer_path)
        state = {"epoch": epoch, "logs": {k: float(v) for k, v in (logs or {}).items()}}
        with open(self.state_path + ".tmp", "w") as handle:
            json.dump(state, handle)
        os.replace(self.state_path + ".tmp", self.state_path)


class StepCSVLogger(keras.callbacks.Callback):
    """Appends training metrics every `every` steps and validation metrics at
    each epoch end to a CSV file (one row per event, with wall-clock time)."""

    def __init__(self, path, every=50):
        super().__init__()
        self.path = path
        self.every = every
        self.step = 0
        self.start = time.time()

    def _write(self, kind, epoch, logs):
        new = not os.path.exists(self.path)
        with open(self.path, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["kind", "epoch", "step", "seconds", "metric", "value"])
            for key, value in sorted((logs or {}).items()):
                writer.writerow(
                    [kind, epoch, self.step, round(time.time() - self.start, 1), key,
                     float(value)]
                )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            self._write("train", self.epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._write("epoch", epoch, logs)


def tensorboard_callback(log_dir):
    """A TensorBoard callback when TensorFlow is installed, else None."""
    try:
        import tensorboard  # noqa: F401
        import tensorflow  # noqa: F401
    except ImportError:
        return None
    return keras.callbacks.TensorBoard(log_dir=log_dir, update_freq=50)

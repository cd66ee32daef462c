"""What runs the model in `dczoo correct`: the engine interface.

An engine turns windows into probabilities, knows the window geometry its
model expects, the model's own quality calibration, and describes itself
for the run summary. Two engines implement `Engine`: `BatchedPredictor`
(Keras, on the configured backend; `engine="keras"`) and `OnnxPredictor`
(an exported ONNX model in ONNX Runtime; `engine="onnxruntime"`).
Preprocessing, stitching, filters and writers are the same code for both.
"""

import importlib
import time

import numpy as np

from dczoo.constants import VOCAB_SIZE, WindowLayout
from dczoo.errors import DczooInputError

# `--engine` name -> the `dczoo.inference` class implementing it (default first).
_ENGINE_CLASSES = {"keras": "BatchedPredictor", "onnxruntime": "OnnxPredictor"}
ENGINES = tuple(_ENGINE_CLASSES)

_GEOMETRY = ("max_passes", "use_ccs_bq", "window_length")


class Engine:
    """A model behind `predict(windows) -> probabilities`, in batches.

    Subclasses set `name` (the `--engine` value), `default_batch_size` and
    `backend`, and implement `load` (a classmethod), `_call(windows)` (one
    batch through the model), `_geometry_source()` (an object with
    `max_passes`, `use_ccs_bq` and `window_length`) and `description()`;
    they may pad partial batches by overriding `padded_batch`.

    Args:
        model: what runs the windows; it has `quality_calibration`.
        batch_size: int. Windows per model call.

    Attributes:
        model: the model.
        batch_size: int.
        model_seconds: float. Time spent in model calls so far.
        n_predicted: int. Windows predicted so far (without padding).
        n_padded: int. Padding windows computed so far.
        compiled_shapes: set of int, the batch sizes the model ran with.
        threads: dict. The model runtime's thread cap, as
            `dczoo.inference.threads.limit_model_threads` reported it.
        batch_invariant: bool. Whether a window's output does not depend on
            the other windows of its batch. When False (an ONNX model with
            dynamic int8 quantization: one activation scale per call),
            `ZmwCorrector` never puts two ZMWs in one batch, so a read is the
            same whichever reads ran with it (`--chunk` shards merge into the
            single run's output).

    Example:
    ```python
    engine = load_engine("student_4layer", "keras", batch_size=64)
    windows = np.zeros((10, engine.layout.num_rows, engine.window_length), np.float32)
    probs = engine.predict(windows)  # (10, 100, 5)
    engine.description()["engine"], engine.n_predicted  # ("keras", 10)
    ```
    """

    name = None
    default_batch_size = None
    backend = None
    batch_invariant = True

    def __init__(self, model, batch_size):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.batch_size = int(batch_size)
        self.model_seconds = 0.0
        self.n_predicted = 0
        self.n_padded = 0
        self.compiled_shapes = set()
        self.threads = {"requested": None, "applied": "runtime default"}

    @classmethod
    def load(cls, model, precision="float32", batch_size=None, jit_compile="auto", verify=True,
             threads=None):
        """The engine of a model handle (see `load_engine`)."""
        raise NotImplementedError

    def _call(self, windows):
        raise NotImplementedError

    def _geometry_source(self):
        raise NotImplementedError

    def description(self):
        """A dict describing the model (the run summary's `model`)."""
        raise NotImplementedError

    @property
    def quality_calibration(self):
        """str or None: the model's own calibration ("threshold,w,b" or "knots:...")."""
        return self.model.quality_calibration

    @property
    def draft_quality_calibration(self):
        """str or None: the calibration the model recommends for kept draft qualities."""
        return getattr(self.model, "draft_quality_calibration", None)

    @property
    def max_passes(self):
        return self._geometry_source().max_passes

    @property
    def use_ccs_bq(self):
        return self._geometry_source().use_ccs_bq

    @property
    def window_length(self):
        return self._geometry_source().window_length

    @property
    def layout(self):
        """The `WindowLayout` of the windows the model takes."""
        return WindowLayout(self.max_passes, self.use_ccs_bq)

    def geometry(self):
        """`{"max_passes", "use_ccs_bq", "window_length"}` of the model's
        windows (keyword arguments of `dczoo.data.iter_zmw_windows`)."""
        return {key: getattr(self, key) for key in _GEOMETRY}

    def padded_batch(self, n):
        """The batch size `n` windows are run as (`n`: no padding)."""
        return n

    def predict_batch(self, windows):
        """Predicts one batch of at most `batch_size` windows.

        Args:
            windows: float32 `(n, rows, length)` numpy array, `n <= batch_size`.

        Returns:
            float32 `(n, length, 5)` probabilities.
        """
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        n = windows.shape[0]
        if n == 0:
            return np.zeros((0, windows.shape[2], VOCAB_SIZE), np.float32)
        if n > self.batch_size:
            raise ValueError(f"{n} windows exceed batch_size {self.batch_size}")
        size = self.padded_batch(n)
        if size > n:
            padding = np.zeros((size - n,) + windows.shape[1:], np.float32)
            windows = np.concatenate([windows, padding])
        start = time.perf_counter()
        probs = self._call(windows)
        self.model_seconds += time.perf_counter() - start
        self.compiled_shapes.add(size)
        self.n_predicted += n
        self.n_padded += size - n
        return np.asarray(probs[:n], dtype=np.float32)

    def predict(self, windows):
        """Predicts any number of windows, `batch_size` at a time.

        Args:
            windows: float32 `(n, rows, length)` or `(n, rows, length, 1)`.

        Returns:
            float32 `(n, length, 5)` probabilities.
        """
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim == 4:
            windows = windows[..., 0]
        parts = [
            self.predict_batch(windows[start : start + self.batch_size])
            for start in range(0, windows.shape[0], self.batch_size)
        ]
        if not parts:
            return np.zeros((0, windows.shape[2], VOCAB_SIZE), np.float32)
        return np.concatenate(parts)


def load_engine(model=None, engine="keras", precision="float32", batch_size=None,
                jit_compile="auto", verify=True, threads=None):
    """Opens the engine that runs a correction.

    Args:
        model: for "keras", a preset handle, DeepConsensus checkpoint, a
            `DeepConsensusCorrector` or None (the default preset); for
            "onnxruntime", an `.onnx` file from `dczoo export`.
        engine: str, one of `ENGINES`.
        precision: "float32", "bfloat16" or "int8" (keras engine only).
        batch_size: int or None. Windows per call (None: the engine's
            `default_batch_size`).
        jit_compile: bool or "auto". XLA for the TensorFlow backend.
        verify: bool. Check a preset against the sha256 manifest of its
            metadata.json (keras engine; see `load_corrector`).
        threads: int or None. CPU threads of the model's runtime
            (`dczoo.inference.threads.limit_model_threads`; None: its default).

    Returns:
        `Engine`, with `threads` (what `limit_model_threads` reported).

    Raises:
        DczooInputError: an unknown engine, or a model or precision the
            engine cannot run.

    Example:
    ```python
    engine = load_engine("student_4layer.onnx", "onnxruntime")
    probs = engine.predict(windows)
    ```
    """
    if engine not in _ENGINE_CLASSES:
        raise DczooInputError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    cls = getattr(importlib.import_module("dczoo.inference"), _ENGINE_CLASSES[engine])
    return cls.load(model, precision=precision, batch_size=batch_size, jit_compile=jit_compile,
                    verify=verify, threads=threads)

"""The `keras` engine: compiled, batched model prediction for each backend.

`BatchedPredictor` (a `dczoo.inference.engine.Engine`) turns any number of
windows into probabilities with as little per-call overhead as each backend
allows:

* TensorFlow: one `tf.function` graph traced once for a variable batch
  dimension (oneDNN kernels need no fixed shape, so nothing is padded);
  `jit_compile=True` compiles it with XLA instead (fixed shapes).
* JAX: `jax.jit` of the model's stateless call, compiled once per batch
  shape; windows are fed in batches of exactly `batch_size`, and the last,
  partial batch is padded to the next of a few fixed sizes so that at most
  a handful of shapes is ever compiled.
* PyTorch: the eager model under `torch.inference_mode()`.

Example:
```python
predictor = BatchedPredictor(model, batch_size=256)
probs = predictor.predict(windows)  # (n, 100, 5) float32 numpy
```
"""

import os
import weakref

import numpy as np

from dczoo.errors import DczooInputError
from dczoo.inference.engine import Engine

DEFAULT_BATCH_SIZE = 256

# Peak resident memory of `dczoo correct` measured with the teacher on
# TensorFlow (docs/correct.md): about 1 GB of runtime, model and data, plus
# about 1.7 MB per window of a batch.
RUNTIME_MEMORY_BYTES = 1_000_000_000
MEMORY_PER_WINDOW_BYTES = 1_700_000


def available_memory():
    """Bytes of memory this process can still use, or None when unknown.

    The smaller of the kernel's `MemAvailable` and what the cgroup (a
    container's memory limit) leaves.

    Returns:
        int or None.

    Example:
    ```python
    available_memory()  # e.g. 21474836480
    ```
    """
    candidates = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as limit, open("/sys/fs/cgroup/memory.current") as used:
            text = limit.read().strip()
            if text != "max":
                candidates.append(int(text) - int(used.read().strip()))
    except (OSError, ValueError):
        pass
    return min(candidates) if candidates else None


def batch_memory(batch_size):
    """Estimated peak memory of a correction run with `batch_size` windows per call.

    Args:
        batch_size: int.

    Returns:
        int, bytes.

    Example:
    >>> batch_memory(256)
    1435200000
    """
    return RUNTIME_MEMORY_BYTES + MEMORY_PER_WINDOW_BYTES * int(batch_size)


def check_batch_memory(batch_size, available=None):
    """Refuses a batch size whose estimated memory exceeds the available memory.

    Args:
        batch_size: int or None (None: nothing to check).
        available: int bytes, or None for `available_memory()`.

    Raises:
        DczooInputError: naming the estimate, the memory available and the
            largest batch size that fits.

    Example:
    ```python
    check_batch_memory(1_000_000_000)  # DczooInputError: --batch-size 1000000000 needs ...
    ```
    """
    if batch_size is None:
        return
    available = available_memory() if available is None else available
    needed = batch_memory(batch_size)
    if available is None or needed <= available:
        return
    largest = max(0, (available - RUNTIME_MEMORY_BYTES) // MEMORY_PER_WINDOW_BYTES)
    advice = f"use --batch-size {largest} or less" if largest else "free some memory"
    raise DczooInputError(
        f"--batch-size {batch_size} needs about {needed / 1e9:,.1f} GB of memory (1 GB + 1.7 MB per "
        f"window) but {available / 1e9:,.1f} GB is available; {advice}"
    )

# Compiled forward functions per model, so that repeated runs with the same
# model (e.g. `correct()` called per shard) do not compile again.
_COMPILED = weakref.WeakKeyDictionary()


def _cached(model, key, build):
    functions = _COMPILED.setdefault(model, {})
    if key not in functions:
        functions[key] = build()
    return functions[key]


def padded_size(n, batch_size, smallest=32):
    """The fixed batch size a partial batch of `n` windows is padded to.

    Sizes are `smallest`, `2 * smallest`, ... (powers of two times
    `smallest`) and `batch_size` itself, so a run compiles few shapes.

    Example:
    >>> [padded_size(n, 256) for n in (1, 32, 33, 200, 256)]
    [32, 32, 64, 256, 256]
    """
    if n >= batch_size:
        return batch_size
    size = min(smallest, batch_size)
    while size < n:
        size *= 2
    return min(size, batch_size)


class BatchedPredictor(Engine):
    """Runs a corrector over windows in fixed-size batches (the keras engine).

    Args:
        model: `DeepConsensusCorrector` (any Keras model mapping windows
            `(batch, rows, length)` to `(batch, length, 5)`; the window
            geometry is read from its `backbone`).
        batch_size: int. Windows per model call.
        jit_compile: bool or "auto". TensorFlow only: XLA-compile the graph
            (fixed shapes). "auto" means False (measured slower or equal on
            CPUs here, and every new shape costs a compilation).
        description: optional dict describing the model (from
            `load_corrector`), for `description()`.

    Attributes:
        backend: str. The Keras backend in use.
        model_seconds, n_predicted, n_padded, compiled_shapes: see `Engine`.
    """

    name = "keras"
    default_batch_size = DEFAULT_BATCH_SIZE

    def __init__(self, model, batch_size=DEFAULT_BATCH_SIZE, jit_compile="auto",
                 description=None):
        super().__init__(model, batch_size)
        import keras

        self.backend = keras.backend.backend()
        self.jit_compile = jit_compile is True
        self._description = dict(description or {}, engine=self.name)
        self._forward = self._build_call()

    @classmethod
    def load(cls, model, precision="float32", batch_size=None, jit_compile="auto", verify=True,
             threads=None):
        """The keras engine of a preset, checkpoint or model (`load_corrector`).

        Args:
            model: see `dczoo.inference.model_loading.load_corrector`.
            precision: "float32", "bfloat16" or "int8".
            batch_size: int or None (`DEFAULT_BATCH_SIZE`).
            jit_compile: bool or "auto".
            verify: bool. See `load_corrector`.
            threads: int or None. Threads of the Keras backend's runtime
                (`limit_model_threads`), set before the model is built.

        Returns:
            `BatchedPredictor`.
        """
        import keras

        from dczoo.inference.model_loading import load_corrector
        from dczoo.inference.threads import limit_model_threads

        if isinstance(model, (str, os.PathLike)) and os.fspath(model).lower().endswith(".onnx"):
            raise DczooInputError(
                f"--model {os.fspath(model)}: an ONNX model runs with --engine onnxruntime"
            )
        applied = limit_model_threads(threads, keras.backend.backend())
        model, description = load_corrector(model, precision, verify=verify)
        engine = cls(model, batch_size or cls.default_batch_size, jit_compile, description)
        engine.threads = applied
        return engine

    def _geometry_source(self):
        return self.model.backbone

    def description(self):
        """A dict describing the model (for the run summary)."""
        return dict(self._description)

    @property
    def pads_batches(self):
        """Whether partial batches are padded to fixed shapes."""
        return self.backend == "jax" or (self.backend == "tensorflow" and self.jit_compile)

    def padded_batch(self, n):
        """`padded_size(n, batch_size)` on backends with fixed shapes, else `n`."""
        return padded_size(n, self.batch_size) if self.pads_batches else n

    def _call(self, windows):
        return self._forward(windows)

    def _build_call(self):
        if self.backend == "tensorflow":
            return self._tensorflow_call()
        if self.backend == "jax":
            return self._jax_call()
        if self.backend == "torch":
            return self._torch_call()
        import keras

        return lambda windows: keras.ops.convert_to_numpy(self.model(windows, training=False))

    def _tensorflow_call(self):
        import tensorflow as tf

        model_ref = weakref.ref(self.model)
        rows, length = self.model.input_shape[-2:]
        jit_compile = self.jit_compile

        def build(batch):
            signature = [tf.TensorSpec((batch, rows, length), tf.float32)]

            @tf.function(input_signature=signature, jit_compile=jit_compile)
            def forward(windows):
                return model_ref()(windows, training=False)

            return forward

        def call(windows):
            # Graph mode traces once for any batch (None); XLA once per size.
            batch = windows.shape[0] if jit_compile else None
            forward = _cached(self.model, ("tensorflow", jit_compile, batch),
                              lambda: build(batch))
            return forward(tf.constant(windows)).numpy()

        return call

    def _jax_call(self):
        import jax

        model_ref = weakref.ref(self.model)
        trainable = [v.value for v in self.model.trainable_variables]
        non_trainable = [v.value for v in self.model.non_trainable_variables]

        def build():
            @jax.jit
            def forward(trainable, non_trainable, windows):
                outputs, _ = model_ref().stateless_call(
                    trainable, non_trainable, windows, training=False
                )
                return outputs

            return forward

        forward = _cached(self.model, ("jax",), build)
        return lambda windows: np.asarray(forward(trainable, non_trainable, windows))

    def _torch_call(self):
        import torch

        model = self.model
        model.eval()

        def call(windows):
            with torch.inference_mode():
                outputs = model(torch.from_numpy(windows), training=False)
                return outputs.detach().cpu().numpy()

        return call

"""Compiled, batched model prediction for each Keras backend.

`BatchedPredictor` turns any number of windows into probabilities with as
little per-call overhead as each backend allows:

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

import time
import weakref

import numpy as np

DEFAULT_BATCH_SIZE = 256

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


class BatchSplitting:
    """`predict` for any number of windows over a class's `predict_batch`.

    Subclasses define `batch_size` and `predict_batch(windows)` for at most
    `batch_size` windows; `BatchedPredictor` (Keras) and the ONNX Runtime
    engine's `OnnxPredictor` share this.
    """

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
            return np.zeros((0, windows.shape[2], 5), np.float32)
        return np.concatenate(parts)


class BatchedPredictor(BatchSplitting):
    """Runs a corrector over windows in fixed-size batches.

    Args:
        model: `DeepConsensusCorrector` (any Keras model mapping windows
            `(batch, rows, length)` to `(batch, length, 5)`).
        batch_size: int. Windows per model call.
        jit_compile: bool or "auto". TensorFlow only: XLA-compile the graph
            (fixed shapes). "auto" means False (measured slower or equal on
            CPUs here, and every new shape costs a compilation).

    Attributes:
        backend: str. The Keras backend in use.
        model_seconds: float. Time spent in model calls so far.
        n_predicted: int. Windows predicted so far (without padding).
        n_padded: int. Padding windows computed so far.
    """

    def __init__(self, model, batch_size=DEFAULT_BATCH_SIZE, jit_compile="auto"):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        import keras

        self.batch_size = int(batch_size)
        self.backend = keras.backend.backend()
        self.jit_compile = jit_compile is True
        self.model_seconds = 0.0
        self.n_predicted = 0
        self.n_padded = 0
        self.compiled_shapes = set()
        self._call = self._build_call()

    @property
    def pads_batches(self):
        """Whether partial batches are padded to fixed shapes."""
        return self.backend == "jax" or (self.backend == "tensorflow" and self.jit_compile)

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
            return np.zeros((0, windows.shape[2], 5), np.float32)
        if n > self.batch_size:
            raise ValueError(f"{n} windows exceed batch_size {self.batch_size}")
        size = padded_size(n, self.batch_size) if self.pads_batches else n
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

"""Helpers for the loss tests: backend gradients, compiled calls, a numpy DP."""

from pathlib import Path

import keras
import numpy as np

LOSS_REFERENCE_DIR = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reference" / "losses"
)


def load_reference(name):
    """Loads one of the reference npz files (skips the test when absent)."""
    import pytest

    path = LOSS_REFERENCE_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return np.load(path)


def value_and_grad(fn, x):
    """`fn(x)` (a scalar) and its gradient with respect to `x`, as numpy."""
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        value, grad = jax.value_and_grad(fn)(jax.numpy.asarray(x))
        return np.asarray(value), np.asarray(grad)
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
        return value.numpy(), tape.gradient(value, x).numpy()
    import torch

    x = torch.tensor(x, requires_grad=True)
    value = fn(x)
    value.backward()
    return value.detach().numpy(), x.grad.numpy()


def compiled(fn, xla=False):
    """`fn` compiled the way `fit` compiles a step on this backend.

    jax.jit on JAX; tf.function on TensorFlow (an XLA cluster when `xla`);
    eager on torch.
    """
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=xla)
    return fn


def numpy_alignment_loss(y_true, probs, del_cost, gamma, eps=1e-7):
    """Plain float64 double-loop version of the alignment DP, for checks."""
    probs = np.asarray(probs, np.float64)
    probs = probs / probs.sum(-1, keepdims=True)
    log_p = np.log(np.clip(probs, eps, 1 - eps))
    out = []
    for labels, lp in zip(np.asarray(y_true).astype(int), log_p):
        labels = labels[labels != 0]
        m, n = len(labels), lp.shape[0]
        table = np.full((m + 1, n + 1), np.inf)
        table[0, 0] = 0.0
        for i in range(m + 1):
            for j in range(n + 1):
                if i == 0 and j == 0:
                    continue
                options = []
                if i > 0 and j > 0:
                    options.append(table[i - 1, j - 1] - lp[j - 1, labels[i - 1]])
                if j > 0:
                    options.append(table[i, j - 1] - lp[j - 1, 0])
                if i > 0:
                    options.append(table[i - 1, j] + del_cost)
                options = np.array(options)
                if gamma is None:
                    table[i, j] = options.min()
                else:
                    low = options.min()
                    table[i, j] = low - gamma * np.log(np.exp(-(options - low) / gamma).sum())
        out.append(table[m, n])
    return np.array(out)

"""How many CPU threads the model may use: `dczoo correct --threads`.

Preprocessing has its own processes (`--cpus`); this caps the threads of the
model's runtime, so that a shard of a workflow given N cores stays on about N
(a Snakemake `threads:` value, a SLURM `--cpus-per-task`). Each runtime is
capped in its own way:

- onnxruntime: the session's intra-op threads (`OnnxCorrector(threads=)`).
- Keras on PyTorch: `torch.set_num_threads`.
- Keras on TensorFlow: intra-op threads N and inter-op threads 1, set before
  TensorFlow starts its runtime.
- Keras on JAX: XLA's CPU client takes no thread count; with N == 1 its
  Eigen thread pool is turned off (`--xla_cpu_multi_thread_eigen=false`)
  before JAX starts its backend. Larger N leave JAX as it is (reported).
"""

import os

from dczoo.errors import DczooInputError


def limit_model_threads(threads, backend):
    """Caps the threads of the model's runtime, before the model is built.

    Args:
        threads: int >= 1, or None (leave the runtime's default: all cores).
        backend: "tensorflow", "jax", "torch" (Keras backends) or
            "onnxruntime" (applied by the ONNX session; nothing to do here).

    Returns:
        dict for the run summary: `requested` (the int or None) and `applied`
        (True, or a string saying why the runtime keeps its default).

    Raises:
        DczooInputError: `threads` below 1, or TensorFlow already started
            with another thread count in this process.

    Example:
    ```python
    limit_model_threads(4, "torch")  # {"requested": 4, "applied": True}
    ```
    """
    if threads is None:
        return {"requested": None, "applied": "runtime default"}
    threads = int(threads)
    if threads < 1:
        raise DczooInputError(f"--threads must be >= 1, got {threads}")
    if backend == "onnxruntime":
        return {"requested": threads, "applied": True}
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return {"requested": threads, "applied": True}
    if backend == "tensorflow":
        return _limit_tensorflow(threads)
    if backend == "jax":
        return _limit_jax(threads)
    return {"requested": threads, "applied": f"not supported by the {backend} backend"}


def _limit_tensorflow(threads):
    import tensorflow as tf

    threading = tf.config.threading
    if (threading.get_intra_op_parallelism_threads() == threads
            and threading.get_inter_op_parallelism_threads() == 1):
        return {"requested": threads, "applied": True}
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        raise DczooInputError(
            f"--threads {threads}: TensorFlow already runs in this process with other thread "
            "counts; set --threads before any TensorFlow work (a new process)"
        ) from None
    return {"requested": threads, "applied": True}


_JAX_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


def _jax_started():
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", None))
    except ImportError:  # pragma: no cover - another jax layout
        return True


def _limit_jax(threads):
    if threads > 1:
        return {"requested": threads,
                "applied": "JAX's CPU client takes no thread count; only --threads 1 applies"}
    flags = os.environ.get("XLA_FLAGS", "")
    if _JAX_ONE_THREAD in flags.split():
        return {"requested": threads, "applied": True}
    if _jax_started():
        return {"requested": threads,
                "applied": "JAX had started its backend in this process before --threads"}
    os.environ["XLA_FLAGS"] = (flags + " " + _JAX_ONE_THREAD).strip()
    return {"requested": threads, "applied": True}

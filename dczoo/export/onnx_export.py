"""`export_onnx`: a corrector as one standalone ONNX model.

How each Keras backend exports (measured with keras 3.15.1, the pins of
`.ci/constraints.txt`):

* TensorFlow: Keras's own `model.export(path, format="onnx")` (tf2onnx), with
  a dynamic batch dimension. The reference path.
* PyTorch: Keras's `model.export` cannot give a dynamic batch: with a `None`
  batch it uses the TorchScript exporter, whose tracer turns the
  `LayerNormalization` shapes of Keras's torch backend into tensors and
  fails ("Failed to export a node ... because it is not constant"); with a
  fixed batch the model only accepts that batch size. dczoo therefore calls
  `torch.onnx.export(..., dynamo=True)` itself with a dynamic batch
  (`torch.export.Dim`), which works (needs onnxscript).
* JAX: Keras's `model.export` works through jax2onnx, which is not part of
  `dczoo[onnx]` (it pulls flax, orbax and tensorstore). Without it, the model
  is saved to a temporary preset and exported by a TensorFlow subprocess
  (`KERAS_BACKEND=tensorflow`, needs tensorflow and tf2onnx installed).

Whatever the path, the result has input `windows` `(batch, rows, 100)`
float32 and output `probabilities` `(batch, 100, 5)`, and the metadata of
`dczoo.inference.onnx_metadata` (version, opset, preset, calibration, window
geometry). `int8=True` then applies ONNX Runtime's dynamic quantization
(int8 weights of every weight matrix product, activations quantized per
call; `dczoo.export.int8_quantization`).
"""

import importlib.util
import os
import subprocess
import sys
import tempfile

import numpy as np

from dczoo.atomic import AtomicOutput
from dczoo.errors import DczooError, DczooInputError
from dczoo.export.int8_quantization import quantize_int8
from dczoo.inference.onnx_metadata import (
    INPUT_NAME,
    OUTPUT_NAME,
    corrector_metadata,
    write_metadata,
)
from dczoo.paths import check_paths

# Largest |ONNX - Keras| probability difference accepted by the check after
# export (float models; int8 models are only checked for valid output).
CHECK_TOLERANCE = 1e-4


def _require(module, purpose):
    if importlib.util.find_spec(module) is None:
        raise DczooInputError(
            f"{purpose} needs the Python package {module!r}: pip install 'dczoo[onnx]'"
        )


def _resolve_model(model, preset, verify=True):
    """(DeepConsensusCorrector, preset label) from a model or a handle."""
    import keras

    if isinstance(model, keras.Model):
        return model, preset or model.name
    from dczoo.inference.model_loading import load_corrector

    handle = os.fspath(model)
    loaded, _ = load_corrector(handle, verify=verify)
    if preset is None:
        preset = handle if "://" in handle else os.path.basename(os.path.normpath(handle))
    return loaded, preset


def _check_float32(model):
    policy = model.dtype_policy.name
    quantized = any(getattr(layer, "quantization_mode", None) for layer in model._flatten_layers())
    if policy != "float32" or quantized:
        raise DczooInputError(
            f"only float32 models export to ONNX (this one computes in {policy}"
            f"{', quantized' if quantized else ''}); export the float32 model "
            "and use int8=True / --int8 for a quantized ONNX model"
        )


def _window_shape(model):
    rows, length = model.input_shape[-2:]
    return int(rows), int(length)


def _export_tensorflow(model, path, opset):
    import keras
    import tf2onnx

    rows, length = _window_shape(model)
    spec = keras.InputSpec(shape=(None, rows, length), dtype="float32", name=INPUT_NAME)
    model.export(path, format="onnx", input_signature=[spec], opset_version=opset, verbose=False)
    return f"tensorflow/tf2onnx {tf2onnx.__version__}"


def _export_torch(model, path, opset):
    import torch

    class _Windows(torch.nn.Module):
        """Gives the exporter a one-argument forward (inference mode)."""

        def __init__(self, corrector):
            super().__init__()
            self.corrector = corrector

        def forward(self, windows):
            return self.corrector(windows, training=False)

    rows, length = _window_shape(model)
    wrapper = _Windows(model).eval()
    example = torch.zeros((2, rows, length), dtype=torch.float32)
    program = torch.onnx.export(
        wrapper, (example,), input_names=[INPUT_NAME], dynamo=True,
        dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=opset,
        verbose=False,
    )
    program.save(path)
    return f"torch/torch.onnx dynamo {torch.__version__}"


def _export_jax(model, path, opset):
    if importlib.util.find_spec("jax2onnx") is None:
        return _export_in_tensorflow_subprocess(model, path, opset)
    import jax2onnx
    import keras

    rows, length = _window_shape(model)
    spec = keras.InputSpec(shape=(None, rows, length), dtype="float32", name=INPUT_NAME)
    model.export(path, format="onnx", input_signature=[spec], opset_version=opset, verbose=False)
    return f"jax/jax2onnx {getattr(jax2onnx, '__version__', '')}".strip()


def _export_in_tensorflow_subprocess(model, path, opset):
    """Saves `model` as a preset and exports it with KERAS_BACKEND=tensorflow."""
    _require("tensorflow", "exporting from the JAX backend without jax2onnx")
    with tempfile.TemporaryDirectory(prefix="dczoo_export_") as folder:
        preset = os.path.join(folder, "preset")
        model.save_to_preset(preset)
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
        command = [sys.executable, "-m", "dczoo.export._tensorflow_worker", preset, path,
                   "" if opset is None else str(opset)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise DczooError(
                "ONNX export in a TensorFlow subprocess failed:\n" + done.stderr[-3000:]
            )
        return done.stdout.strip().splitlines()[-1] + " (subprocess)"


_EXPORTERS = {"tensorflow": _export_tensorflow, "torch": _export_torch, "jax": _export_jax}
_EXPORT_PACKAGES = {"tensorflow": ("tf2onnx",), "torch": ("onnxscript",), "jax": ()}


def _rename_output(onnx_model, name):
    """Renames the (single) graph output, e.g. tf2onnx's 'Identity:0'."""
    graph = onnx_model.graph
    old = graph.output[0].name
    if old == name:
        return
    for node in graph.node:
        for field in (node.input, node.output):
            for index, value in enumerate(field):
                if value == old:
                    field[index] = name
    for info in list(graph.value_info) + list(graph.output):
        if info.name == old:
            info.name = name


def _default_opset(onnx_model):
    return next(o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx"))


def _check_against_keras(path, model, int8):
    """Runs both on a few windows; raises if the ONNX model disagrees."""
    import keras
    import onnxruntime

    rows, length = _window_shape(model)
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 5, (3, rows, length)).astype(np.float32)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    ours = session.run([OUTPUT_NAME], {INPUT_NAME: windows})[0]
    if ours.shape != (3, length, 5) or not np.all(np.isfinite(ours)):
        raise DczooError(f"the exported model returned {ours.shape}, expected (3, {length}, 5)")
    if not int8:
        expected = keras.ops.convert_to_numpy(model(windows, training=False))
        difference = float(np.abs(ours - expected).max())
        if difference > CHECK_TOLERANCE:
            raise DczooError(
                f"the exported model differs from the Keras model by {difference:.2e} "
                f"(> {CHECK_TOLERANCE}) on test windows; the export is not written"
            )


def export_onnx(model, path, int8=False, opset=None, preset=None, check=True, verify=True):
    """Exports a corrector to an ONNX file, atomically.

    The file is written to a temporary name in the destination folder and
    renamed only when export (and the check) succeed.

    Args:
        model: `DeepConsensusCorrector`, or a handle `dczoo correct --model`
            accepts (preset name or folder, `hf://...`, DeepConsensus
            checkpoint).
        path: str or Path ending in `.onnx`.
        int8: bool. Dynamically quantize the weights to int8 (ONNX Runtime).
        opset: int or None. ONNX opset; None takes the converter's default.
        preset: str or None. Name recorded in the metadata (default: the
            handle's name, or the model's name).
        check: bool. Compare ONNX Runtime with Keras on a few windows after
            export (needs onnxruntime; skipped when it is missing).
        verify: bool. Check a preset against the sha256 manifest of its
            metadata.json (False: a preset saved before manifests; see
            `DeepConsensusCorrector.from_preset`).

    Returns:
        dict: the metadata written into the model (without `dczoo.`).

    Raises:
        DczooInputError: bad path, non-float32 model, missing packages.

    Example:
    ```python
    model = dczoo.models.DeepConsensusCorrector.from_preset("teacher_6layer")
    dczoo.export.export_onnx(model, "teacher_6layer.onnx")
    dczoo.export.export_onnx("teacher_6layer", "teacher_6layer_int8.onnx", int8=True)
    ```
    """
    import keras

    path = os.fspath(path)
    if not path.lower().endswith(".onnx"):
        raise DczooInputError(f"{path}: the output of an ONNX export must end in .onnx")
    handle = model if isinstance(model, (str, os.PathLike)) and os.path.exists(model) else None
    check_paths(inputs=[("PRESET_OR_FOLDER", handle)], files=[("--output", path)])
    backend = keras.backend.backend()
    if backend not in _EXPORTERS:
        raise DczooInputError(f"ONNX export is not available on the {backend} backend")
    _require("onnx", "ONNX export")
    for package in _EXPORT_PACKAGES[backend]:
        _require(package, f"ONNX export on the {backend} backend")
    if int8:
        _require("onnxruntime", "int8 quantization")
    model, preset = _resolve_model(model, preset, verify)
    _check_float32(model)
    import onnx

    with tempfile.TemporaryDirectory(prefix="dczoo_onnx_") as work:
        raw = os.path.join(work, "raw.onnx")
        exported_with = _EXPORTERS[backend](model, raw, opset)
        onnx_model = onnx.load(raw)
        _rename_output(onnx_model, OUTPUT_NAME)
        if int8:
            onnx_model = quantize_int8(onnx_model, work)
        metadata = corrector_metadata(
            model, preset, exported_with, _default_opset(onnx_model), int8
        )
        write_metadata(onnx_model, metadata)
        onnx.checker.check_model(onnx_model)
        with AtomicOutput(path) as output:
            onnx.save(onnx_model, output.temporary_path)
            if check and importlib.util.find_spec("onnxruntime") is not None:
                _check_against_keras(output.temporary_path, model, int8)
            output.commit()
    return metadata

"""The `onnxruntime` engine: an exported ONNX corrector in place of Keras.

`load_onnx_corrector(path)` opens a model written by `dczoo export` (or any
ONNX model mapping `(batch, rows, length)` windows to `(batch, length, 5)`
probabilities) and reads the metadata the pipeline needs: the window
geometry and the quality calibration. `OnnxPredictor` is an
`dczoo.inference.engine.Engine` like `BatchedPredictor`, so `ZmwCorrector`,
stitching and the writers are the same code whichever engine runs the
model. Only onnxruntime and numpy are needed; no deep learning framework is
imported.
"""

import os

from dczoo.constants import MAX_PASSES, VOCAB_SIZE, WindowLayout
from dczoo.errors import DczooInputError
from dczoo.inference.engine import Engine
from dczoo.inference.onnx_metadata import strip_prefix

# ONNX Runtime's default windows per call: its int8 models ran faster at
# 32-64 windows than at 256 (benchmarks/bench_onnx_batch.py, docs/onnx.md).
DEFAULT_ONNX_BATCH_SIZE = 64


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as error:
        raise DczooInputError(
            "--engine onnxruntime needs the onnxruntime package: "
            "pip install 'dczoo[onnx]'"
        ) from error
    return onnxruntime


# Execution providers tried in this order: a GPU when the installed ONNX Runtime
# has one (`pip install onnxruntime-gpu`), else the CPU. Nodes a GPU provider
# cannot run fall back to the CPU inside the same session.
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def session_providers(onnxruntime):
    """The execution providers an ONNX Runtime session of `dczoo correct` asks for.

    Args:
        onnxruntime: the imported module.

    Returns:
        list of str: the CUDA provider first when `get_available_providers()`
        lists it, then the CPU provider.
    """
    available = set(onnxruntime.get_available_providers())
    return [name for name in PREFERRED_PROVIDERS if name in available or name == "CPUExecutionProvider"]


def _static(dimension):
    return dimension if isinstance(dimension, int) and dimension > 0 else None


class OnnxCorrector:
    """An ONNX corrector opened with ONNX Runtime.

    Args:
        path: str or Path of the `.onnx` file.
        threads: int or None. Intra-op threads (None: ONNX Runtime's default,
            one per core).

    The session runs on ONNX Runtime's CUDA provider when the installed
    package has it (`onnxruntime-gpu`), else on the CPU
    (`session_providers`); the summary's `model.providers` says which.

    Attributes:
        session: `onnxruntime.InferenceSession`.
        metadata: dict of the model's `dczoo.*` metadata (without prefix).
        input_name, output_name: str.
        rows, window_length, max_passes: int. Window geometry.
        use_ccs_bq: bool. Whether windows carry a draft-quality row.
        quality_calibration: str or None. The calibration stored at export.

    Raises:
        DczooInputError: missing onnxruntime, a file that is not ONNX, or
            a model whose input or output shape is not a corrector's.
    """

    def __init__(self, path, threads=None):
        onnxruntime = _import_onnxruntime()
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise DczooInputError(f"--model {self.path}: no such ONNX file")
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = onnxruntime.InferenceSession(
                self.path, options, providers=session_providers(onnxruntime)
            )
        except Exception as error:  # ONNX Runtime raises InvalidProtobuf, Fail, ...
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise DczooInputError(
                f"--model {self.path}: not a loadable ONNX model ({first_line[:300]}); "
                "export one with `dczoo export PRESET --format onnx --output FILE.onnx`"
            ) from error
        self.metadata = strip_prefix(self.session.get_modelmeta().custom_metadata_map)
        self._read_signature()
        self.quantizes_per_call = _quantizes_per_call(self.path)

    def _read_signature(self):
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise DczooInputError(
                f"--model {self.path}: a corrector has one input (windows), this "
                f"model has {len(inputs)} inputs and {len(outputs)} outputs"
            )
        window, probs = inputs[0], outputs[0]
        self.input_name, self.output_name = window.name, probs.name
        shape = list(window.shape)
        if window.type != "tensor(float)" or len(shape) != 3:
            raise DczooInputError(
                f"--model {self.path}: input {window.name!r} is {window.type} {shape}; "
                "a corrector takes float32 windows (batch, rows, length)"
            )
        rows, length = _static(shape[1]), _static(shape[2])
        meta = self.metadata
        if "max_passes" in meta:
            self.max_passes = int(meta["max_passes"])
            self.use_ccs_bq = meta.get("use_ccs_bq") == "true"
            self.window_length = int(meta["window_length"])
        else:  # without dczoo metadata: the default passes, qualities by the rows
            self.max_passes = MAX_PASSES
            self.use_ccs_bq = rows == WindowLayout(MAX_PASSES, True).num_rows
            self.window_length = length
        self.rows = WindowLayout(self.max_passes, self.use_ccs_bq).num_rows
        expected = f"(batch, {self.rows}, {self.window_length})"
        if rows != self.rows or length != self.window_length or length is None:
            other = WindowLayout(self.max_passes, not self.use_ccs_bq).num_rows
            raise DczooInputError(
                f"--model {self.path}: input {window.name!r} has shape {shape}; "
                f"dczoo windows are {expected} (or (batch, {other}, "
                f"{self.window_length}) with{'out' if self.use_ccs_bq else ''} "
                "draft qualities)"
            )
        out_shape = list(probs.shape)
        if len(out_shape) != 3 or _static(out_shape[-1]) not in (None, VOCAB_SIZE):
            raise DczooInputError(
                f"--model {self.path}: output {probs.name!r} has shape {out_shape}; "
                f"a corrector returns (batch, {self.window_length}, {VOCAB_SIZE}) "
                "probabilities"
            )
        calibration = meta.get("quality_calibration")
        self.quality_calibration = None if calibration in (None, "", "skip") else calibration
        draft = meta.get("draft_quality_calibration")
        self.draft_quality_calibration = None if draft in (None, "", "skip") else draft

    def description(self):
        """A dict describing the model (for the run summary)."""
        meta = self.metadata
        return {
            "model": self.path,
            "source": "onnx",
            "engine": "onnxruntime",
            "onnxruntime": _import_onnxruntime().__version__,
            "providers": list(self.session.get_providers()),
            "preset": meta.get("preset"),
            "num_layers": int(meta["num_layers"]) if "num_layers" in meta else None,
            "parameters": int(meta["parameters"]) if "parameters" in meta else None,
            "precision": "int8" if meta.get("int8") == "true" else "float32",
            "batches": "one ZMW per batch (activations quantized per call)" if self.quantizes_per_call
            else "ZMWs share batches",
            "backend": "onnxruntime",
            "opset": meta.get("opset"),
            "exported_with": meta.get("exported_with"),
            "quality_calibration": self.quality_calibration,
        }


def _quantizes_per_call(path):
    """Whether the model quantizes activations per call (dynamic int8), so that a
    window's output depends on the other windows of its batch."""
    with open(path, "rb") as handle:
        return any(op in handle.read() for op in (b"DynamicQuantizeLinear", b"DynamicQuantizeMatMul"))


def load_onnx_corrector(handle, threads=None):
    """Opens the model of `--engine onnxruntime`.

    Args:
        handle: str or Path of an `.onnx` file (an `OnnxCorrector` is
            returned as is).
        threads: int or None. Intra-op threads of ONNX Runtime.

    Returns:
        `(OnnxCorrector, description dict)`.

    Example:
    ```python
    model, info = load_onnx_corrector("student_4layer.onnx")
    ```
    """
    if handle is None:
        raise DczooInputError(
            "--engine onnxruntime needs --model FILE.onnx (make one with "
            "`dczoo export PRESET --format onnx --output FILE.onnx`)"
        )
    model = handle if isinstance(handle, OnnxCorrector) else OnnxCorrector(handle, threads)
    return model, model.description()


class OnnxPredictor(Engine):
    """The onnxruntime engine: an `OnnxCorrector` behind `Engine`.

    ONNX models exported by dczoo have a dynamic batch dimension, so partial
    batches are run as they are (nothing is padded).

    Args:
        model: `OnnxCorrector`.
        batch_size: int. Windows per call.

    Example:
    ```python
    predictor = OnnxPredictor(load_onnx_corrector("teacher.onnx")[0], 256)
    probs = predictor.predict(windows)  # (n, 100, 5) float32
    ```
    """

    name = "onnxruntime"
    default_batch_size = DEFAULT_ONNX_BATCH_SIZE
    backend = "onnxruntime"
    pads_batches = False

    def __init__(self, model, batch_size=256):
        super().__init__(model, batch_size)
        self.batch_invariant = not getattr(model, "quantizes_per_call", False)

    @classmethod
    def load(cls, model, precision="float32", batch_size=None, jit_compile="auto", verify=True,
             threads=None):
        """The onnxruntime engine of an `.onnx` file (`load_onnx_corrector`).

        Args:
            model: str or Path of the `.onnx` file, or an `OnnxCorrector`.
            precision: "float32" only (int8 models are exported as such).
            batch_size: int or None (`DEFAULT_ONNX_BATCH_SIZE`).
            jit_compile: ignored.
            verify: ignored (an `.onnx` file carries no preset manifest).
            threads: int or None. Intra-op threads of the session (None:
                ONNX Runtime's default); ignored for an open `OnnxCorrector`.

        Returns:
            `OnnxPredictor`.
        """
        if precision != "float32":
            raise DczooInputError(
                f"--precision {precision} applies to the keras engine; for an int8 "
                "ONNX model export with `dczoo export ... --int8`"
            )
        from dczoo.inference.threads import limit_model_threads

        applied = limit_model_threads(threads, cls.backend)
        model, _ = load_onnx_corrector(model, threads)
        engine = cls(model, batch_size or cls.default_batch_size)
        engine.threads = applied
        return engine

    def _geometry_source(self):
        return self.model

    def description(self):
        """A dict describing the model (for the run summary)."""
        return self.model.description()

    def _call(self, windows):
        return self.model.session.run(
            [self.model.output_name], {self.model.input_name: windows}
        )[0]

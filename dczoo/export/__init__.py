"""dczoo.export: correctors as standalone ONNX models for ONNX Runtime.

Public API:

* `export_onnx(model, path, int8=False, opset=None)`: writes a
  `(batch, rows, 100) -> (batch, 100, 5)` ONNX model with the metadata the
  `onnxruntime` engine of `dczoo correct` needs (calibration, geometry).
* `read_onnx_metadata(path)`: that metadata as a dict (defined with the
  engine that reads it, `dczoo.inference.onnx_metadata`).

Imports are lazy, so `import dczoo.export` needs neither onnx nor a backend.
"""

from dczoo.lazy_exports import lazy_exports

_EXPORTS = {
    "export_onnx": "onnx_export",
    "read_onnx_metadata": "dczoo.inference.onnx_metadata",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

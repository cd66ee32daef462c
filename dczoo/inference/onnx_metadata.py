"""The metadata a dczoo ONNX model carries (`metadata_props`, all strings).

`dczoo.export` writes it and the `onnxruntime` engine of `dczoo correct`
(`dczoo.inference.onnx_engine`) reads it; both use this module. Keys (prefix
`dczoo.`): `version` (dczoo's), `opset` (of the default ONNX
domain), `preset` (what was exported), `quality_calibration`
(`"threshold,w,b"` or `"skip"`), the window geometry `max_passes`,
`window_length`, `use_ccs_bq` and `rows`, `num_layers`, `parameters`,
`exported_with` (backend and converter) and `int8` ("true"/"false").
"""

from dczoo.errors import DczooInputError

PREFIX = "dczoo."
INPUT_NAME = "windows"
OUTPUT_NAME = "probabilities"


def corrector_metadata(model, preset, exported_with, opset, int8):
    """The metadata dict of an exported `DeepConsensusCorrector`.

    Args:
        model: `DeepConsensusCorrector`.
        preset: str. Name or path of what was exported.
        exported_with: str. Backend and converter, e.g. "tensorflow/tf2onnx".
        opset: int. Opset of the default ONNX domain.
        int8: bool. Whether the weights were quantized.

    Returns:
        dict of str to str, keys without the prefix.
    """
    from dczoo.version import __version__

    backbone = model.backbone
    return {
        "version": __version__,
        "opset": str(int(opset)),
        "preset": str(preset),
        "quality_calibration": model.quality_calibration or "skip",
        "draft_quality_calibration": getattr(model, "draft_quality_calibration", None) or "skip",
        "max_passes": str(int(backbone.max_passes)),
        "window_length": str(int(backbone.window_length)),
        "use_ccs_bq": "true" if backbone.use_ccs_bq else "false",
        "rows": str(int(backbone.num_rows)),
        "num_layers": str(int(model.num_layers)),
        "parameters": str(int(model.count_params())),
        "exported_with": exported_with,
        "int8": "true" if int8 else "false",
    }


def write_metadata(onnx_model, metadata):
    """Sets `dczoo.*` entries of an `onnx.ModelProto`'s `metadata_props`
    (replacing earlier values of the same keys)."""
    keys = {PREFIX + key for key in metadata}
    kept = [(p.key, p.value) for p in onnx_model.metadata_props if p.key not in keys]
    del onnx_model.metadata_props[:]
    for key, value in kept + [(PREFIX + k, str(v)) for k, v in metadata.items()]:
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, value


def strip_prefix(custom_metadata):
    """{"dczoo.x": v, "other": w} -> {"x": v} (other keys dropped)."""
    return {
        key[len(PREFIX):]: value
        for key, value in custom_metadata.items()
        if key.startswith(PREFIX)
    }


def read_onnx_metadata(path):
    """The `dczoo.*` metadata of an ONNX model file, without the prefix.

    Args:
        path: str or Path of an `.onnx` file.

    Returns:
        dict of str to str (empty for ONNX models not written by dczoo).

    Example:
    ```python
    meta = read_onnx_metadata("student_4layer.onnx")
    meta["quality_calibration"], meta["opset"], meta["version"]
    ```
    """
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # onnx raises DecodeError and others
        raise DczooInputError(f"{path}: not an ONNX model ({error})") from error
    return strip_prefix({p.key: p.value for p in model.metadata_props})

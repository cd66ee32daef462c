"""Loading the corrector for `dczoo correct`: presets, checkpoints, precision.

`--model` takes a built-in preset name, a preset folder, an `hf://` handle,
or an official DeepConsensus checkpoint (a folder with `checkpoint` and
`params.json`, or a `.../checkpoint-N` prefix), which is converted in memory
on every run (nothing is cached; convert once with
`from_deepconsensus_checkpoint(...).save_to_preset(folder)` to skip that).

Precision levers: `bfloat16` runs the model with a mixed bfloat16 policy
(weights stay float32, matmuls run in bfloat16); `int8` quantizes the
feed-forward and projection Dense layers with `keras.Model.quantize("int8")`.
"""

import os

from dczoo.errors import DczooInputError
from dczoo.presets import CONFIG_FILE, DEFAULT_PRESET, default_preset

# Compute precisions of the keras engine (`--precision`, float32 first): the
# levers whose output bases agree with float32 on >= 99.9% of bases in
# benchmarks/bench_correct.py --presets (trained teacher_6layer and
# student_4layer: bfloat16 and Keras int8 keep 99.98-99.996% on every
# backend; they are not faster on the CPUs measured, see docs/correct.md).
PRECISIONS = ("float32", "bfloat16", "int8")


def default_model():
    """The built-in preset `dczoo correct` uses when no model is given.

    `dczoo.presets.default_preset()` (with a note on stderr when it is not
    `DEFAULT_PRESET`), else `DEFAULT_PRESET` when no preset has bundled
    weights (its loading then explains what is missing).

    Returns:
        str, a built-in preset name.

    Example:
    ```python
    model, info = load_corrector(default_model())
    ```
    """
    import sys

    name = default_preset()
    if name is None:
        return DEFAULT_PRESET
    if name != DEFAULT_PRESET:
        print(f"dczoo: {DEFAULT_PRESET} has no bundled weights yet; using {name}",
              file=sys.stderr)
    return name


def is_deepconsensus_checkpoint(path):
    """Whether `path` is a DeepConsensus TF checkpoint folder or prefix."""
    path = os.fspath(path)
    if os.path.isdir(path):
        has_params = os.path.exists(os.path.join(path, "params.json"))
        has_state = os.path.exists(os.path.join(path, "checkpoint")) or any(
            name.endswith(".index") for name in os.listdir(path)
        )
        return has_params and has_state
    return os.path.exists(path + ".index")


def with_precision(model, precision):
    """A copy of `model` computing in another precision (or `model` itself).

    Args:
        model: `DeepConsensusCorrector`.
        precision: "float32", "bfloat16" or "int8".

    Returns:
        `DeepConsensusCorrector`.
    """
    from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

    if precision not in PRECISIONS:
        raise DczooInputError(
            f"--precision {precision!r}: choose one of {', '.join(PRECISIONS)}"
        )
    if precision == "float32":
        return model
    policy = "mixed_bfloat16" if precision == "bfloat16" else "float32"
    backbone_config = dict(model.backbone.get_config(), dtype=policy)
    backbone = DeepConsensusBackbone.from_config(backbone_config)
    copy = DeepConsensusCorrector(
        backbone, quality_calibration=model.quality_calibration,
        draft_quality_calibration=model.draft_quality_calibration, dtype=policy
    )
    copy.set_weights(model.get_weights())
    if precision == "int8":
        copy.quantize("int8")
    return copy


def load_corrector(handle, precision="float32", verify=True):
    """Loads the model that `dczoo correct` runs.

    Args:
        handle: str or Path (preset name, preset folder, `hf://...`, or a
            DeepConsensus checkpoint folder/prefix), a
            `DeepConsensusCorrector`, or None for `default_model()`.
        precision: "float32", "bfloat16" or "int8".
        verify: bool. Check a preset's config.json and weights against the
            sha256 manifest of its metadata.json (the default). False loads
            a preset saved before presets carried a manifest (`dczoo correct
            --no-verify`); its config is still checked against the weights.

    Returns:
        `(model, description)`: the corrector and a dict describing where it
        came from (for the run summary).

    Example:
    ```python
    model, info = load_corrector("student_4layer")
    model, info = load_corrector("deepconsensus_model/", precision="bfloat16")
    model, info = load_corrector("runs/old_student/final", verify=False)  # no manifest
    ```
    """
    import keras

    from dczoo.models import DeepConsensusCorrector

    if handle is None:
        handle = default_model()
    if isinstance(handle, keras.Model):
        model, source = handle, "in-memory model"
    elif is_deepconsensus_checkpoint(handle):
        from dczoo.models.convert import from_deepconsensus_checkpoint

        model, source = from_deepconsensus_checkpoint(handle), "deepconsensus checkpoint"
    else:
        handle = os.fspath(handle)
        if os.path.isdir(handle) and not os.path.exists(os.path.join(handle, CONFIG_FILE)):
            raise DczooInputError(
                f"--model {handle}: the folder is neither a dczoo preset "
                "(config.json) nor a DeepConsensus checkpoint (checkpoint + "
                "params.json)"
            )
        model, source = DeepConsensusCorrector.from_preset(handle, verify=verify), "preset"
    model = with_precision(model, precision)
    description = {
        "model": handle if isinstance(handle, str) else type(handle).__name__,
        "source": source,
        "num_layers": int(model.num_layers),
        "parameters": int(model.count_params()),
        "precision": precision,
        "verified": bool(verify) if source == "preset" else None,
        "backend": keras.backend.backend(),
        "quality_calibration": model.quality_calibration,
    }
    return model, description

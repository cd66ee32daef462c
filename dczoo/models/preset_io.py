"""Building Keras models from presets and saving them as presets.

What a preset is (its files, handles, built-in registry and checks) is
`dczoo.presets`; this module adds what needs Keras: deserializing the
corrector, loading and writing its weights.

Loading checks, in this order: the sha256 manifest of metadata.json over
config.json and the weights (`verify=True`, `dczoo.presets.check_manifest`);
the config's architecture values (whole numbers >= 1, rates in [0, 1]); that
the weights file is readable and holds exactly the arrays the config builds
(a config edited to another `num_layers` is refused, never half-loaded).
Each failure is a one-line `DczooInputError` naming the file.
"""

import contextlib
import datetime
import json
import os
import re
import shutil
import sys
import tempfile

import keras

from dczoo.atomic import AtomicFolder
from dczoo.errors import DczooInputError, output_error
from dczoo.presets import (
    CARD_FILE,
    CONFIG_FILE,
    MANIFEST_KEY,
    METADATA_FILE,
    WEIGHTS_FILE,
    PresetSource,
    check_manifest,
    check_weights_sha256,
    file_manifest,
)
from dczoo.validation import number_problem
from dczoo.version import __version__

# Architecture values of a backbone config: whole numbers >= 1, and rates in [0, 1].
_WHOLE_VALUES = (
    "num_layers", "hidden_dim", "num_heads", "intermediate_dim", "attention_window", "max_passes",
    "window_length", "base_embedding_dim", "pw_embedding_dim", "ip_embedding_dim",
    "strand_embedding_dim", "sn_embedding_dim", "ccs_bq_embedding_dim",
)
_RATES = ("dropout", "attention_dropout", "intermediate_dropout")
_ENCODER_GROUP = re.compile(r"re_zero_encoder_layer(_\d+)?$")


class BuiltinPresetsProperty:
    """The `presets` class property of the models: the built-in presets.

    Returns a copy of `dczoo.presets.BUILTIN_PRESETS` (name -> description,
    parameter count, Hub handle, architecture), read from the class or an
    instance.
    """

    def __get__(self, instance, owner):
        from dczoo.presets import BUILTIN_PRESETS

        return dict(BUILTIN_PRESETS)


def override_names():
    """The keyword arguments `from_preset` accepts as backbone overrides.

    Returns:
        tuple of str: the named arguments of `DeepConsensusBackbone`.
    """
    import inspect

    from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone

    parameters = inspect.signature(DeepConsensusBackbone.__init__).parameters.values()
    return tuple(
        parameter.name for parameter in parameters
        if parameter.name != "self" and parameter.kind is not parameter.VAR_KEYWORD
    )


def check_overrides(cls, overrides):
    """Refuses `from_preset` keywords that are not backbone arguments.

    Args:
        cls: the class whose `from_preset` was called (for the message).
        overrides: dict of the extra keyword arguments.

    Raises:
        DczooInputError: naming the unknown keywords and listing the accepted.
    """
    accepted = override_names()
    unknown = sorted(name for name in overrides if name not in accepted)
    if unknown:
        raise DczooInputError(
            f"{cls.__name__}.from_preset got unexpected keyword argument"
            f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; accepted: "
            f"preset, load_weights, verify, and the backbone overrides {', '.join(accepted)}"
        )


def load_preset(cls, handle, load_weights=True, verify=True, caller=None, **overrides):
    """Builds a model of class `cls` from a preset; see `from_preset`.

    `caller` is the class whose `from_preset` was called, named in the message
    about unknown keywords (default `cls`).
    """
    check_overrides(caller or cls, overrides)
    source = PresetSource(handle)
    has_config = source.has_file(CONFIG_FILE) or source.builtin is None
    files = {CONFIG_FILE: source.get_file(CONFIG_FILE)} if has_config else {}
    metadata = source.read_json(METADATA_FILE) if source.has_file(METADATA_FILE) else {}
    if load_weights:
        files[WEIGHTS_FILE] = source.get_file(WEIGHTS_FILE)
    if verify and files:
        advice = (
            "delete the preset (or its Hugging Face cache entry) and fetch it again, or load "
            "it with verify=False if you changed it on purpose"
        )
        check_manifest(metadata, files, handle, advice)
        if WEIGHTS_FILE in files:
            check_weights_sha256(files[WEIGHTS_FILE], metadata, advice)
    if has_config:
        model = _model_from_config(cls, source.read_config(), overrides, source)
    else:
        from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone

        architecture = dict(source.builtin["architecture"], **overrides)
        model = cls(backbone=DeepConsensusBackbone(**architecture))
    if load_weights:
        _load_checked_weights(model, files[WEIGHTS_FILE], handle)
    return model


def load_backbone_preset(handle, load_weights=True, verify=True, **overrides):
    """The backbone of a corrector preset; see `DeepConsensusBackbone.from_preset`."""
    from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone
    from dczoo.models.deepconsensus_corrector import DeepConsensusCorrector

    corrector = load_preset(DeepConsensusCorrector, handle, load_weights=load_weights, verify=verify,
                            caller=DeepConsensusBackbone, **overrides)
    return corrector.backbone


def _model_from_config(cls, config, overrides, source):
    registered = keras.saving.get_registered_object(config["registered_name"])
    if registered is None or not issubclass(registered, cls):
        raise DczooInputError(
            f"preset {source.handle!r} holds a {config['registered_name']}, "
            f"not a {cls.__name__}"
        )
    config = json.loads(json.dumps(config))
    backbone = config.get("config", {}).get("backbone", {})
    backbone = backbone.get("config") if isinstance(backbone, dict) else None
    if not isinstance(backbone, dict):
        raise DczooInputError(f"preset {source.handle!r}: {CONFIG_FILE} has no backbone config")
    backbone.update(overrides)
    _check_backbone_config(backbone, source.handle)
    try:
        return keras.saving.deserialize_keras_object(config)
    except Exception as error:  # Keras raises TypeError, ValueError, KeyError, ...
        raise DczooInputError(
            f"preset {source.handle!r}: {CONFIG_FILE} does not build a model "
            f"({type(error).__name__}: {_first_line(error)})"
        ) from error


def _check_backbone_config(backbone, handle):
    problems = [number_problem(key, backbone[key], 1, None, True) for key in _WHOLE_VALUES if key in backbone]
    problems += [number_problem(key, backbone[key], 0, 1) for key in _RATES if key in backbone]
    if "use_ccs_bq" in backbone and not isinstance(backbone["use_ccs_bq"], bool):
        problems.append(f"use_ccs_bq {backbone['use_ccs_bq']!r}: must be true or false")
    problems = [problem for problem in problems if problem]
    if problems:
        raise DczooInputError(f"preset {handle!r}: {CONFIG_FILE}: {'; '.join(problems)}")


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def _weights_file_arrays(path, handle):
    """`(shapes, encoder layers)` of a `.weights.h5` file, or a clear error."""
    import h5py

    shapes, encoders = [], set()

    def visit(name, item):
        if isinstance(item, h5py.Dataset):
            shapes.append(tuple(item.shape))
        elif _ENCODER_GROUP.search(name):
            encoders.add(name)

    try:
        with h5py.File(path, "r") as handle_h5:
            handle_h5.visititems(visit)
    except Exception as error:  # h5py raises OSError, KeyError, RuntimeError on bad files
        raise DczooInputError(
            f"preset {handle!r}: {WEIGHTS_FILE} is not a readable Keras weights file "
            f"(truncated or corrupt: {_first_line(error)}; {path}); fetch or save it again"
        ) from error
    return shapes, len(encoders)


def _load_checked_weights(model, path, handle):
    """Loads weights after checking that they are the arrays the config builds."""
    shapes, encoders = _weights_file_arrays(path, handle)
    expected = [tuple(variable.shape) for variable in model.weights]
    if sorted(shapes) != sorted(expected):
        n_file = sum(int(_product(shape)) for shape in shapes)
        layers = f"; the weights are of a {encoders}-layer model" if encoders else ""
        raise DczooInputError(
            f"preset {handle!r}: {CONFIG_FILE} does not match {WEIGHTS_FILE}: the config builds "
            f"{len(expected)} arrays ({model.count_params():,} parameters, num_layers "
            f"{model.num_layers}) but the weights file holds {len(shapes)} ({n_file:,} "
            f"parameters{layers}); was {CONFIG_FILE} edited?"
        )
    try:
        model.load_weights(path)
    except Exception as error:  # Keras raises ValueError on a layout it cannot map
        raise DczooInputError(
            f"preset {handle!r}: {WEIGHTS_FILE} does not load into the model its {CONFIG_FILE} "
            f"builds ({_first_line(error)})"
        ) from error


def _product(shape):
    total = 1
    for size in shape:
        total *= int(size)
    return total


def _strip_build_configs(node):
    if isinstance(node, dict):
        return {
            key: _strip_build_configs(value)
            for key, value in node.items()
            if key not in ("build_config", "compile_config")
        }
    if isinstance(node, list):
        return [_strip_build_configs(value) for value in node]
    return node


def cast_weights_file(path, dtype):
    """Rewrites the float arrays of a Keras `.weights.h5` file as `dtype`.

    Loading casts them back to the model's variable dtype, so a float16 file
    halves the size of a preset at the cost of float16 rounding of weights.
    The file is rebuilt (HDF5 does not shrink a file when data is deleted).

    Args:
        path: str. The weights file, replaced.
        dtype: str, e.g. "float16".
    """
    import h5py
    import numpy as np

    def copy(source, target):
        target.attrs.update(dict(source.attrs))
        for name, item in source.items():
            if isinstance(item, h5py.Group):
                copy(item, target.create_group(name))
            else:
                values = item[()]
                if item.dtype.kind == "f":
                    values = np.asarray(values).astype(dtype)
                target.create_dataset(name, data=values)
                target[name].attrs.update(dict(item.attrs))

    rebuilt = path + ".cast.h5"
    with h5py.File(path, "r") as source, h5py.File(rebuilt, "w") as target:
        copy(source, target)
    os.replace(rebuilt, path)


def save_preset(model, preset_dir, metadata=None, weights_dtype=None):
    """Writes `model` as a preset folder; see `save_to_preset`.

    The preset's four files (`PRESET_FILES`) are written to a hidden
    temporary folder first, so a failure leaves no half-written preset. A
    new folder is then renamed into place whole (`dczoo.atomic.AtomicFolder`);
    into an existing folder each file is moved over its old version, and
    every other file there is left alone. `weights_dtype="float16"` stores
    the weights in half precision (`cast_weights_file`). metadata.json
    records the sha256 manifest of config.json and the weights
    (`dczoo.presets.file_manifest`), after the caller's `metadata`, so the
    caller cannot record a wrong one.

    Raises:
        DczooInputError: `preset_dir` exists and is not a folder.
        DczooOutputError: a file could not be written or moved into place.
    """
    preset_dir = os.path.abspath(os.fspath(preset_dir))
    if os.path.lexists(preset_dir) and not os.path.isdir(preset_dir):
        raise DczooInputError(
            f"{preset_dir} exists and is not a folder; save_to_preset writes a preset folder"
        )
    if not os.path.isdir(preset_dir):
        with AtomicFolder(preset_dir) as folder:
            _write_preset_files(model, folder.temporary_path, metadata, weights_dtype)
            folder.commit()
        return
    try:
        staging = tempfile.mkdtemp(prefix=".save_to_preset.", suffix=".dczoo-partial",
                                   dir=preset_dir)
    except OSError as error:
        raise output_error(preset_dir, error) from error
    try:
        _write_preset_files(model, staging, metadata, weights_dtype)
        # The manifest (metadata.json) moves after the files it covers: a
        # preset caught between two moves fails its manifest check on load.
        for name in (WEIGHTS_FILE, CONFIG_FILE, METADATA_FILE, CARD_FILE):
            os.replace(os.path.join(staging, name), os.path.join(preset_dir, name))
    except OSError as error:
        raise output_error(preset_dir, error) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_preset_files(model, folder, metadata, weights_dtype):
    """Writes the four files of the preset of `model` into `folder`."""
    from dczoo.hub.model_card import render_model_card

    with _tensorflow_not_probed():
        config = _strip_build_configs(keras.saving.serialize_keras_object(model))
    with open(os.path.join(folder, CONFIG_FILE), "w") as handle:
        json.dump(config, handle, indent=2)
    weights = os.path.join(folder, WEIGHTS_FILE)
    model.save_weights(weights)
    if weights_dtype is not None:
        cast_weights_file(weights, weights_dtype)
    record = {
        "dczoo_version": __version__,
        "keras_version": keras.__version__,
        "backend_saved_with": keras.config.backend(),
        "class_name": type(model).__name__,
        "parameter_count": int(model.count_params()),
        "num_layers": int(model.num_layers),
        "weights_dtype": weights_dtype or "float32",
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }
    record.update(metadata or {})
    manifest = file_manifest(folder)
    record[MANIFEST_KEY] = manifest
    record["weights_sha256"] = manifest[WEIGHTS_FILE]["sha256"]
    with open(os.path.join(folder, METADATA_FILE), "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
    with open(os.path.join(folder, CARD_FILE), "w") as handle:
        handle.write(render_model_card(config, record))


@contextlib.contextmanager
def _tensorflow_not_probed():
    """Keeps `keras.saving.serialize_keras_object` from importing TensorFlow.

    For every object it serializes, Keras asks whether TensorFlow is
    installed (to recognise `tf.TensorShape` and `tf.DType`), and asking
    imports it: seconds and a few hundred MB on JAX or PyTorch, plus its log
    lines. While TensorFlow is not imported no object can be one of its
    types, so the answer "not available" changes nothing in the result.
    Does nothing where TensorFlow is imported already, or where Keras keeps
    the flag elsewhere (a later Keras: TensorFlow is then imported as
    before).
    """
    try:
        from keras.src.utils.module_utils import tensorflow as lazy_tensorflow
    except ImportError:
        lazy_tensorflow = None
    probe_pending = getattr(lazy_tensorflow, "_available", False) is None
    if "tensorflow" in sys.modules or not probe_pending:
        yield
        return
    lazy_tensorflow._available = False
    try:
        yield
    finally:
        lazy_tensorflow._available = None

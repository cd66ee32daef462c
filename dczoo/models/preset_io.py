"""Building Keras models from presets and saving them as presets.

What a preset is (its files, handles, built-in registry and checks) is
`dczoo.presets`; this module adds what needs Keras: deserializing the
corrector, loading and writing its weights.
"""

import datetime
import json
import os

import keras

from dczoo.atomic import AtomicFolder
from dczoo.errors import DczooInputError
from dczoo.presets import (
    CARD_FILE,
    CONFIG_FILE,
    METADATA_FILE,
    WEIGHTS_FILE,
    PresetSource,
    check_weights_sha256,
    sha256_of_file,
)
from dczoo.version import __version__


def load_preset(cls, handle, load_weights=True, **overrides):
    """Builds a model of class `cls` from a preset; see `from_preset`."""
    source = PresetSource(handle)
    if source.has_file(CONFIG_FILE) or source.builtin is None:
        model = _model_from_config(cls, source.read_config(), overrides, source)
    else:
        from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone

        architecture = dict(source.builtin["architecture"], **overrides)
        model = cls(backbone=DeepConsensusBackbone(**architecture))
    if load_weights:
        weights = source.get_file(WEIGHTS_FILE)
        metadata = source.read_json(METADATA_FILE) if source.has_file(
            METADATA_FILE
        ) else {}
        check_weights_sha256(
            weights,
            metadata,
            f"the weights of preset {handle!r} are corrupted or were changed. "
            "Delete the file (or its Hugging Face cache entry) and fetch it again.",
        )
        model.load_weights(weights)
    return model


def _model_from_config(cls, config, overrides, source):
    registered = keras.saving.get_registered_object(config["registered_name"])
    if registered is None or not issubclass(registered, cls):
        raise DczooInputError(
            f"preset {source.handle!r} holds a {config['registered_name']}, "
            f"not a {cls.__name__}"
        )
    config = json.loads(json.dumps(config))
    if overrides:
        config["config"]["backbone"]["config"].update(overrides)
    return keras.saving.deserialize_keras_object(config)


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

    The folder is written to a temporary sibling and renamed into place
    (`dczoo.atomic.AtomicFolder`), so a failure leaves no half-written
    preset. `weights_dtype="float16"` stores the weights in half precision
    (`cast_weights_file`).
    """
    from dczoo.hub.model_card import render_model_card

    with AtomicFolder(preset_dir) as folder:
        staging = folder.temporary_path
        config = _strip_build_configs(keras.saving.serialize_keras_object(model))
        with open(os.path.join(staging, CONFIG_FILE), "w") as handle:
            json.dump(config, handle, indent=2)
        weights = os.path.join(staging, WEIGHTS_FILE)
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
            "weights_sha256": sha256_of_file(weights),
            "weights_dtype": weights_dtype or "float32",
            "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
        }
        record.update(metadata or {})
        with open(os.path.join(staging, METADATA_FILE), "w") as handle:
            json.dump(record, handle, indent=2, sort_keys=True)
        with open(os.path.join(staging, CARD_FILE), "w") as handle:
            handle.write(render_model_card(config, record))
        folder.commit()

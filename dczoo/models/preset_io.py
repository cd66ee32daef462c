"""Reading and writing preset folders (local, bundled or on the Hugging Face Hub).

A preset is a folder with `config.json` (the serialized corrector),
`model.weights.h5`, `metadata.json` (versions, parameter count, sha256 of
the weights, anything else recorded at save time) and `README.md` (the model
card). Handles are a built-in name, a local folder, or
`hf://org/repo[@revision]`.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import tempfile

import keras

from dczoo.errors import DczooInputError
from dczoo.version import __version__

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"


def sha256_of_file(path):
    """Returns the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def has_bundled_weights(name):
    """Whether built-in preset `name` ships its weights inside the package.

    Args:
        name: str, a key of `BUILTIN_PRESETS`.

    Returns:
        bool. True when `from_preset(name)` loads offline.
    """
    from dczoo.models.deepconsensus_presets import BUILTIN_PRESETS

    return os.path.exists(os.path.join(BUILTIN_PRESETS[name]["path"], WEIGHTS_FILE))


def _split_hf_handle(handle):
    repo = handle[len("hf://") :]
    revision = None
    if "@" in repo:
        repo, revision = repo.split("@", 1)
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise DczooInputError(
            f"Hugging Face handle {handle!r} is malformed: expected "
            "hf://org/repo or hf://org/repo@revision"
        )
    return repo, revision


class _MissingPresetFile(DczooInputError):
    """The preset has no such file (as opposed to: it could not be fetched)."""


class _PresetSource:
    """Fetches the files of one preset, lazily, from wherever it lives.

    For `hf://` presets, the first file fetched pins the commit it came from,
    so every later file of the same load comes from that same commit.
    """

    def __init__(self, handle):
        from dczoo.models.deepconsensus_presets import BUILTIN_PRESETS

        if not isinstance(handle, (str, os.PathLike)):
            raise DczooInputError(f"preset must be a string, got {type(handle)}")
        handle = os.fspath(handle)
        self.handle = handle
        self.builtin = BUILTIN_PRESETS.get(handle)
        self.folder = None
        self.hf = None
        self.hf_commit = None
        if self.builtin is not None:
            self.folder = self.builtin["path"]
        elif handle.startswith("hf://"):
            self.hf = _split_hf_handle(handle)
        elif "://" in handle:
            raise DczooInputError(
                f"unknown preset scheme in {handle!r}; accepted: a built-in name "
                f"({', '.join(BUILTIN_PRESETS)}), a local folder, or "
                "hf://org/repo[@revision]"
            )
        elif os.path.isdir(handle):
            self.folder = handle
        else:
            raise DczooInputError(
                f"preset {handle!r} is not a built-in name "
                f"({', '.join(BUILTIN_PRESETS)}), an existing folder, or an "
                "hf://org/repo handle"
            )

    def get_file(self, name):
        """Returns a local path to the preset's file `name`."""
        if self.hf is not None:
            return self._download(name)
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            if self.builtin is not None and name == WEIGHTS_FILE:
                raise _MissingPresetFile(
                    f"built-in preset {self.handle!r} has no bundled weights: "
                    f"{path} is missing. Use load_weights=False for the "
                    "architecture only, or load the published weights with "
                    f"from_preset({self.builtin['hub_handle']!r})"
                )
            raise _MissingPresetFile(f"preset {self.handle!r} has no {name} ({path})")
        return path

    def has_file(self, name):
        """Whether the preset has `name`; errors other than absence propagate."""
        try:
            self.get_file(name)
        except _MissingPresetFile:
            return False
        return True

    def _download(self, name):
        try:
            import huggingface_hub
            from huggingface_hub import constants as hf_constants
            from huggingface_hub import errors as hf_errors
        except ImportError as error:
            raise DczooInputError(
                "hf:// presets need huggingface_hub: pip install huggingface_hub"
            ) from error
        repo, revision = self.hf
        what = f"{name} of {self.handle}"
        try:
            path = huggingface_hub.hf_hub_download(
                repo_id=repo, filename=name, revision=self.hf_commit or revision
            )
        except hf_errors.LocalEntryNotFoundError as error:
            if getattr(hf_constants, "HF_HUB_OFFLINE", False):
                raise DczooInputError(
                    f"cannot fetch {what}: HF_HUB_OFFLINE is set and the file is "
                    f"not in the Hugging Face cache ({hf_constants.HF_HUB_CACHE}). "
                    "Unset HF_HUB_OFFLINE on a machine with network access to "
                    "download it once, or use a local preset folder."
                ) from error
            cause = error.__cause__
            reason = f" ({type(cause).__name__}: {cause})" if cause else ""
            raise DczooInputError(
                f"cannot fetch {what}: the Hub at {hf_constants.ENDPOINT} could not "
                f"be reached{reason} and the file is not in the Hugging Face cache "
                f"({hf_constants.HF_HUB_CACHE}). Check the network (and "
                "HF_ENDPOINT) and retry, or use a local preset folder."
            ) from error
        except hf_errors.RevisionNotFoundError as error:
            raise DczooInputError(
                f"cannot fetch {what}: {repo} has no revision {revision!r}"
            ) from error
        except hf_errors.EntryNotFoundError as error:
            raise _MissingPresetFile(
                f"{self.handle} has no file {name}; is it a dczoo preset?"
            ) from error
        except hf_errors.GatedRepoError as error:
            raise DczooInputError(
                f"cannot fetch {what}: {repo} is gated; accept its conditions on "
                "the Hub and set HF_TOKEN (or run `hf auth login`)"
            ) from error
        except hf_errors.RepositoryNotFoundError as error:
            if self.hf_commit is not None:
                # The repository answered for an earlier file of this load, so
                # it exists: some servers answer a missing file this way.
                raise _MissingPresetFile(
                    f"{self.handle} has no file {name}; is it a dczoo preset?"
                ) from error
            raise DczooInputError(
                f"cannot fetch {what}: repository {repo} not found (or private: "
                "set HF_TOKEN or run `hf auth login`)"
            ) from error
        except hf_errors.HfHubHTTPError as error:
            first_line = str(error).splitlines()[0] if str(error) else ""
            raise DczooInputError(f"cannot fetch {what}: {first_line}") from error
        snapshot = path[: -len(name)].rstrip("/" + os.sep)
        commit = os.path.basename(snapshot)
        if self.hf_commit is None and re.fullmatch(r"[0-9a-f]{40}", commit):
            self.hf_commit = commit
        return path

    def read_json(self, name):
        path = self.get_file(name)
        try:
            with open(path) as handle:
                return json.load(handle)
        except (OSError, json.JSONDecodeError) as error:
            raise DczooInputError(f"{path}: not valid JSON ({error})") from error


def load_preset(cls, handle, load_weights=True, **overrides):
    """Builds a model of class `cls` from a preset; see `from_preset`."""
    source = _PresetSource(handle)
    if source.has_file(CONFIG_FILE) or source.builtin is None:
        config = source.read_json(CONFIG_FILE)
        model = _model_from_config(cls, config, overrides, source)
    else:
        from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone

        architecture = dict(source.builtin["architecture"], **overrides)
        model = cls(backbone=DeepConsensusBackbone(**architecture))
    if load_weights:
        weights = source.get_file(WEIGHTS_FILE)
        metadata = source.read_json(METADATA_FILE) if source.has_file(
            METADATA_FILE
        ) else {}
        expected = metadata.get("weights_sha256")
        if expected is not None and sha256_of_file(weights) != expected:
            raise DczooInputError(
                f"{weights}: sha256 does not match metadata.json of preset "
                f"{handle!r}; the file is corrupted or was changed. Delete it "
                "(or its Hugging Face cache entry) and fetch it again."
            )
        model.load_weights(weights)
    return model


def _model_from_config(cls, config, overrides, source):
    if "registered_name" not in config or "config" not in config:
        raise DczooInputError(
            f"{source.get_file(CONFIG_FILE)} is not a dczoo preset config "
            "(no registered_name); save presets with save_to_preset"
        )
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

    The folder is written to a temporary sibling and renamed into place, so a
    failure leaves no half-written preset. `weights_dtype="float16"` stores
    the weights in half precision (`cast_weights_file`).
    """
    from dczoo.hub.model_card import render_model_card

    preset_dir = os.fspath(preset_dir)
    parent = os.path.dirname(os.path.abspath(preset_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".preset-", dir=parent)
    os.chmod(staging, 0o755)  # mkdtemp makes it private; presets are shared
    try:
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
        if os.path.exists(preset_dir):
            shutil.rmtree(preset_dir)
        os.replace(staging, preset_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

"""The files of a preset folder and the checks made before they are used.

A preset folder holds `config.json` (the serialized corrector),
`model.weights.h5`, `metadata.json` (versions, parameter count, the file
manifest, anything else recorded at save time) and `README.md` (the model
card). Loading and publishing check them with the same functions.

Integrity: `metadata.json`'s `manifest` records the sha256 and size of every
file that defines the model (`config.json` and the weights;
`MANIFEST_FILES`), so a changed config (another `num_layers`) is refused like
changed weights. `save_to_preset` writes it (`file_manifest`);
`check_manifest` checks it and names the file that differs. A preset without
a manifest (saved before presets had one) is refused unless the caller
passes `verify=False` (`dczoo correct --no-verify`).
"""

import hashlib
import json
import os

from dczoo.errors import DczooInputError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
PRESET_FILES = (CARD_FILE, CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE)
MANIFEST_KEY = "manifest"
MANIFEST_FILES = (CONFIG_FILE, WEIGHTS_FILE)


def sha256_of_file(path):
    """Returns the hex sha256 of a file.

    Args:
        path: str or Path.

    Returns:
        str, 64 hex digits.

    Example:
    ```python
    sha256_of_file("preset/model.weights.h5") == metadata["weights_sha256"]
    ```
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def has_weights_file(folder):
    """Whether a preset folder holds its weights file.

    Args:
        folder: str or Path of a preset folder.

    Returns:
        bool.

    Example:
    ```python
    has_weights_file("runs/student/best")
    ```
    """
    return os.path.exists(os.path.join(folder, WEIGHTS_FILE))


def read_json_file(path):
    """Reads a JSON file of a preset.

    Args:
        path: str. The file.

    Returns:
        The parsed document.

    Raises:
        DczooInputError: the file cannot be read or is not JSON.

    Example:
    ```python
    metadata = read_json_file("preset/metadata.json")
    ```
    """
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        raise DczooInputError(f"{path}: not valid JSON ({error})") from error


def check_preset_config(config, path):
    """Checks that a parsed `config.json` is a serialized dczoo model.

    Args:
        config: the parsed document.
        path: str. Where it was read from, for the error message.

    Raises:
        DczooInputError: it is not a dict with `registered_name` and
            `config` (what `keras.saving.serialize_keras_object` writes).

    Example:
    ```python
    check_preset_config(read_json_file(path), path)
    ```
    """
    if not isinstance(config, dict) or "registered_name" not in config or "config" not in config:
        raise DczooInputError(
            f"{path} is not a dczoo preset config (no registered_name); save "
            "presets with save_to_preset"
        )


def check_weights_sha256(weights, metadata, advice):
    """Checks the weights file against the sha256 recorded in the metadata.

    Args:
        weights: str. The weights file.
        metadata: dict. The preset's metadata (nothing is checked when it
            records no `weights_sha256`).
        advice: str. What to do about a mismatch, ending the message.

    Raises:
        DczooInputError: the sha256 differs.

    Example:
    ```python
    check_weights_sha256(weights, metadata, "fetch the preset again")
    ```
    """
    expected = metadata.get("weights_sha256")
    if expected is not None and sha256_of_file(weights) != expected:
        raise DczooInputError(f"{weights}: sha256 does not match {METADATA_FILE}; {advice}")


def file_manifest(folder, names=MANIFEST_FILES):
    """The manifest of a preset folder: sha256 and size of each file.

    Args:
        folder: str or Path of the preset folder.
        names: the files to record (`MANIFEST_FILES`).

    Returns:
        dict file name -> `{"sha256": str, "bytes": int}`, stored as
        `metadata["manifest"]`.

    Example:
    ```python
    metadata["manifest"] = file_manifest("my_preset/")
    ```
    """
    manifest = {}
    for name in names:
        path = os.path.join(folder, name)
        manifest[name] = {"sha256": sha256_of_file(path), "bytes": os.path.getsize(path)}
    return manifest


def check_manifest(metadata, files, handle, advice):
    """Checks a preset's files against the manifest of its metadata.

    Args:
        metadata: dict. The preset's parsed metadata.json.
        files: dict file name -> local path of the files to check (those
            of `MANIFEST_FILES` the caller uses).
        handle: str. The preset, for messages.
        advice: str. What to do about a mismatch, ending the message.

    Raises:
        DczooInputError: the metadata has no manifest (the message says how
            to load such a preset with `verify=False`), the manifest does not
            cover one of `files`, or a file's size or sha256 differs (the
            message names the file).

    Example:
    ```python
    check_manifest(metadata, {"config.json": config_path}, "my_preset/", "fetch it again")
    ```
    """
    manifest = metadata.get(MANIFEST_KEY) if isinstance(metadata, dict) else None
    if not isinstance(manifest, dict):
        raise DczooInputError(
            f"preset {handle!r} has no file manifest in {METADATA_FILE}, so its config.json and "
            "weights cannot be verified; if you trust it, load it with verify=False (--no-verify "
            "on the command line) and save it again with save_to_preset to add one"
        )
    for name, path in files.items():
        entry = manifest.get(name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            raise DczooInputError(
                f"preset {handle!r}: the manifest in {METADATA_FILE} does not cover {name}; "
                f"{advice}"
            )
        size = os.path.getsize(path)
        if entry.get("bytes") is not None and size != entry["bytes"]:
            raise DczooInputError(
                f"preset {handle!r}: {name} does not match the manifest in {METADATA_FILE}: it has "
                f"{size:,} bytes, the manifest records {int(entry['bytes']):,} and their sha256 "
                f"(truncated or changed: {path}); {advice}"
            )
        if sha256_of_file(path) != entry["sha256"]:
            raise DczooInputError(
                f"preset {handle!r}: {name} does not match the sha256 in the manifest of "
                f"{METADATA_FILE} (changed or corrupted: {path}); {advice}"
            )

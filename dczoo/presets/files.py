"""The files of a preset folder and the checks made before they are used.

A preset folder holds `config.json` (the serialized corrector),
`model.weights.h5`, `metadata.json` (versions, parameter count, sha256 of the
weights, anything else recorded at save time) and `README.md` (the model
card). Loading and publishing check them with the same functions.
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

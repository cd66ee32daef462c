"""Preset handles, and fetching a preset's files from wherever it lives.

A handle is a built-in preset name, a local preset folder, or (where remote
presets are accepted) `hf://org/repo[@revision]` on the Hugging Face Hub.
Hub files are downloaded with huggingface_hub into its cache.
"""

import os
import re

from dczoo.errors import DczooInputError, network_error
from dczoo.presets.files import CONFIG_FILE, WEIGHTS_FILE, check_preset_config, read_json_file
from dczoo.presets.registry import BUILTIN_PRESETS

HF_SCHEME = "hf://"


def parse_hf_handle(handle):
    """Splits `hf://org/repo[@revision]`.

    Args:
        handle: str starting with `hf://`.

    Returns:
        `(repo_id, revision)`: `org/repo` and the revision (None when the
        handle names none).

    Raises:
        DczooInputError: not `hf://` followed by exactly `org/repo`.

    Example:
    ```python
    parse_hf_handle("hf://dczoo/student_4layer@v1")  # ("dczoo/student_4layer", "v1")
    ```
    """
    if not isinstance(handle, str) or not handle.startswith(HF_SCHEME):
        raise DczooInputError(f"{handle!r} is not a Hugging Face handle (hf://org/repo)")
    repo = handle[len(HF_SCHEME) :]
    revision = None
    if "@" in repo:
        repo, revision = repo.split("@", 1)
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise DczooInputError(
            f"Hugging Face handle {handle!r} is malformed: expected "
            "hf://org/repo or hf://org/repo@revision"
        )
    return repo, revision


class MissingPresetFile(DczooInputError):
    """The preset has no such file (as opposed to: it could not be fetched)."""


class PresetSource:
    """Fetches the files of one preset, lazily, from wherever it lives.

    For `hf://` presets, the first file fetched pins the commit it came from,
    so every later file of the same load comes from that same commit.

    Args:
        handle: str or Path. A built-in name, a local folder or (with
            `remote=True`) `hf://org/repo[@revision]`.
        remote: bool. Whether Hub handles are accepted.

    Attributes:
        handle: str. The handle as given.
        builtin: dict or None. The `BUILTIN_PRESETS` entry of a built-in.
        folder: str or None. The local folder (built-in or given).
        hf: `(repo_id, revision)` of a Hub preset, else None.

    Raises:
        DczooInputError: the handle names nothing that exists or is accepted.

    Example:
    ```python
    source = PresetSource("hf://dczoo/student_4layer")
    config = source.read_config()
    weights = source.get_file(WEIGHTS_FILE)
    ```
    """

    def __init__(self, handle, remote=True):
        if not isinstance(handle, (str, os.PathLike)):
            raise DczooInputError(f"preset must be a string, got {type(handle)}")
        handle = os.fspath(handle)
        self.handle = handle
        self.builtin = BUILTIN_PRESETS.get(handle)
        self.folder = None
        self.hf = None
        self.hf_commit = None
        accepted = [f"a built-in name ({', '.join(BUILTIN_PRESETS)})", "an existing folder"]
        if remote:
            accepted.append("an hf://org/repo[@revision] handle")
        accepted = ", ".join(accepted[:-1]) + f" or {accepted[-1]}"
        if self.builtin is not None:
            self.folder = self.builtin["path"]
        elif remote and handle.startswith(HF_SCHEME):
            self.hf = parse_hf_handle(handle)
        elif "://" in handle:
            kind = "unknown preset scheme in" if remote else "not a local preset:"
            raise DczooInputError(f"{kind} {handle!r}; accepted: {accepted}")
        elif os.path.isdir(handle):
            self.folder = handle
        else:
            raise DczooInputError(f"preset {handle!r} is not {accepted}")

    def get_file(self, name):
        """Returns a local path to the preset's file `name`.

        Raises:
            MissingPresetFile: the preset has no such file.
            DczooInputError: a Hub file could not be fetched.
        """
        if self.hf is not None:
            return self._download(name)
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            if self.builtin is not None and name == WEIGHTS_FILE:
                raise MissingPresetFile(
                    f"built-in preset {self.handle!r} has no bundled weights: "
                    f"{path} is missing. Use load_weights=False for the "
                    "architecture only, or load the published weights with "
                    f"from_preset({self.builtin['hub_handle']!r})"
                )
            raise MissingPresetFile(
                f"preset {self.handle!r} has no {name} ({path}); preset folders "
                "are written by save_to_preset"
            )
        return path

    def has_file(self, name):
        """Whether the preset has `name`; errors other than absence propagate."""
        try:
            self.get_file(name)
        except MissingPresetFile:
            return False
        return True

    def read_json(self, name):
        """The parsed JSON file `name` of the preset."""
        return read_json_file(self.get_file(name))

    def read_config(self):
        """The preset's `config.json`, checked to be a serialized dczoo model."""
        path = self.get_file(CONFIG_FILE)
        config = read_json_file(path)
        check_preset_config(config, path)
        return config

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
            raise network_error(
                f"cannot fetch {what} (not in the Hugging Face cache {hf_constants.HF_HUB_CACHE})",
                hf_constants.ENDPOINT, error.__cause__ or error,
            ) from error
        except hf_errors.RevisionNotFoundError as error:
            raise DczooInputError(
                f"cannot fetch {what}: {repo} has no revision {revision!r}"
            ) from error
        except hf_errors.EntryNotFoundError as error:
            raise MissingPresetFile(
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
                raise MissingPresetFile(
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

"""Publishing presets to the Hugging Face Hub.

`upload_preset` checks a preset folder, writes the exact folder to upload
(`config.json`, `metadata.json`, `model.weights.h5` and a freshly rendered
`README.md` model card), creates the Hub repository if needed and uploads the
four files in one commit with huggingface_hub. `stage_upload_folder` writes
the same folder without uploading (what `dczoo publish --dry-run` shows).

The token comes from `HF_TOKEN` or huggingface_hub's saved login; it is passed
to huggingface_hub and never printed, logged or written anywhere by dczoo.
"""

import os
import shutil
import tempfile

from dczoo.atomic import AtomicFolder
from dczoo.errors import DczooError, DczooInputError, is_network_error, network_error
from dczoo.hub.card_metadata import validate_model_card
from dczoo.hub.model_card import render_model_card
from dczoo.paths import check_paths
from dczoo.presets import (
    CARD_FILE,
    CONFIG_FILE,
    METADATA_FILE,
    PRESET_FILES,
    WEIGHTS_FILE,
    PresetSource,
    check_manifest,
    check_weights_sha256,
    has_weights_file,
    parse_hf_handle,
)


def parse_hub_uri(uri):
    """Returns the `org/repo` id of an upload target `hf://org/repo`.

    Args:
        uri: str. `hf://org/repo`.

    Returns:
        str: `org/repo`.

    Raises:
        DczooInputError: `uri` is not of that form (an `@revision` included:
            uploads always go to the repository's main branch).

    Example:
    ```python
    parse_hub_uri("hf://my-org/my-student")  # "my-org/my-student"
    ```
    """
    try:
        repo_id, revision = parse_hf_handle(uri)
    except DczooInputError as error:
        raise DczooInputError(f"upload target {uri!r} must look like hf://org/repo") from error
    if revision is not None:
        raise DczooInputError(
            f"upload target {uri!r} names a revision; uploads go to the main "
            "branch of hf://org/repo"
        )
    return repo_id


def resolve_preset_folder(preset):
    """Returns the local folder of a built-in preset name or a preset folder.

    Args:
        preset: str or path. A built-in preset name or a local preset folder.

    Returns:
        str: the folder.

    Raises:
        DczooInputError: the preset is remote, unknown, or a built-in preset
            whose weights are not bundled.

    Example:
    ```python
    resolve_preset_folder("student_4layer")  # the bundled folder
    ```
    """
    source = PresetSource(preset, remote=False)
    if source.builtin is not None and not has_weights_file(source.folder):
        raise DczooInputError(
            f"built-in preset {source.handle!r} has no bundled weights "
            f"({os.path.join(source.folder, WEIGHTS_FILE)} is missing), so there is "
            "nothing to publish. Train or convert a model, save it with "
            "save_to_preset(folder), and publish that folder."
        )
    return source.folder


def read_preset_folder(folder):
    """Checks a preset folder before upload and reads its config and metadata.

    Args:
        folder: str. A preset folder.

    Returns:
        `(config, metadata)` dicts.

    Raises:
        DczooInputError: a required file is missing or unreadable, the config
            is not a dczoo preset config, or the metadata has no manifest or
            config.json or the weights do not match it (only verified presets
            are published).

    Example:
    ```python
    config, metadata = read_preset_folder("my_preset/")
    ```
    """
    source = PresetSource(folder, remote=False)
    config = source.read_config()
    metadata = source.read_json(METADATA_FILE)
    advice = (
        "refusing to publish a changed or corrupted preset (load it with verify=False and "
        "save it again with save_to_preset)"
    )
    files = {name: source.get_file(name) for name in (CONFIG_FILE, WEIGHTS_FILE)}
    check_manifest(metadata, files, folder, advice)
    check_weights_sha256(files[WEIGHTS_FILE], metadata, advice)
    return config, metadata


def stage_upload_folder(preset, out_dir, repo_id=None):
    """Writes the exact folder that `upload_preset` would upload.

    The folder is written to a temporary sibling and renamed into place
    (`dczoo.atomic.AtomicFolder`). An existing `out_dir` is replaced only if
    it holds nothing but preset files (an earlier dry run); otherwise it is
    an error.

    Args:
        preset: str or path. A built-in preset name or a local preset folder.
        out_dir: str or path. Where to write the folder.
        repo_id: str or None. `org/repo` the card is rendered for.

    Returns:
        list of `(file name, size in bytes)`, sorted by name.

    Example:
    ```python
    files = stage_upload_folder("my_preset/", "to_upload/", "my-org/my-student")
    ```
    """
    folder = resolve_preset_folder(preset)
    check_paths(inputs=[("PRESET", folder)], folders=[("--out", out_dir)])
    config, metadata = read_preset_folder(folder)
    card = render_model_card(config, metadata, repo_id=repo_id)
    validate_model_card(card, source=f"model card of {folder}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir):
        if not os.path.isdir(out_dir) or set(os.listdir(out_dir)) - set(PRESET_FILES):
            raise DczooInputError(
                f"{out_dir} exists and is not an earlier dry-run folder; choose another folder"
            )
    with AtomicFolder(out_dir) as staging:
        for name in (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE):
            shutil.copyfile(
                os.path.join(folder, name), os.path.join(staging.temporary_path, name)
            )
        with open(os.path.join(staging.temporary_path, CARD_FILE), "w") as handle:
            handle.write(card)
        staging.commit()
    return [(name, os.path.getsize(os.path.join(out_dir, name))) for name in sorted(PRESET_FILES)]


def upload_preset(uri, preset_dir, private=False, commit_message=None):
    """Uploads a preset to the Hugging Face Hub, with a generated model card.

    Creates the repository if it does not exist (an existing repository keeps
    its visibility), then commits `config.json`, `metadata.json`,
    `model.weights.h5` and `README.md` in one commit. The card is rendered
    from the preset's config and metadata for this repository.

    Args:
        uri: str. `hf://org/repo`.
        preset_dir: str or path. A folder written by `save_to_preset` (or a
            built-in preset name whose weights are bundled).
        private: bool. Create the repository as private.
        commit_message: str or None. Defaults to "Upload dczoo preset".

    Returns:
        `huggingface_hub.CommitInfo` of the commit (`.commit_url`, `.oid`).

    Raises:
        DczooInputError: bad target or preset, or no token.
        DczooNetworkError: the Hub could not be reached (exit status 4).
        DczooError: the Hub refused the upload.

    Example:
    ```python
    dczoo.upload_preset("hf://my-org/my-student", "my_student_preset/")
    ```
    """
    repo_id = parse_hub_uri(uri)
    try:
        import huggingface_hub
        from huggingface_hub import errors as hf_errors
    except ImportError as error:
        raise DczooInputError("uploading needs huggingface_hub: pip install huggingface_hub") from error
    token = huggingface_hub.get_token()
    if not token:
        raise DczooInputError(
            f"no Hugging Face token to upload to {uri}: set HF_TOKEN or run "
            "`hf auth login` with a token that can write to "
            f"{repo_id.split('/')[0]}"
        )
    api = huggingface_hub.HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="dczoo-upload-") as scratch:
        folder = os.path.join(scratch, repo_id.split("/")[1])
        stage_upload_folder(preset_dir, folder, repo_id=repo_id)
        try:
            api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
            return api.upload_folder(
                repo_id=repo_id,
                repo_type="model",
                folder_path=folder,
                allow_patterns=list(PRESET_FILES),
                commit_message=commit_message or "Upload dczoo preset",
            )
        except Exception as error:
            # Network failures are httpx2/httpx transport errors (not OSError),
            # requests errors or OSErrors, sometimes wrapped by huggingface_hub.
            if is_network_error(error):
                raise network_error(f"cannot upload to {uri}", api.endpoint, error) from error
            if isinstance(error, hf_errors.HfHubHTTPError):
                raise DczooError(_explain_http_error(error, uri, api.endpoint)) from error
            if isinstance(error, ValueError):  # e.g. the Hub rejected the card's metadata
                raise DczooError(f"uploading to {uri} failed: {error}") from error
            raise


def _explain_http_error(error, uri, endpoint):
    status = getattr(getattr(error, "response", None), "status_code", None)
    detail = getattr(error, "server_message", None) or (
        str(error).splitlines()[0] if str(error) else type(error).__name__
    )
    if status in (401, 403):
        return (
            f"{endpoint} refused the upload to {uri} (HTTP {status}): the token "
            "(HF_TOKEN or `hf auth login`) is invalid or cannot write to this "
            f"repository. The Hub said: {detail}"
        )
    return f"uploading to {uri} failed (HTTP {status}): {detail}"

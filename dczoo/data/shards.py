"""Window datasets on disk: compressed numpy shards plus a summary JSON.

Layout of a dataset directory (written atomically by
`dczoo.data.dataset_writer.DatasetWriter`):

    summary.json
    train/shard-00000.npz, train/shard-00001.npz, ...   (training mode)
    eval/..., test/...
    inference/shard-00000.npz, ...                      (inference mode)

Each shard is an ordinary `.npz` (zip of `.npy`, deflate-compressed) that
`numpy.load` opens without pickling. Windows are stored compactly (only the
rows of subreads present, see `dczoo.data.window_packing`) and `read_shard`
rebuilds the exact float32 tensors. Besides the packed window arrays, a shard
has:

| key | dtype, shape | meaning |
|---|---|---|
| `label` | uint8 (n, W) | truth token ids (training splits only) |
| `name` | str (n,) | draft read name |
| `window_pos` | int64 (n,) | first draft position of the window |
| `window_index` | int64 (n,) | window number k within its ZMW |
| `use_ccs_bq` | bool () | whether tensors have the base-quality row |
"""

import json
import os
import zipfile

import numpy as np

from dczoo.data.window_packing import unpack_rows
from dczoo.data.windows import assemble_windows
from dczoo.errors import DczooInputError

SUMMARY_NAME = "summary.json"
FORMAT_NAME = "dczoo-windows"
FORMAT_VERSION = 1
DEFAULT_SHARD_SIZE = 4096
_ARRAY_KEYS = (
    "subread_rows",
    "strand",
    "num_passes",
    "ccs",
    "ccs_bq",
    "sn",
    "max_passes",
    "use_ccs_bq",
    "name",
    "window_pos",
    "window_index",
)


def load_shard_arrays(path):
    """Loads the compact arrays of one shard (no float32 tensors yet).

    Args:
        path: str or Path of a shard `.npz`.

    Returns:
        dict of name -> np.ndarray (see the table in the module docstring).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DczooInputError(f"{path}: not a readable window shard ({error})") from None
    missing = [key for key in _ARRAY_KEYS if key not in arrays]
    if missing:
        raise DczooInputError(f"{path}: window shard lacks {', '.join(missing)}")
    return arrays


def windows_from_arrays(arrays, index=None, clip=False):
    """Float32 window tensors (and labels) of some windows of a shard.

    Args:
        arrays: dict from `load_shard_arrays`.
        index: optional int array selecting windows (default: all).
        clip: bool. Clip pw/ip to [0, 255] and signal-to-noise to [0, 500]
            like the reference's model input (stored values are unclipped;
            pw and ip are 8-bit so only the signal-to-noise can change).

    Returns:
        `(windows, labels)`: float32 (n, rows, W) and float32 (n, W) or None.
    """
    pick = (lambda a: a) if index is None else (lambda a: a[index])
    sn = pick(arrays["sn"])
    if clip:
        sn = np.clip(sn, 0.0, 500.0)
    windows = assemble_windows(
        unpack_rows(arrays, index), pick(arrays["ccs_bq"]), sn, bool(arrays["use_ccs_bq"])
    )
    label = arrays.get("label")
    return windows, None if label is None else pick(label).astype(np.float32)


def read_shard(path, clip=False):
    """Reads one shard and rebuilds its float32 window tensors.

    Args:
        path: str or Path of a shard `.npz`.
        clip: bool. Clip like the reference's model input (`format_rows`):
            pw and ip to [0, 255], signal-to-noise to [0, 500]. The stored
            windows are unclipped.

    Returns:
        dict with `windows` float32 (n, rows, W), `labels` float32 (n, W) or
        None, `name`, `window_pos`, `window_index`, `num_passes`, `ccs_bq`.

    Example:
        >>> shard = read_shard("train/shard-00000.npz")  # doctest: +SKIP
        >>> shard["windows"].shape
        (1239, 85, 100)
    """
    arrays = load_shard_arrays(path)
    windows, labels = windows_from_arrays(arrays, clip=clip)
    return {"windows": windows, "labels": labels, **window_metadata(arrays)}


def window_metadata(arrays):
    """The per-window metadata of a shard (everything but the tensors).

    Args:
        arrays: dict from `load_shard_arrays`.

    Returns:
        dict with `name`, `window_pos`, `window_index`, `num_passes` and
        `ccs_bq`, one entry per window.
    """
    return {key: arrays[key] for key in ("name", "window_pos", "window_index", "num_passes", "ccs_bq")}


def read_summary(directory):
    """Reads `summary.json` of a dataset directory.

    Args:
        directory: str or Path.

    Returns:
        dict (see `DatasetWriter.finish`).
    """
    path = os.path.join(os.fspath(directory), SUMMARY_NAME)
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except FileNotFoundError:
        raise DczooInputError(f"{path}: no summary; not a dczoo window dataset") from None
    except json.JSONDecodeError as error:
        raise DczooInputError(f"{path}: invalid JSON ({error})") from None
    if summary.get("format") != FORMAT_NAME:
        raise DczooInputError(f"{path}: not a dczoo window dataset summary")
    return summary


def shard_paths(directory, split):
    """Paths of the shards of one split, in order.

    Args:
        directory: str or Path of a dataset.
        split: str ("train", "eval", "test" or "inference").

    Returns:
        list of `(path, n_windows)` tuples.
    """
    summary = read_summary(directory)
    if split not in summary["splits"]:
        known = ", ".join(summary["splits"]) or "none"
        raise DczooInputError(f"{directory}: no split {split!r} (splits: {known})")
    root = os.fspath(directory)
    return [
        (os.path.join(root, shard["file"]), int(shard["windows"]))
        for shard in summary["splits"][split]["shards"]
    ]


def load_split(directory, split, sample=None, limit=None, seed=0, clip=True, with_passes=False,
               where=None):
    """Windows and labels of one split as numpy arrays (evaluation, benchmarks).

    Shards are read in order; float32 tensors are built only for the windows
    returned. Of the windows `where` keeps (all by default), `limit` keeps the
    first ones, and `sample` then draws a random subset, returned in dataset
    order: the windows at `sorted(permutation(n)[:sample])` of the
    concatenated split, with `permutation` from
    `np.random.default_rng(seed)`.

    Args:
        directory: str or Path of a dataset written by `dczoo preprocess`.
        split: str. "train", "eval", "test" or "inference".
        sample: int or None. Windows drawn at random, without replacement
            (None: all of them).
        limit: int or None. Only the first `limit` windows are considered;
            shards after the one that reaches it are not read.
        seed: int. Seed of the sample.
        clip: bool. Clip like the reference's model input (see `read_shard`).
        with_passes: bool. Also return each window's number of subreads.
        where: callable or None. Called with the `window_metadata` of each
            shard, returns a bool mask of the windows to consider (for
            example those the model is not skipped on).

    Returns:
        `(windows, labels)`: float32 `(n, rows, W)` and float32 `(n, W)`, or
        None for a split without labels; with `with_passes`,
        `(windows, labels, num_passes)`.

    Example:
        >>> windows, labels = load_split("windows_test/", "test", sample=3000)  # doctest: +SKIP
        >>> windows.shape
        (3000, 85, 100)
    """
    shards, considered = [], 0
    for path, _ in shard_paths(directory, split):
        arrays = load_shard_arrays(path)
        index = np.arange(len(arrays["name"]))
        if where is not None:
            index = index[np.asarray(where(window_metadata(arrays)), bool)]
        shards.append((arrays, index))
        considered += len(index)
        if limit is not None and considered >= limit:
            break
    if not shards:
        raise DczooInputError(f"{directory}: split {split!r} has no shards")
    if limit is not None:
        considered = min(considered, int(limit))
    if sample is None:
        positions = np.arange(considered)
    else:
        positions = np.sort(np.random.default_rng(seed).permutation(considered)[:sample])
    windows, labels, passes = [], [], []
    start = 0
    for arrays, index in shards:
        local = positions[(positions >= start) & (positions < start + len(index))] - start
        start += len(index)
        picked = index[local]
        shard_windows, shard_labels = windows_from_arrays(arrays, index=picked, clip=clip)
        windows.append(shard_windows)
        labels.append(shard_labels)
        passes.append(arrays["num_passes"][picked])
    windows = np.concatenate(windows)
    labels = None if labels[0] is None else np.concatenate(labels)
    if with_passes:
        return windows, labels, np.concatenate(passes)
    return windows, labels

"""Window datasets on disk: compressed numpy shards plus a summary JSON.

Layout of a dataset directory (written atomically by `DatasetWriter`):

    summary.json
    train/shard-00000.npz, train/shard-00001.npz, ...   (training mode)
    eval/..., test/...
    inference/shard-00000.npz, ...                      (inference mode)

Each shard is an ordinary `.npz` (zip of `.npy`, deflate-compressed) that
`numpy.load` opens without pickling. Windows are stored compactly and
`read_shard` rebuilds the exact float32 tensors:

| key | dtype, shape | meaning |
|---|---|---|
| `rows` | uint8 (n, 4P+1, W) | bases, pw, ip, strand and draft rows |
| `ccs_bq` | int16 (n, W) | draft base quality per column, -1 off draft |
| `sn` | float32 (n, 4) | signal-to-noise rows |
| `label` | uint8 (n, W) | truth token ids (training splits only) |
| `name` | str (n,) | draft read name |
| `window_pos` | int64 (n,) | first draft position of the window |
| `window_index` | int64 (n,) | window number k within its ZMW |
| `num_passes` | int16 (n,) | subreads in the tensor |
| `use_ccs_bq` | bool () | whether tensors have the base-quality row |
"""

import json
import os
import secrets
import shutil
import zipfile

import numpy as np

from dczoo.data.windows import assemble_windows
from dczoo.errors import DczooInputError
from dczoo.version import __version__

SUMMARY_NAME = "summary.json"
FORMAT_NAME = "dczoo-windows"
FORMAT_VERSION = 1
DEFAULT_SHARD_SIZE = 4096
_ARRAY_KEYS = ("rows", "ccs_bq", "sn", "name", "window_pos", "window_index", "num_passes")


def save_npz(path, arrays, compresslevel=1):
    """Writes arrays into a deflate-compressed `.npz` that `numpy.load` reads.

    Args:
        path: str or Path.
        arrays: dict of name -> np.ndarray (no object arrays).
        compresslevel: int 1..9 (1 is fast and compresses windows well).
    """
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as archive:
        for key, value in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)


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
    missing = [key for key in _ARRAY_KEYS + ("use_ccs_bq",) if key not in arrays]
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
        pick(arrays["rows"]), pick(arrays["ccs_bq"]), sn, bool(arrays["use_ccs_bq"])
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
    return {
        "windows": windows,
        "labels": labels,
        "name": arrays["name"],
        "window_pos": arrays["window_pos"],
        "window_index": arrays["window_index"],
        "num_passes": arrays["num_passes"],
        "ccs_bq": arrays["ccs_bq"],
    }


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


def _fresh_directory(parent, prefix):
    """Creates a new uniquely named directory (permissions follow the umask)."""
    while True:
        path = os.path.join(parent, f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue


class _SplitBuffer:
    """Windows of one split waiting to fill a shard."""

    def __init__(self):
        self.parts = []
        self.count = 0
        self.zmws = 0
        self.windows = 0
        self.shards = []

    def take(self, n):
        """Removes and returns the first `n` windows as one dict of arrays."""
        merged = {
            key: np.concatenate([part[key] for part in self.parts])
            for key in self.parts[0]
        }
        head = {key: value[:n] for key, value in merged.items()}
        rest = {key: value[n:] for key, value in merged.items()}
        self.parts = [rest] if self.count > n else []
        self.count -= n
        return head


class DatasetWriter:
    """Writes `ZmwWindows` into a shard dataset, atomically.

    Everything goes to a temporary directory next to `directory`, renamed
    into place by `finish`; on error (or without `finish`) nothing is left.
    Use as a context manager.

    Args:
        directory: str or Path of the dataset to create.
        shard_size: int. Windows per shard (the last shard may be smaller).
        overwrite: bool. Replace an existing non-empty directory.
        compresslevel: int. Deflate level of the shards.

    Example:
        >>> with DatasetWriter("examples/") as writer:  # doctest: +SKIP
        ...     for zmw in iter_zmw_windows(subreads, ccs):
        ...         writer.add(zmw)
        ...     writer.finish(settings={"max_passes": 20})
    """

    def __init__(self, directory, shard_size=DEFAULT_SHARD_SIZE, overwrite=False,
                 compresslevel=1):
        self.directory = os.path.abspath(os.fspath(directory))
        if shard_size < 1:
            raise DczooInputError(f"shard size {shard_size}: must be at least 1")
        if os.path.exists(self.directory):
            if not os.path.isdir(self.directory):
                raise DczooInputError(f"{self.directory}: exists and is not a directory")
            if os.listdir(self.directory) and not overwrite:
                raise DczooInputError(
                    f"{self.directory}: output directory exists and is not empty "
                    "(use --overwrite to replace it)"
                )
        self.shard_size = int(shard_size)
        self.compresslevel = compresslevel
        self._buffers = {}
        self._counters = {}
        self._tmp = None

    def __enter__(self):
        parent = os.path.dirname(self.directory)
        os.makedirs(parent, exist_ok=True)
        self._tmp = _fresh_directory(parent, f".{os.path.basename(self.directory)}.tmp")
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        return False

    def add(self, zmw):
        """Adds the windows (and counters) of one ZMW."""
        if self._tmp is None:
            raise RuntimeError("DatasetWriter must be used as a context manager")
        for key, value in zmw.counters.items():
            self._counters[key] = self._counters.get(key, 0) + value
        if zmw.n_windows == 0:
            return
        buffer = self._buffers.setdefault(zmw.split, _SplitBuffer())
        part = {
            "rows": zmw.rows,
            "ccs_bq": zmw.ccs_bq,
            "sn": np.broadcast_to(zmw.sn, (zmw.n_windows, zmw.sn.size)),
            "name": np.full(zmw.n_windows, zmw.name),
            "window_pos": zmw.window_pos,
            "window_index": zmw.window_index,
            "num_passes": zmw.num_passes.astype(np.int16),
        }
        if zmw.label_codes is not None:
            part["label"] = zmw.label_codes
        buffer.parts.append(part)
        buffer.count += zmw.n_windows
        buffer.zmws += 1
        self._use_ccs_bq = zmw.use_ccs_bq
        while buffer.count >= self.shard_size:
            self._write_shard(zmw.split, buffer, buffer.take(self.shard_size))

    def _write_shard(self, split, buffer, arrays):
        folder = os.path.join(self._tmp, split)
        os.makedirs(folder, exist_ok=True)
        name = f"shard-{len(buffer.shards):05d}.npz"
        arrays["use_ccs_bq"] = np.array(self._use_ccs_bq)
        save_npz(os.path.join(folder, name), arrays, self.compresslevel)
        n = int(arrays["rows"].shape[0])
        buffer.windows += n
        buffer.shards.append({"file": f"{split}/{name}", "windows": n})

    @property
    def counters(self):
        """Counters summed over the ZMWs added so far."""
        return dict(sorted(self._counters.items()))

    def finish(self, settings=None, mode="inference"):
        """Writes the last shards and the summary, then moves into place.

        Args:
            settings: dict of the run's settings, recorded in the summary.
            mode: str, "inference" or "training".

        Returns:
            dict: the summary written to `summary.json`.
        """
        for split, buffer in self._buffers.items():
            if buffer.count:
                self._write_shard(split, buffer, buffer.take(buffer.count))
        summary = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "dczoo_version": __version__,
            "mode": mode,
            "settings": settings or {},
            "counters": self.counters,
            "splits": {
                split: {
                    "zmws": buffer.zmws,
                    "windows": buffer.windows,
                    "shards": buffer.shards,
                }
                for split, buffer in sorted(self._buffers.items())
            },
        }
        with open(os.path.join(self._tmp, SUMMARY_NAME), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
        self._move_into_place()
        return summary

    def _move_into_place(self):
        old = None
        if os.path.exists(self.directory):
            old = _fresh_directory(
                os.path.dirname(self.directory),
                f".{os.path.basename(self.directory)}.old",
            )
            os.rename(self.directory, os.path.join(old, "data"))
        os.rename(self._tmp, self.directory)
        self._tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

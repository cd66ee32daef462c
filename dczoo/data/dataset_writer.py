"""`DatasetWriter`: ZMWs -> shard files + summary.json, written atomically.

Shards hold whole ZMWs: a shard is written as soon as its split has at least
`shard_size` windows buffered, so shards have `shard_size` windows or a few
more (the last one of a split may have fewer). The format is described in
`dczoo.data.shards`.

`overwrite=True` replaces only a folder that dczoo wrote: an earlier dataset
(its summary.json and the shards it lists) or an empty folder. A folder
holding anything else is refused, so `--overwrite` never deletes a user's
files.
"""

import json
import os

import numpy as np

from dczoo.atomic import AtomicFolder
from dczoo.data.npz_stream import deflate, write_npz
from dczoo.data.shards import DEFAULT_SHARD_SIZE, FORMAT_NAME, FORMAT_VERSION, SUMMARY_NAME
from dczoo.data.window_packing import PackedZmw, pack_for_shards
from dczoo.errors import DczooInputError
from dczoo.version import __version__

_MAX_SHARD_SIZE = 100_000  # keeps every npz member far below zip's 4 GiB limit


class _SplitBuffer:
    """Packed ZMWs of one split waiting to fill a shard."""

    def __init__(self):
        self.zmws = []
        self.count = 0
        self.total_zmws = 0
        self.total_windows = 0
        self.shards = []


def _foreign_files(directory):
    """Paths (relative to `directory`) that are not part of a dczoo dataset.

    A dataset holds its summary.json and the shard files that summary lists,
    in their split folders; nothing else.
    """
    summary_path = os.path.join(directory, SUMMARY_NAME)
    own = set()
    if os.path.isfile(summary_path):
        try:
            with open(summary_path, encoding="utf-8") as handle:
                summary = json.load(handle)
        except (OSError, ValueError):
            summary = {}
        if isinstance(summary, dict) and summary.get("format") == FORMAT_NAME:
            own.add(SUMMARY_NAME)
            for info in (summary.get("splits") or {}).values():
                own.update(shard.get("file") for shard in info.get("shards", []))
    foreign = []
    for folder, subfolders, files in os.walk(directory):
        for name in sorted(files):
            relative = os.path.relpath(os.path.join(folder, name), directory)
            if relative.replace(os.sep, "/") not in own:
                foreign.append(relative)
        subfolders.sort()
    return foreign


class DatasetWriter:
    """Writes ZMWs into a shard dataset, atomically.

    Everything goes to a temporary directory next to `directory`, renamed
    into place by `finish` (`dczoo.atomic.AtomicFolder`); on error (or
    without `finish`) nothing is left. Use as a context manager.

    Args:
        directory: str or Path of the dataset to create.
        shard_size: int. Windows per shard (whole ZMWs; see module doc).
        overwrite: bool. Replace an existing non-empty directory.
        compresslevel: int. Deflate level for ZMWs packed by the writer.

    Example:
        >>> with DatasetWriter("examples/") as writer:  # doctest: +SKIP
        ...     for zmw in iter_zmw_windows(subreads, ccs,
        ...                                 transform=pack_for_shards):
        ...         writer.add(zmw)
        ...     writer.finish(settings={"max_passes": 20})
    """

    def __init__(self, directory, shard_size=DEFAULT_SHARD_SIZE, overwrite=False,
                 compresslevel=1):
        self.directory = os.path.abspath(os.fspath(directory))
        if not 1 <= shard_size <= _MAX_SHARD_SIZE:
            raise DczooInputError(f"shard size {shard_size}: must be 1..{_MAX_SHARD_SIZE}")
        if os.path.exists(self.directory):
            if not os.path.isdir(self.directory):
                raise DczooInputError(f"{self.directory}: exists and is not a directory")
            if os.listdir(self.directory) and not overwrite:
                raise DczooInputError(
                    f"{self.directory}: output directory exists and is not empty "
                    "(use --overwrite to replace it)"
                )
            foreign = _foreign_files(self.directory)
            if foreign:
                more = f" and {len(foreign) - 1} more files" if len(foreign) > 1 else ""
                raise DczooInputError(
                    f"{self.directory}: --overwrite replaces only a dataset dczoo wrote, but this "
                    f"folder also holds {foreign[0]!r}{more}; choose another --out (nothing was "
                    "deleted)"
                )
        self.shard_size = int(shard_size)
        self.compresslevel = compresslevel
        self._buffers = {}
        self._counters = {}
        self._output = None
        self._tmp = None

    def __enter__(self):
        self._output = AtomicFolder(self.directory)
        self._tmp = self._output.temporary_path
        return self

    def __exit__(self, exc_type, exc, tb):
        output, self._output, self._tmp = self._output, None, None
        if output is not None:
            return output.__exit__(exc_type, exc, tb)  # removes it; names a full disk
        return False

    def add(self, zmw):
        """Adds one ZMW: a `ZmwWindows` or an already packed `PackedZmw`."""
        if self._tmp is None:
            raise RuntimeError("DatasetWriter must be used as a context manager")
        if not isinstance(zmw, PackedZmw):
            zmw = pack_for_shards(zmw, self.compresslevel)
        for key, value in zmw.counters.items():
            self._counters[key] = self._counters.get(key, 0) + value
        if zmw.n_windows == 0:
            return
        buffer = self._buffers.setdefault(zmw.split, _SplitBuffer())
        buffer.zmws.append(zmw)
        buffer.count += zmw.n_windows
        buffer.total_zmws += 1
        if buffer.count >= self.shard_size:
            self._write_shard(zmw.split, buffer)

    def _write_shard(self, split, buffer):
        zmws, buffer.zmws, n = buffer.zmws, [], buffer.count
        buffer.count = 0
        members = {}
        for key, (dtype, shape, _) in zmws[0].members.items():
            rows = sum(z.members[key][1][0] for z in zmws)
            pieces = [z.members[key][2] for z in zmws]
            members[key] = (dtype, (rows, *shape[1:]), pieces)
        names = np.concatenate([np.full(z.n_windows, z.name) for z in zmws])
        members["name"] = (names.dtype.str, names.shape, [deflate(names)])
        for key, value in (("use_ccs_bq", np.array(zmws[0].use_ccs_bq)),
                           ("max_passes", np.array(zmws[0].max_passes, dtype=np.int16))):
            members[key] = (value.dtype.str, value.shape, [deflate(value)])
        folder = os.path.join(self._tmp, split)
        os.makedirs(folder, exist_ok=True)
        name = f"shard-{len(buffer.shards):05d}.npz"
        write_npz(os.path.join(folder, name), members)
        buffer.total_windows += n
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
            dict: the summary written to `summary.json` (format, versions,
            mode, settings, counters, and per split its ZMW and window
            counts and shard files).
        """
        for split, buffer in self._buffers.items():
            if buffer.count:
                self._write_shard(split, buffer)
        summary = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "dczoo_version": __version__,
            "mode": mode,
            "settings": settings or {},
            "counters": self.counters,
            "splits": {
                split: {
                    "zmws": buffer.total_zmws,
                    "windows": buffer.total_windows,
                    "shards": buffer.shards,
                }
                for split, buffer in sorted(self._buffers.items())
            },
        }
        with open(os.path.join(self._tmp, SUMMARY_NAME), "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
            handle.write("\n")
        self._output.commit()
        self._output = self._tmp = None
        return summary

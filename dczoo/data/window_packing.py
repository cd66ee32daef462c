"""Compact, lossless storage of window tensors for shards.

A window tensor is mostly zeros: rows of subreads past `num_passes` are
empty and strand rows are constant. Shards therefore keep only the rows of
the subreads actually present ("ragged" over windows) and rebuild the full
`(4P + 1)`-row integer block, then the float32 tensor, on reading:

| key | dtype, shape | content |
|---|---|---|
| `subread_rows` | uint8 (m, 3, W) | bases, pw, ip of each present subread, window by window (m = sum of num_passes) |
| `strand` | uint8 (m,) | strand of each of those subreads |
| `num_passes` | int16 (n,) | present subreads per window |
| `ccs` | uint8 (n, W) | draft row |
| `ccs_bq` | int16 (n, W) | draft base qualities, -1 off draft bases |
| `sn` | float32 (n, 4) | signal-to-noise values |
| `max_passes` | int16 () | P |
"""

import dataclasses

import numpy as np

from dczoo.constants import WindowLayout
from dczoo.data.npz_stream import deflate

# The rows of `subread_rows`, in this order.
_SUBREAD_FEATURES = ("bases", "pw", "ip")


def pack_zmw(zmw):
    """The compact arrays of one ZMW's windows.

    Args:
        zmw: `dczoo.data.ZmwWindows`.

    Returns:
        dict of arrays (see the module docstring), one entry per window.
    """
    n, layout = zmw.n_windows, zmw.layout
    used = min(zmw.num_subreads, zmw.max_passes)
    rows = zmw.rows
    subread_rows = np.stack(
        [rows[:, layout.first_rows(feature, used)] for feature in _SUBREAD_FEATURES], axis=2
    ).reshape(n * used, len(_SUBREAD_FEATURES), rows.shape[2])
    return {
        "subread_rows": subread_rows,
        "strand": rows[:, layout.first_rows("strand", used), 0].reshape(n * used),
        "num_passes": np.full(n, used, dtype=np.int16),
        "ccs": rows[:, layout.ccs],
        "ccs_bq": zmw.ccs_bq,
        "sn": np.broadcast_to(zmw.sn.astype(np.float32), (n, zmw.sn.size)),
    }


def unpack_rows(arrays, index=None):
    """Rebuilds the uint8 `(k, 4P + 1, W)` integer rows of some windows.

    Args:
        arrays: dict with the keys of `pack_zmw` (concatenated over ZMWs)
            and `max_passes`.
        index: optional int array of windows to rebuild (default: all).

    Returns:
        np.ndarray of uint8.
    """
    num_passes = arrays["num_passes"].astype(np.int64)
    layout = WindowLayout(int(arrays["max_passes"]))
    first = np.cumsum(num_passes) - num_passes
    windows = np.arange(num_passes.size) if index is None else np.asarray(index)
    counts = num_passes[windows]
    k, width = windows.size, arrays["ccs"].shape[1]
    # For every wanted (window, subread): its output window and source row.
    out_window = np.repeat(np.arange(k), counts)
    slot = np.arange(out_window.size) - np.repeat(np.cumsum(counts) - counts, counts)
    source = np.repeat(first[windows], counts) + slot
    rows = np.zeros((k, layout.num_int_rows, width), dtype=np.uint8)
    subread_rows = arrays["subread_rows"][source]
    for column, feature in enumerate(_SUBREAD_FEATURES):
        rows[out_window, getattr(layout, feature).start + slot] = subread_rows[:, column]
    rows[out_window, layout.strand.start + slot] = arrays["strand"][source][:, None]
    rows[:, layout.ccs] = arrays["ccs"][windows]
    return rows


@dataclasses.dataclass
class PackedZmw:
    """One ZMW's windows packed and compressed for a shard.

    Made by `pack_for_shards`, typically inside a worker process (pass it as
    `transform` to `iter_zmw_windows`), so that the writer only concatenates
    compressed bytes.

    Attributes:
        name: str. Draft read name.
        split: str. "inference", "train", "eval" or "test".
        n_windows: int.
        skip_reason: str or None.
        counters: dict of str -> int.
        members: dict key -> `(dtype, shape, Piece)` of every per-window
            array of the shard format except `name`.
        use_ccs_bq: bool.
        max_passes: int.
    """

    name: str
    split: str
    n_windows: int
    skip_reason: str
    counters: dict
    members: dict
    use_ccs_bq: bool
    max_passes: int


def pack_for_shards(zmw, compresslevel=1):
    """Packs and deflates one `ZmwWindows` for `dczoo.data.DatasetWriter`.

    Args:
        zmw: `dczoo.data.ZmwWindows`.
        compresslevel: int zlib level.

    Returns:
        `PackedZmw`.
    """
    members = {}
    if zmw.n_windows:
        arrays = pack_zmw(zmw)
        arrays["window_pos"] = zmw.window_pos.astype(np.int64)
        arrays["window_index"] = zmw.window_index.astype(np.int64)
        if zmw.label_codes is not None:
            arrays["label"] = zmw.label_codes
        for key, value in arrays.items():
            value = np.ascontiguousarray(value)
            members[key] = (value.dtype.str, value.shape, deflate(value, compresslevel))
    return PackedZmw(
        name=zmw.name,
        split=zmw.split,
        n_windows=zmw.n_windows,
        skip_reason=zmw.skip_reason,
        counters=zmw.counters,
        members=members,
        use_ccs_bq=zmw.use_ccs_bq,
        max_passes=zmw.max_passes,
    )

"""Reading DeepConsensus TFRecord examples without TensorFlow.

For people who already have DeepConsensus training data: `iter_tf_examples`
parses `*.tfrecord.gz` files (tf.Example protos, decoded here by hand) and
`convert_tfrecords` turns them into a dczoo shard dataset that
`dczoo.data.WindowDataset` trains from on any backend.

Record framing checksums (CRC-32C) are not verified; gzip's own checksum is.
"""

import gzip
import os
import struct

import numpy as np

from dczoo.constants import WindowLayout
from dczoo.errors import DczooInputError


def _varint(buffer, position):
    result, shift = 0, 0
    while True:
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7


def _fields(buffer):
    """Yields `(field_number, wire_type, value)` of a protobuf message."""
    position, end = 0, len(buffer)
    while position < end:
        key, position = _varint(buffer, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(buffer, position)
        elif wire == 1:
            value, position = buffer[position : position + 8], position + 8
        elif wire == 2:
            size, position = _varint(buffer, position)
            value, position = buffer[position : position + size], position + size
        elif wire == 5:
            value, position = buffer[position : position + 4], position + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _feature(buffer):
    for kind, _, payload in _fields(buffer):
        values = []
        for _, wire, value in _fields(payload):
            if kind == 1:
                values.append(bytes(value))
            elif kind == 2:  # one fixed32 (wire 5) or a packed run (wire 2)
                values.extend(struct.unpack(f"<{len(value) // 4}f", value))
            elif kind == 3:
                if wire == 0:
                    values.append(_signed(value))
                else:
                    position = 0
                    while position < len(value):
                        item, position = _varint(value, position)
                        values.append(_signed(item))
        return values
    return []


def parse_tf_example(buffer):
    """Decodes a serialized tf.Example into a dict name -> list of values."""
    features = {}
    for number, _, message in _fields(memoryview(buffer)):
        if number != 1:
            continue
        for entry_number, _, entry in _fields(message):
            if entry_number != 1:
                continue
            key, value = None, b""
            for field, _, content in _fields(entry):
                if field == 1:
                    key = bytes(content).decode()
                elif field == 2:
                    value = content
            features[key] = _feature(value)
    return features


def iter_tf_records(path):
    """Yields the raw records of a (gzip-compressed) TFRecord file."""
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            while True:
                header = handle.read(12)
                if not header:
                    return
                if len(header) < 12:
                    raise DczooInputError(f"{path}: truncated TFRecord header")
                (length,) = struct.unpack("<Q", header[:8])
                data = handle.read(length + 4)
                if len(data) < length + 4:
                    raise DczooInputError(f"{path}: truncated TFRecord")
                yield data[:length]
    except (OSError, EOFError) as error:
        raise DczooInputError(f"{path}: not a readable TFRecord file ({error})") from None


def iter_tf_examples(path):
    """Yields the windows of a DeepConsensus TFRecord file.

    Args:
        path: str or Path of `*.tfrecord.gz`.

    Yields:
        dict with `windows` float32 (rows, W), `name` str, `window_pos` int,
        `num_passes` int, `ccs_bq` int16 (W,), and `label` uint8 (W,) when
        the example has one.
    """
    for record in iter_tf_records(path):
        features = parse_tf_example(record)
        try:
            shape = features["subreads/shape"]
            windows = np.frombuffer(features["subreads/encoded"][0], dtype=np.float32)
            example = {
                "windows": windows.reshape(shape[0], shape[1]),
                "name": features["name"][0].decode(),
                "window_pos": int(features["window_pos"][0]),
                "num_passes": int(features["subreads/num_passes"][0]),
                "ccs_bq": np.array(features["ccs_base_quality_scores"], dtype=np.int16),
            }
        except (KeyError, IndexError, ValueError) as error:
            raise DczooInputError(f"{path}: not a DeepConsensus example ({error})") from None
        if "label/encoded" in features:
            label = np.frombuffer(features["label/encoded"][0], dtype=np.float32)
            example["label"] = label.astype(np.uint8)
        yield example


def _zmw_from_examples(examples, split):
    from dczoo.data.zmw_windows import ZmwWindows

    windows = np.stack([e["windows"] for e in examples])
    layout = WindowLayout.from_num_rows(windows.shape[1])
    rows = windows[:, : layout.num_int_rows]
    if (rows < 0).any() or (rows > 255).any() or (rows != np.round(rows)).any():
        raise DczooInputError(f"{examples[0]['name']}: window rows are not 8-bit integers")
    labels = [e.get("label") for e in examples]
    return ZmwWindows(
        name=examples[0]["name"],
        ordinal=-1,
        draft=None,
        num_subreads=examples[0]["num_passes"],
        max_passes=layout.max_passes,
        use_ccs_bq=layout.use_ccs_bq,
        ccs_width=0,
        rows=rows.astype(np.uint8),
        ccs_bq=np.stack([e["ccs_bq"] for e in examples]),
        sn=windows[0, layout.sn, 0].copy(),
        window_pos=np.array([e["window_pos"] for e in examples], dtype=np.int64),
        window_index=np.full(len(examples), -1, dtype=np.int64),
        label_codes=None if labels[0] is None else np.stack(labels),
        split=split,
        counters={"n_examples": len(examples), f"n_examples_{split}": len(examples)},
    )


def convert_tfrecords(files_by_split, directory, shard_size=4096, overwrite=False):
    """Converts DeepConsensus TFRecords into a dczoo shard dataset.

    Consecutive examples with the same name form one ZMW; the window tensors
    are kept bit for bit (`window_index` is -1: unknown).

    Args:
        files_by_split: dict split -> list of TFRecord paths, e.g.
            `{"train": ["train.tfrecord.gz"], "eval": [...]}`.
        directory: str or Path of the dataset to write.
        shard_size: int.
        overwrite: bool.

    Returns:
        dict: the summary written.
    """
    from dczoo.data.dataset_writer import DatasetWriter

    with DatasetWriter(directory, shard_size, overwrite=overwrite) as writer:
        for split, paths in files_by_split.items():
            for path in paths:
                group = []
                for example in iter_tf_examples(path):
                    if group and example["name"] != group[0]["name"]:
                        writer.add(_zmw_from_examples(group, split))
                        group = []
                    group.append(example)
                if group:
                    writer.add(_zmw_from_examples(group, split))
        mode = "inference" if set(files_by_split) == {"inference"} else "training"
        return writer.finish(settings={"converted_from": "DeepConsensus TFRecords"}, mode=mode)

"""Reading DeepConsensus TFRecords without TensorFlow (written here with TensorFlow)."""

import numpy as np
import pytest

from dczoo.data import read_shard, shard_paths
from dczoo.data.tfrecord import convert_tfrecords, iter_tf_examples


def _write_reference_as_tfrecord(tf, reference, path):
    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))

    def raw(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for i in range(len(reference["name"])):
            feature = {
                "subreads/encoded": raw(reference["subreads/encoded"][i].tobytes()),
                "subreads/shape": ints(reference["subreads/shape"][i]),
                "subreads/num_passes": ints([reference["subreads/num_passes"][i]]),
                "name": raw(str(reference["name"][i]).encode()),
                "window_pos": ints([reference["window_pos"][i]]),
                "ccs_base_quality_scores": ints(reference["ccs_base_quality_scores"][i]),
                "label/encoded": raw(reference["label/encoded"][i].tobytes()),
                "label/shape": ints([100]),
            }
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


@pytest.mark.parametrize("variant", ["test", "eval_bq"])
def test_tfrecords_read_and_convert_exactly(tmp_path, reference_windows, variant):
    tf = pytest.importorskip("tensorflow")
    reference = np.load(reference_windows / f"{variant}.npz")
    path = tmp_path / "examples.tfrecord.gz"
    _write_reference_as_tfrecord(tf, reference, path)

    examples = list(iter_tf_examples(path))
    assert len(examples) == len(reference["name"])
    encoded = reference["subreads/encoded"][..., 0]
    for i in (0, len(examples) // 2, len(examples) - 1):
        np.testing.assert_array_equal(examples[i]["windows"], encoded[i])
        np.testing.assert_array_equal(examples[i]["ccs_bq"], reference["ccs_base_quality_scores"][i])
        assert examples[i]["name"] == reference["name"][i]
        assert examples[i]["window_pos"] == reference["window_pos"][i]

    summary = convert_tfrecords({"test": [path]}, tmp_path / "converted")
    assert summary["splits"]["test"]["windows"] == len(reference["name"])
    shards = [read_shard(p) for p, _ in shard_paths(tmp_path / "converted", "test")]
    windows = np.concatenate([s["windows"] for s in shards])
    np.testing.assert_array_equal(windows.view(np.uint32), encoded.view(np.uint32))
    np.testing.assert_array_equal(np.concatenate([s["labels"] for s in shards]),
                                  reference["label/encoded"])
    np.testing.assert_array_equal(np.concatenate([s["name"] for s in shards]), reference["name"])

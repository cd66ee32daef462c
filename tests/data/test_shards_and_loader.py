"""Shards, summary JSON, chunks and the loaders, on the real human_1m data."""

import json

import numpy as np
import pytest

from dczoo.cli.main import main
from dczoo.data import (
    ShuffledBatches,
    iter_zmw_windows,
    load_split,
    parse_chunk,
    read_shard,
    read_summary,
    shard_paths,
)
from dczoo.errors import DczooInputError


@pytest.fixture(scope="module")
def training_dataset(tmp_path_factory, human_1m):
    out = tmp_path_factory.mktemp("dataset") / "train"
    status = main(
        ["preprocess", "--subreads-to-ccs", str(human_1m / "subreads_to_ccs.bam"),
         "--ccs-bam", str(human_1m / "ccs.bam"),
         "--truth-to-ccs", str(human_1m / "truth_to_ccs.bam"),
         "--truth-bed", str(human_1m / "truth.bed"),
         "--truth-split", str(human_1m / "truth_split.tsv"),
         "--out", str(out), "--shard-size", "500", "--cpus", "2", "--no-progress"]
    )
    assert status == 0
    return out


def test_cli_shards_equal_reference(training_dataset, reference_windows):
    summary = read_summary(training_dataset)
    assert summary["mode"] == "training"
    assert summary["settings"]["tensor_height"] == 85
    assert summary["counters"]["n_examples"] == 1507
    assert summary["counters"]["n_examples_adjusted_label"] == 305
    assert {s: v["windows"] for s, v in summary["splits"].items()} == {
        "train": 1239, "eval": 65, "test": 203
    }
    # Shards hold whole ZMWs: 140+134+151+179 | 275+193+167 windows.
    assert [s["windows"] for s in summary["splits"]["train"]["shards"]] == [604, 635]
    for split in ("train", "eval", "test"):
        reference = np.load(reference_windows / f"{split}.npz")
        shards = [read_shard(path) for path, _ in shard_paths(training_dataset, split)]
        windows = np.concatenate([s["windows"] for s in shards])
        labels = np.concatenate([s["labels"] for s in shards])
        names = np.concatenate([s["name"] for s in shards])
        positions = np.concatenate([s["window_pos"] for s in shards])
        # Written in input order, which is also the reference's record order.
        np.testing.assert_array_equal(names, reference["name"])
        np.testing.assert_array_equal(positions, reference["window_pos"])
        np.testing.assert_array_equal(
            windows.view(np.uint32), reference["subreads/encoded"][..., 0].view(np.uint32)
        )
        np.testing.assert_array_equal(labels, reference["label/encoded"])
        np.testing.assert_array_equal(
            np.concatenate([s["ccs_bq"] for s in shards]),
            reference["ccs_base_quality_scores"],
        )
    # Only the dataset itself is left in the parent folder (no temp dirs).
    assert [p.name for p in training_dataset.parent.iterdir()] == ["train"]


def test_shuffled_batches_cover_each_window_once(training_dataset):
    batches = ShuffledBatches(training_dataset, "train", batch_size=64, seed=3,
                              shards_per_block=2)
    assert len(batches) == -(-1239 // 64)
    reference = np.concatenate(
        [read_shard(path)["windows"] for path, _ in shard_paths(training_dataset, "train")]
    )

    def epoch_keys():
        keys = []
        for i in range(len(batches)):
            windows, labels = batches.batch(i)
            assert windows.shape[1:] == (85, 100) and labels.shape == (windows.shape[0], 100)
            keys.extend(w.tobytes() for w in windows)
        return keys

    first = epoch_keys()
    assert sorted(first) == sorted(w.tobytes() for w in reference)
    batches.set_epoch(1)
    second = epoch_keys()
    assert sorted(second) == sorted(first) and second != first
    again = ShuffledBatches(training_dataset, "train", batch_size=64, seed=3)
    assert [w.tobytes() for w in again.batch(5)[0]] == first[5 * 64 : 6 * 64]
    unshuffled = ShuffledBatches(training_dataset, "eval", batch_size=1000, shuffle=False)
    np.testing.assert_array_equal(
        unshuffled.batch(0)[0], read_shard(shard_paths(training_dataset, "eval")[0][0])["windows"]
    )


def test_load_split_samples_the_concatenated_split(training_dataset):
    shards = [read_shard(path, clip=True) for path, _ in shard_paths(training_dataset, "train")]
    windows = np.concatenate([s["windows"] for s in shards])
    labels = np.concatenate([s["labels"] for s in shards])
    passes = np.concatenate([s["num_passes"] for s in shards])
    every_window, every_label = load_split(training_dataset, "train")
    np.testing.assert_array_equal(every_window, windows)
    np.testing.assert_array_equal(every_label, labels)
    pick = np.sort(np.random.default_rng(7).permutation(len(windows))[:300])
    sampled, sampled_labels, sampled_passes = load_split(
        training_dataset, "train", sample=300, seed=7, with_passes=True)
    np.testing.assert_array_equal(sampled, windows[pick])
    np.testing.assert_array_equal(sampled_labels, labels[pick])
    np.testing.assert_array_equal(sampled_passes, passes[pick])
    first, _ = load_split(training_dataset, "train", limit=700)
    np.testing.assert_array_equal(first, windows[:700])
    many = passes > 5
    kept, _ = load_split(training_dataset, "train", sample=50, seed=1,
                         where=lambda shard: shard["num_passes"] > 5)
    pick = np.sort(np.random.default_rng(1).permutation(int(many.sum()))[:50])
    np.testing.assert_array_equal(kept, windows[many][pick])
    unclipped, _ = load_split(training_dataset, "eval", clip=False)
    np.testing.assert_array_equal(unclipped, read_shard(shard_paths(training_dataset, "eval")[0][0])["windows"])


def test_window_dataset_for_keras(training_dataset):
    from dczoo.data import WindowDataset

    dataset = WindowDataset(training_dataset, "test", batch_size=50, seed=1)
    assert len(dataset) == 5
    windows, labels = dataset[4]
    assert windows.shape == (3, 85, 100) and windows.dtype == np.float32
    assert labels.shape == (3, 100) and set(np.unique(labels)) <= {0, 1, 2, 3, 4}
    order = [dataset[0][0].tobytes()]
    dataset.on_epoch_end()
    order.append(dataset[0][0].tobytes())
    assert order[0] != order[1]
    with pytest.raises(DczooInputError, match="no split 'inference'"):
        WindowDataset(training_dataset, "inference")


def test_window_dataset_trains_a_keras_model(training_dataset):
    import keras

    from dczoo.data import WindowDataset

    dataset = WindowDataset(training_dataset, "eval", batch_size=32)
    model = keras.Sequential([
        keras.Input((85, 100)),
        keras.layers.Permute((2, 1)),
        keras.layers.Dense(5),
    ])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_transform_runs_in_workers(human_1m):
    from dczoo.data import PackedZmw, pack_for_shards

    packed = list(iter_zmw_windows(human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam",
                                   cpus=2, chunk="0/5", transform=pack_for_shards))
    assert all(isinstance(p, PackedZmw) for p in packed)
    assert [p.n_windows for p in packed] == [140, 275]  # ZMWs 0 and 5


def test_inference_dataset_has_no_labels(tmp_path, human_1m):
    out = tmp_path / "examples"
    assert main(["preprocess", "--subreads-to-ccs", str(human_1m / "subreads_to_ccs.bam"),
                 "--ccs-bam", str(human_1m / "ccs.bam"), "--out", str(out),
                 "--use-ccs-bq", "--chunk", "1/4", "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["chunk"] == "1/4" and summary["settings"]["tensor_height"] == 86
    # ZMWs 1, 5, 9 of the file: 4194376 (134), 4194382 (275), 4194388 (203).
    assert summary["counters"]["n_zmw_processed"] == 3
    assert summary["splits"]["inference"]["windows"] == 134 + 275 + 203
    windows, labels = ShuffledBatches(out, "inference", 700, shuffle=False).batch(0)
    assert labels is None and windows.shape == (612, 86, 100)


def test_chunks_partition_the_zmws_in_order(human_1m):
    def names(**kwargs):
        return [z.name for z in iter_zmw_windows(
            human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam", **kwargs)]

    everything = names()
    chunks = [names(chunk=(i, 3)) for i in range(3)]
    assert chunks[1] == everything[1::3]
    assert sorted(sum(chunks, [])) == sorted(everything)
    assert names(chunk="2/3", cpus=2) == chunks[2]


@pytest.mark.parametrize("text", ["3/3", "-1/2", "a/b", "1"])
def test_bad_chunks(text):
    with pytest.raises(DczooInputError, match="chunk"):
        parse_chunk(text)

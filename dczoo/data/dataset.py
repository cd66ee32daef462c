"""`WindowDataset`: a `keras.utils.PyDataset` over window shards.

The only module of `dczoo.data` that imports Keras; it works on every Keras
backend because shards are plain numpy.
"""

import keras

from dczoo.data.batching import ShuffledBatches


class WindowDataset(keras.utils.PyDataset):
    """Shuffled batches of `(windows, labels)` of one split, for `model.fit`.

    Windows are float32 `(batch, rows, window_length)` (85 or 86 rows),
    labels float32 `(batch, window_length)` token ids. A split without labels
    ("inference") yields windows only. Shards and windows are reshuffled
    every epoch (see `dczoo.data.batching`).

    Args:
        directory: str or Path of a dataset written by `dczoo preprocess`.
        split: str. "train", "eval", "test" or "inference".
        batch_size: int.
        shuffle: bool.
        seed: int.
        shards_per_block: int. Shards whose windows are mixed together.
        clip: bool. Clip like the reference's model input.
        drop_remainder: bool.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of
            `keras.utils.PyDataset`.

    Example:
        >>> train = WindowDataset("train/", "train", batch_size=32)  # doctest: +SKIP
        >>> model.fit(train, validation_data=WindowDataset("train/", "eval",
        ...           shuffle=False), epochs=2)  # doctest: +SKIP
    """

    def __init__(self, directory, split="train", batch_size=32, shuffle=True, seed=0,
                 shards_per_block=2, clip=True, drop_remainder=False, **kwargs):
        super().__init__(**kwargs)
        self.batches = ShuffledBatches(
            directory,
            split,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            shards_per_block=shards_per_block,
            clip=clip,
            drop_remainder=drop_remainder,
        )
        self._epoch = 0

    @property
    def num_batches(self):
        return len(self.batches)

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        windows, labels = self.batches.batch(index)
        if labels is None:
            return (windows,)
        return windows, labels

    def on_epoch_end(self):
        self._epoch += 1
        self.batches.set_epoch(self._epoch)

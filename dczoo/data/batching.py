"""Shuffled batches from window shards, without loading a whole split.

Each epoch, the shards of a split are put in a random order and grouped into
blocks of `shards_per_block` consecutive shards; the windows of a block are
permuted together and cut into batches (batches may span two blocks). Only
the compact arrays of at most two blocks are in memory at a time, and float32
tensors are built per batch. Order depends only on `(seed, epoch)`, so any
batch can be fetched in any order (as `keras.utils.PyDataset` workers do).
"""

import collections

import numpy as np

from dczoo.data.shards import load_shard_arrays, shard_paths, windows_from_arrays
from dczoo.errors import DczooInputError


class ShuffledBatches:
    """Random-access batches of `(windows, labels)` of one split.

    Args:
        directory: str or Path of a dataset written by `dczoo preprocess`.
        split: str. "train", "eval", "test" or "inference".
        batch_size: int.
        shuffle: bool. Shuffle shards and windows each epoch.
        seed: int.
        shards_per_block: int. Shards whose windows are mixed together.
        clip: bool. Clip like the reference's model input (see
            `dczoo.data.shards.windows_from_arrays`).
        drop_remainder: bool. Drop the last incomplete batch.

    Example:
        >>> batches = ShuffledBatches("train_dir", "train", 32)  # doctest: +SKIP
        >>> windows, labels = batches.batch(0)
    """

    def __init__(self, directory, split="train", batch_size=32, shuffle=True, seed=0,
                 shards_per_block=2, clip=True, drop_remainder=False):
        if batch_size < 1 or shards_per_block < 1:
            raise DczooInputError("batch_size and shards_per_block must be positive")
        self.shards = shard_paths(directory, split)
        self.split = split
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.shards_per_block = int(shards_per_block)
        self.clip = bool(clip)
        self.drop_remainder = bool(drop_remainder)
        self.num_windows = sum(count for _, count in self.shards)
        self._cache = collections.OrderedDict()
        self.set_epoch(0)

    def __len__(self):
        if self.drop_remainder:
            return self.num_windows // self.batch_size
        return -(-self.num_windows // self.batch_size)

    def set_epoch(self, epoch):
        """Draws the shard order and window permutations of an epoch."""
        self.epoch = int(epoch)
        rng = np.random.default_rng([self.seed, self.epoch])
        n = len(self.shards)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        self._blocks = []
        starts = [0]
        for first in range(0, n, self.shards_per_block):
            members = tuple(int(i) for i in order[first : first + self.shards_per_block])
            size = sum(self.shards[i][1] for i in members)
            permutation = rng.permutation(size) if self.shuffle else np.arange(size)
            self._blocks.append((members, permutation))
            starts.append(starts[-1] + size)
        self._block_starts = np.array(starts)

    def _block_arrays(self, block):
        members = self._blocks[block][0]
        if members not in self._cache:
            parts = [load_shard_arrays(self.shards[i][0]) for i in members]
            arrays = {
                key: np.concatenate([part[key] for part in parts])
                for key in parts[0]
                if parts[0][key].ndim
            }
            arrays["use_ccs_bq"] = parts[0]["use_ccs_bq"]
            arrays["max_passes"] = parts[0]["max_passes"]
            self._cache[members] = arrays
            while len(self._cache) > 2:
                self._cache.popitem(last=False)
        return self._cache[members]

    def batch(self, index):
        """Returns batch `index` of the current epoch.

        Args:
            index: int in `[0, len(self))`.

        Returns:
            `(windows, labels)`: float32 (b, rows, W) and float32 (b, W), or
            labels None for a split without labels.
        """
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range (0..{len(self) - 1})")
        start = index * self.batch_size
        stop = min(start + self.batch_size, self.num_windows)
        windows, labels = [], []
        position = start
        while position < stop:
            block = int(np.searchsorted(self._block_starts, position, side="right")) - 1
            block_stop = min(stop, int(self._block_starts[block + 1]))
            local = self._blocks[block][1][
                position - self._block_starts[block] : block_stop - self._block_starts[block]
            ]
            w, y = windows_from_arrays(self._block_arrays(block), local, self.clip)
            windows.append(w)
            labels.append(y)
            position = block_stop
        window_batch = np.concatenate(windows)
        if labels[0] is None:
            return window_batch, None
        return window_batch, np.concatenate(labels)

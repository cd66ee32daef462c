"""Gap removal ("left shift") of token sequences, as tensors and as numpy arrays.

A label window mixes bases with gap tokens (id 0, also used for padding). Losses
and metrics compare gap-free sequences, so every non-gap token is moved to the
front in its original order and the gaps go to the end.
"""

import numpy as np
from keras import ops

from dczoo.constants import GAP_ID


def left_shift_sequence(tokens):
    """Move non-gap tokens to the front, keeping their order (keras.ops).

    This is a stable partition done with one sort: a non-gap token at position
    `k` gets the key `k`, a gap gets `k + length`, and the tokens are taken in
    key order.

    Args:
        tokens: tensor (batch, length) of token ids (any numeric dtype).

    Returns:
        int32 tensor (batch, length): the non-gap tokens first, then gaps.

    Example:
    >>> left_shift_sequence([[1, 0, 2, 0, 3]])  # -> [[1, 2, 3, 0, 0]]
    """
    tokens = ops.cast(tokens, "int32")
    length = tokens.shape[-1]
    positions = ops.arange(length, dtype="int32")
    keys = ops.where(ops.not_equal(tokens, GAP_ID), positions, positions + length)
    order = ops.argsort(keys, axis=-1)
    return ops.take_along_axis(tokens, order, axis=-1)


def sequence_lengths(tokens):
    """Number of non-gap tokens per row (keras.ops).

    Args:
        tokens: tensor (batch, length) of token ids.

    Returns:
        int32 tensor (batch,).
    """
    tokens = ops.cast(tokens, "int32")
    return ops.sum(ops.cast(ops.not_equal(tokens, GAP_ID), "int32"), axis=-1)


def left_shift_numpy(tokens):
    """Numpy twin of `left_shift_sequence`.

    Args:
        tokens: array (batch, length) of token ids.

    Returns:
        int32 array (batch, length): non-gap tokens first, then gaps.

    Example:
    >>> left_shift_numpy(np.array([[0, 4, 0, 1]]))  # -> [[4, 1, 0, 0]]
    """
    tokens = np.asarray(tokens).astype(np.int32)
    length = tokens.shape[-1]
    positions = np.arange(length)
    keys = np.where(tokens != GAP_ID, positions, positions + length)
    order = np.argsort(keys, axis=-1, kind="stable")
    return np.take_along_axis(tokens, order, axis=-1)

"""Multi-head self-attention restricted to a band of nearby positions."""

import math

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="dczoo")
class BandedSelfAttention(keras.layers.Layer):
    """Self-attention where position `i` attends only to `|i - j| <= window`.

    Query, key, value and output projections have no biases; their kernels
    are `(hidden, heads, head_dim)` and `(heads, head_dim, hidden)` and start
    uniform on `+-sqrt(6 / (2 * hidden))`. Queries are scaled by
    `head_dim ** -0.5`, logits outside the band are replaced by -1e9 and the
    softmax runs in float32.

    Args:
        num_heads: int. Number of attention heads.
        head_dim: int. Width of each head.
        attention_window: int. Largest distance `|i - j|` that may attend.
        dropout: float. Dropout on the attention weights (training only).
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:
    >>> layer = BandedSelfAttention(num_heads=2, head_dim=8, attention_window=3)
    >>> layer(np.zeros((1, 10, 16), "float32")).shape
    (1, 10, 16)
    """

    def __init__(self, num_heads, head_dim, attention_window, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.attention_window = attention_window
        self.dropout = dropout
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)

    def build(self, input_shape):
        hidden_dim = input_shape[-1]
        limit = math.sqrt(6.0 / (hidden_dim + hidden_dim))
        init = keras.initializers.RandomUniform(-limit, limit)
        projection = (hidden_dim, self.num_heads, self.head_dim)
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=projection, initializer=init
        )
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=projection, initializer=init
        )
        self.value_kernel = self.add_weight(
            name="value_kernel", shape=projection, initializer=init
        )
        self.output_kernel = self.add_weight(
            name="output_kernel",
            shape=(self.num_heads, self.head_dim, hidden_dim),
            initializer=init,
        )
        self.built = True

    def band_mask(self, length):
        """Returns a `(length, length)` bool numpy mask, True inside the band."""
        positions = np.arange(length)
        distance = np.abs(positions[:, None] - positions[None, :])
        return distance <= self.attention_window

    def call(self, inputs, training=None, return_attention_scores=False):
        query = ops.einsum("bld,dhk->bhlk", inputs, self.query_kernel)
        query = query * (self.head_dim**-0.5)
        key = ops.einsum("bld,dhk->bhlk", inputs, self.key_kernel)
        value = ops.einsum("bld,dhk->bhlk", inputs, self.value_kernel)
        logits = ops.cast(ops.einsum("bhqk,bhjk->bhqj", query, key), "float32")
        mask = self.band_mask(inputs.shape[1])
        logits = ops.where(mask[None, None], logits, -1e9)
        weights = ops.softmax(logits, axis=-1)
        weights = ops.cast(weights, inputs.dtype)
        attended = ops.einsum(
            "bhqj,bhjk->bhqk", self.dropout_layer(weights, training=training), value
        )
        outputs = ops.einsum("bhlk,hkd->bld", attended, self.output_kernel)
        if return_attention_scores:
            return outputs, weights
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "head_dim": self.head_dim,
                "attention_window": self.attention_window,
                "dropout": self.dropout,
            }
        )
        return config

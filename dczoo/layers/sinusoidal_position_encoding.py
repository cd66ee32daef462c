"""Fixed sinusoidal position encoding (sine block, then cosine block)."""

import math

import keras
import numpy as np
from keras import ops


def sinusoidal_position_table(length, hidden_dim, max_timescale=1.0e4):
    """Returns the position encoding table as a numpy array.

    Position `p` gets `[sin(p * r_0), ..., sin(p * r_{k-1}), cos(p * r_0), ...,
    cos(p * r_{k-1})]` with `k = hidden_dim // 2` rates
    `r_i = exp(-i * ln(max_timescale) / (k - 1))`: all sines first, then all
    cosines (not interleaved). An odd `hidden_dim` gets a zero last column.

    Args:
        length: int. Number of positions.
        hidden_dim: int. Encoding width.
        max_timescale: float. Largest timescale.

    Returns:
        float32 numpy array of shape `(length, hidden_dim)`.
    """
    num_timescales = hidden_dim // 2
    increment = math.log(max_timescale) / max(num_timescales - 1, 1)
    rates = np.exp(-increment * np.arange(num_timescales, dtype=np.float64))
    angles = np.arange(length, dtype=np.float64)[:, None] * rates[None, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    if hidden_dim % 2:
        table = np.pad(table, ((0, 0), (0, 1)))
    return table.astype(np.float32)


@keras.saving.register_keras_serializable(package="dczoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Adds a fixed sinusoidal position encoding to `(batch, length, hidden)`.

    The table matches the reference model's (see
    `sinusoidal_position_table`); it has no weights.

    Args:
        max_timescale: float. Largest timescale of the encoding.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:
    >>> layer = SinusoidalPositionEncoding()
    >>> layer(np.zeros((1, 100, 280), "float32")).shape
    (1, 100, 280)
    """

    def __init__(self, max_timescale=1.0e4, **kwargs):
        super().__init__(**kwargs)
        self.max_timescale = max_timescale

    def call(self, inputs):
        length, hidden_dim = inputs.shape[-2], inputs.shape[-1]
        table = sinusoidal_position_table(length, hidden_dim, self.max_timescale)
        return inputs + ops.cast(table, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_timescale": self.max_timescale})
        return config

"""One ReZero transformer encoder layer with banded self-attention."""

import keras

from dczoo.layers.banded_self_attention import BandedSelfAttention
from dczoo.layers.feedforward import FeedForward


@keras.saving.register_keras_serializable(package="dczoo")
class ReZeroEncoderLayer(keras.layers.Layer):
    """Banded self-attention then a feed-forward network, each as ReZero.

    Each sublayer `f` updates the state as `x + alpha * Dropout(f(x))` with a
    trainable scalar `alpha` that starts at 0, so a fresh layer is the
    identity. There is no layer normalisation inside the layer.

    Args:
        num_heads: int. Attention heads; `hidden_dim` must divide evenly.
        intermediate_dim: int. Width of the feed-forward hidden layer.
        attention_window: int. Attention band half-width.
        dropout: float. Dropout on each sublayer's output.
        attention_dropout: float. Dropout on the attention weights.
        intermediate_dropout: float. Dropout after the feed-forward ReLU.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:
    >>> layer = ReZeroEncoderLayer(num_heads=2, intermediate_dim=32, attention_window=3)
    >>> layer(np.zeros((1, 10, 16), "float32")).shape
    (1, 10, 16)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        attention_window,
        dropout=0.0,
        attention_dropout=0.0,
        intermediate_dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.attention_window = attention_window
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.intermediate_dropout = intermediate_dropout
        self.attention = None
        self.feedforward = FeedForward(
            intermediate_dim,
            dropout=intermediate_dropout,
            dtype=self.dtype_policy,
            name="feedforward",
        )
        self.attention_output_dropout = keras.layers.Dropout(
            dropout, dtype=self.dtype_policy
        )
        self.feedforward_output_dropout = keras.layers.Dropout(
            dropout, dtype=self.dtype_policy
        )

    def build(self, input_shape):
        hidden_dim = input_shape[-1]
        if hidden_dim % self.num_heads:
            raise ValueError(
                f"hidden size {hidden_dim} is not divisible by num_heads "
                f"{self.num_heads}"
            )
        self.attention = BandedSelfAttention(
            num_heads=self.num_heads,
            head_dim=hidden_dim // self.num_heads,
            attention_window=self.attention_window,
            dropout=self.attention_dropout,
            dtype=self.dtype_policy,
            name="attention",
        )
        self.attention.build(input_shape)
        self.feedforward.build(input_shape)
        self.attention_alpha = self.add_weight(
            name="attention_alpha", shape=(), initializer="zeros"
        )
        self.feedforward_alpha = self.add_weight(
            name="feedforward_alpha", shape=(), initializer="zeros"
        )
        self.built = True

    def call(self, inputs, training=None, return_attention_scores=False):
        attended, scores = self.attention(
            inputs, training=training, return_attention_scores=True
        )
        attended = self.attention_output_dropout(attended, training=training)
        hidden = inputs + self.attention_alpha * attended
        transformed = self.feedforward(hidden, training=training)
        transformed = self.feedforward_output_dropout(transformed, training=training)
        outputs = hidden + self.feedforward_alpha * transformed
        if return_attention_scores:
            return outputs, scores
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "attention_window": self.attention_window,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "intermediate_dropout": self.intermediate_dropout,
            }
        )
        return config

"""Position-wise feed-forward network of an encoder layer."""

import keras


@keras.saving.register_keras_serializable(package="dczoo")
class FeedForward(keras.layers.Layer):
    """`Dense(intermediate, relu) -> Dropout -> Dense(hidden)`, both with bias.

    Args:
        intermediate_dim: int. Width of the hidden ReLU layer.
        dropout: float. Dropout after the ReLU (training only).
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:
    >>> layer = FeedForward(intermediate_dim=32)
    >>> layer(np.zeros((1, 10, 16), "float32")).shape
    (1, 10, 16)
    """

    def __init__(self, intermediate_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.intermediate_dense = keras.layers.Dense(
            intermediate_dim,
            activation="relu",
            dtype=self.dtype_policy,
            name="intermediate_dense",
        )
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.output_dense = None

    def build(self, input_shape):
        self.output_dense = keras.layers.Dense(
            input_shape[-1], dtype=self.dtype_policy, name="output_dense"
        )
        self.intermediate_dense.build(input_shape)
        self.output_dense.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))
        self.built = True

    def call(self, inputs, training=None):
        hidden = self.intermediate_dense(inputs)
        hidden = self.dropout_layer(hidden, training=training)
        return self.output_dense(hidden)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {"intermediate_dim": self.intermediate_dim, "dropout": self.dropout}
        )
        return config

"""The DeepConsensus encoder: window tensor -> per-column hidden states."""

import keras
from keras import ops

from dczoo import constants
from dczoo.layers import ReZeroEncoderLayer, SinusoidalPositionEncoding, WindowRowEmbedding


@keras.saving.register_keras_serializable(package="dczoo")
class DeepConsensusBackbone(keras.Model):
    """Encoder-only transformer over the columns of a DeepConsensus window.

    The input is a window of `4 * max_passes + 5` rows (one more with draft
    base qualities) by `window_length` columns, float32, laid out exactly as
    DeepConsensus 1.2 writes it; a trailing channel axis of size 1 is accepted
    too. Raw values are safe: pw and ip are clipped to [0, 255] and sn to
    [0, 500] inside the model. Each column is embedded row by row
    (`WindowRowEmbedding`), condensed to `hidden_dim` by a bias-free Dense
    layer, added to a sinusoidal position encoding, passed through
    `num_layers` ReZero encoder layers with attention limited to
    `|i - j| <= attention_window`, and normalised by a final LayerNorm
    (epsilon 1e-6).

    Args:
        num_layers: int. Number of encoder layers (6 for the teacher).
        hidden_dim: int. Width of the encoder (280).
        num_heads: int. Attention heads (2).
        intermediate_dim: int. Feed-forward width (2048).
        attention_window: int. Attention band half-width (12).
        max_passes: int. Subreads per window (20).
        window_length: int. Columns per window (100).
        use_ccs_bq: bool. Whether windows carry the draft base-quality row.
        dropout: float. Dropout after the input projection and on each
            sublayer's output (training only).
        attention_dropout: float. Dropout on attention weights.
        intermediate_dropout: float. Dropout after the feed-forward ReLU.
        base_embedding_dim, pw_embedding_dim, ip_embedding_dim,
        strand_embedding_dim, sn_embedding_dim, ccs_bq_embedding_dim: int.
            Widths of the row embedding tables (8, 8, 8, 2, 8, 8).
        dtype: string or `keras.DTypePolicy`. Dtype policy of every layer.
        **kwargs: standard `keras.Model` arguments (`name`, `trainable`).

    Example:
    ```python
    backbone = dczoo.models.DeepConsensusBackbone(num_layers=4)
    hidden = backbone(np.zeros((2, 85, 100), "float32"))  # (2, 100, 280)
    ```
    """

    def __init__(
        self,
        num_layers,
        hidden_dim=280,
        num_heads=2,
        intermediate_dim=2048,
        attention_window=12,
        max_passes=constants.MAX_PASSES,
        window_length=constants.WINDOW_LENGTH,
        use_ccs_bq=False,
        dropout=0.0,
        attention_dropout=0.0,
        intermediate_dropout=0.0,
        base_embedding_dim=8,
        pw_embedding_dim=8,
        ip_embedding_dim=8,
        strand_embedding_dim=2,
        sn_embedding_dim=8,
        ccs_bq_embedding_dim=8,
        dtype=None,
        **kwargs,
    ):
        # === Layers ===
        # Created as locals and attached after `super().__init__`, which the
        # torch backend requires before any sublayer is assigned.
        embedding = WindowRowEmbedding(
            max_passes=max_passes,
            use_ccs_bq=use_ccs_bq,
            base_embedding_dim=base_embedding_dim,
            pw_embedding_dim=pw_embedding_dim,
            ip_embedding_dim=ip_embedding_dim,
            strand_embedding_dim=strand_embedding_dim,
            sn_embedding_dim=sn_embedding_dim,
            ccs_bq_embedding_dim=ccs_bq_embedding_dim,
            dtype=dtype,
            name="row_embedding",
        )
        condenser = keras.layers.Dense(
            hidden_dim, use_bias=False, dtype=dtype, name="condenser"
        )
        position_encoding = SinusoidalPositionEncoding(
            dtype=dtype, name="position_encoding"
        )
        input_dropout = keras.layers.Dropout(
            dropout, dtype=dtype, name="input_dropout"
        )
        encoder_layers = [
            ReZeroEncoderLayer(
                num_heads=num_heads,
                intermediate_dim=intermediate_dim,
                attention_window=attention_window,
                dropout=dropout,
                attention_dropout=attention_dropout,
                intermediate_dropout=intermediate_dropout,
                dtype=dtype,
                name=f"encoder_layer_{i}",
            )
            for i in range(num_layers)
        ]
        final_norm = keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=dtype, name="final_norm"
        )

        # === Functional Model ===
        num_rows = constants.num_rows(max_passes, use_ccs_bq)
        windows = keras.Input(shape=(num_rows, window_length), name="windows")
        hidden = embedding(windows)
        hidden = condenser(hidden)
        hidden = position_encoding(hidden)
        hidden = input_dropout(hidden)
        for layer in encoder_layers:
            hidden = layer(hidden)
        hidden = final_norm(hidden)
        super().__init__(inputs=windows, outputs=hidden, dtype=dtype, **kwargs)
        self.embedding = embedding
        self.condenser = condenser
        self.position_encoding = position_encoding
        self.input_dropout = input_dropout
        self.encoder_layers = encoder_layers
        self.final_norm = final_norm

        # === Config ===
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.attention_window = attention_window
        self.max_passes = max_passes
        self.window_length = window_length
        self.use_ccs_bq = use_ccs_bq
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.intermediate_dropout = intermediate_dropout
        self.base_embedding_dim = base_embedding_dim
        self.pw_embedding_dim = pw_embedding_dim
        self.ip_embedding_dim = ip_embedding_dim
        self.strand_embedding_dim = strand_embedding_dim
        self.sn_embedding_dim = sn_embedding_dim
        self.ccs_bq_embedding_dim = ccs_bq_embedding_dim

    @property
    def num_rows(self):
        """Rows of an input window (85, or 86 with base qualities)."""
        return constants.num_rows(self.max_passes, self.use_ccs_bq)

    def call(self, inputs, training=None, mask=None):
        if len(inputs.shape) == 4:
            inputs = ops.squeeze(inputs, axis=-1)
        return super().call(inputs, training=training, mask=mask)

    def layer_outputs(self, windows, training=False):
        """Runs the encoder and returns every intermediate representation.

        Args:
            windows: `(batch, rows, window_length)` float tensor.
            training: bool. Whether dropout is active.

        Returns:
            dict with `"embedded"` (after condenser and position encoding),
            `"encoder_outputs"` (list, one `(batch, length, hidden)` tensor per
            encoder layer), `"attention_scores"` (list, one
            `(batch, heads, length, length)` tensor per layer) and
            `"final"` (after the final LayerNorm).
        """
        if len(windows.shape) == 4:
            windows = ops.squeeze(windows, axis=-1)
        hidden = self.embedding(windows)
        hidden = self.position_encoding(self.condenser(hidden))
        hidden = self.input_dropout(hidden, training=training)
        embedded = hidden
        outputs, scores = [], []
        for layer in self.encoder_layers:
            hidden, layer_scores = layer(
                hidden, training=training, return_attention_scores=True
            )
            outputs.append(hidden)
            scores.append(layer_scores)
        return {
            "embedded": embedded,
            "encoder_outputs": outputs,
            "attention_scores": scores,
            "final": self.final_norm(hidden),
        }

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "num_layers": self.num_layers,
            "hidden_dim": self.hidden_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "attention_window": self.attention_window,
            "max_passes": self.max_passes,
            "window_length": self.window_length,
            "use_ccs_bq": self.use_ccs_bq,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "intermediate_dropout": self.intermediate_dropout,
            "base_embedding_dim": self.base_embedding_dim,
            "pw_embedding_dim": self.pw_embedding_dim,
            "ip_embedding_dim": self.ip_embedding_dim,
            "strand_embedding_dim": self.strand_embedding_dim,
            "sn_embedding_dim": self.sn_embedding_dim,
            "ccs_bq_embedding_dim": self.ccs_bq_embedding_dim,
        }
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.deserialize(config["dtype"])
        return cls(**config)

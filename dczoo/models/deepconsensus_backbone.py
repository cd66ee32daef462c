"""The DeepConsensus encoder: window tensor -> per-column hidden states.

Also home of the window shape check (`check_window_shape`) that the backbone
and the corrector run before handing windows to Keras.
"""

import keras
from keras import ops

from dczoo import constants
from dczoo.errors import DczooInputError
from dczoo.layers import ReZeroEncoderLayer, SinusoidalPositionEncoding, WindowRowEmbedding
from dczoo.models import preset_io


def _static_shape(windows):
    """The shape of an array or tensor as a tuple (None for unknown sizes),
    or None when `windows` has no shape to check (a dataset, a generator).

    Sizes are left as they are: a symbolic batch size (torch.export, jax
    export) must not be turned into a number.
    """
    if isinstance(windows, dict):
        windows = windows.get("windows")
    shape = getattr(windows, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(shape)
    except (TypeError, ValueError):  # a tensor of unknown rank
        return None


def check_window_shape(windows, num_rows, window_length):
    """Checks that `windows` are windows of a model, before Keras sees them.

    Keras's own message for a wrong shape names layers, not windows, and on
    JAX a wrong shape inside `predict`, `evaluate` or `fit` leaves the model's
    variables unset, so every later call fails; this check runs first.
    Inputs without a shape (datasets, generators) are not checked.

    Args:
        windows: the input: a numpy array, a tensor of any backend, a dict
            with a `"windows"` entry, or anything else (not checked).
        num_rows: int. Rows of a window (85, or 86 with base qualities).
        window_length: int. Columns of a window (100).

    Raises:
        DczooInputError: the shape is not `(batch, num_rows, window_length)`
            or `(batch, num_rows, window_length, 1)`; the message gives both.

    Example:
    ```python
    check_window_shape(np.zeros((2, 85, 100), "float32"), 85, 100)  # passes
    check_window_shape(np.zeros((85, 100), "float32"), 85, 100)     # raises
    ```
    """
    shape = _static_shape(windows)
    if shape is None:
        return
    fits = (
        len(shape) in (3, 4)
        and shape[1] in (num_rows, None)
        and shape[2] in (window_length, None)
        and (len(shape) == 3 or shape[3] in (1, None))
    )
    if not fits:
        got = "(" + ", ".join(str(size) for size in shape) + ")"
        raise DczooInputError(
            f"windows of shape {got} do not fit this model: expected (batch, {num_rows}, "
            f"{window_length}) or (batch, {num_rows}, {window_length}, 1), float32 windows as "
            "dczoo.data.iter_zmw_windows writes them (a single window needs a batch axis: "
            "windows[None])"
        )


class WindowInputs:
    """Runs `check_window_shape` at every Keras entry point that takes windows.

    Mixed into `DeepConsensusBackbone` and `DeepConsensusCorrector` (which
    define `num_rows` and `window_length`): calling the model, `predict`,
    `evaluate`, `fit` and the `*_on_batch` methods check their windows first.
    """

    def _check_windows(self, windows):
        check_window_shape(windows, self.num_rows, self.window_length)

    def _drop_channel_axis(self, windows):
        """`(batch, rows, length, 1)` -> `(batch, rows, length)`; the same for
        a tensor of unknown rank (TensorFlow traces one after a 3-d and a 4-d
        input, and Keras's input check cannot read its shape)."""
        if isinstance(windows, dict) or getattr(windows, "shape", None) is None:
            return windows
        try:
            rank = len(windows.shape)
        except (TypeError, ValueError):
            rank = None
        if rank in (None, 4):
            windows = ops.reshape(windows, (-1, self.num_rows, self.window_length))
        return windows

    def __call__(self, *args, **kwargs):
        if args:
            windows, args = args[0], args[1:]
        else:
            windows = kwargs.pop("inputs", None)
        self._check_windows(windows)
        return super().__call__(self._drop_channel_axis(windows), *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        self._check_windows(x)
        return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        self._check_windows(x)
        return super().predict_on_batch(x)

    def evaluate(self, x=None, *args, **kwargs):
        self._check_windows(x)
        return super().evaluate(x, *args, **kwargs)

    def test_on_batch(self, x, *args, **kwargs):
        self._check_windows(x)
        return super().test_on_batch(x, *args, **kwargs)

    def fit(self, x=None, *args, **kwargs):
        self._check_windows(x)
        return super().fit(x, *args, **kwargs)

    def train_on_batch(self, x, *args, **kwargs):
        self._check_windows(x)
        return super().train_on_batch(x, *args, **kwargs)


@keras.saving.register_keras_serializable(package="dczoo")
class DeepConsensusBackbone(WindowInputs, keras.Model):
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

    Windows of any other shape than `(batch, rows, window_length[, 1])` are
    refused with a `DczooInputError` before Keras sees them
    (`check_window_shape`).

    Example:
    ```python
    backbone = dczoo.models.DeepConsensusBackbone(num_layers=4)
    hidden = backbone(np.zeros((2, 85, 100), "float32"))  # (2, 100, 280)

    # The trained encoder of a preset, for a head of your own:
    backbone = dczoo.models.DeepConsensusBackbone.from_preset("student_4layer")
    dczoo.models.DeepConsensusBackbone.presets  # the built-in presets
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
        self._check_windows(windows)
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

    @classmethod
    def from_preset(cls, preset, load_weights=True, verify=True, **kwargs):
        """Builds the encoder of a corrector preset, with its trained weights.

        A preset holds a whole `DeepConsensusCorrector`; this returns its
        backbone (the head is dropped), checked and loaded exactly as
        `DeepConsensusCorrector.from_preset` does.

        Args:
            preset: str. A built-in name (see `DeepConsensusBackbone.presets`),
                a local preset folder, or `hf://org/repo[@revision]`.
            load_weights: bool. False gives the architecture with fresh
                weights.
            verify: bool. Check config.json and the weights against the
                sha256 manifest in metadata.json (see
                `DeepConsensusCorrector.from_preset`).
            **kwargs: backbone config overrides, any argument of
                `DeepConsensusBackbone` (for example `dropout`); any other
                keyword is refused.

        Returns:
            `DeepConsensusBackbone`.

        Raises:
            DczooInputError: an unknown keyword argument (the message lists
                the accepted ones), or a preset that is missing, fails its
                manifest or whose config does not match its weights.

        Example:
        ```python
        backbone = DeepConsensusBackbone.from_preset("student_4layer", dropout=0.1)
        hidden = backbone(windows)  # (batch, 100, 280)
        ```
        """
        return preset_io.load_backbone_preset(
            preset, load_weights=load_weights, verify=verify, **kwargs
        )

    presets = preset_io.BuiltinPresetsProperty()

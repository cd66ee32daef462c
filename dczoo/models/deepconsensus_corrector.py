"""DeepConsensus corrector: backbone + per-column 5-way classification head."""

import keras
from keras import ops

from dczoo.models import preset_io
from dczoo.models.deepconsensus_backbone import WindowInputs

# DeepConsensus 1.2's released quality calibration "threshold,w,b".
REFERENCE_CALIBRATION = "0,1.197654,-0.99781"


@keras.saving.register_keras_serializable(package="dczoo")
class DeepConsensusCorrector(WindowInputs, keras.Model):
    """Predicts the true base of every window column: gap, A, T, C or G.

    Wraps a `DeepConsensusBackbone` with a `Dense(5)` head and a float32
    softmax. Calling the model returns probabilities of shape
    `(batch, window_length, 5)` over the tokens in the reference order
    `(gap, A, T, C, G)`; `compute_logits` returns the pre-softmax logits (for
    distillation). Inputs are raw windows `(batch, rows, window_length)` or
    `(batch, rows, window_length, 1)`, float32, as `dczoo.data` writes them;
    any other shape is refused with a `DczooInputError` naming the expected
    and the given shape before Keras sees it. `compile()` with no arguments
    sets up training as DeepConsensus trains: the alignment loss, the
    reference's LAMB and the window accuracy metric.

    Args:
        backbone: `DeepConsensusBackbone`.
        quality_calibration: str or None. Calibration of the qualities the
            model predicts (`dczoo.inference.QualityCalibration`): linear
            `"threshold,w,b"` (`Q' = w * Q + b` where `Q > threshold`,
            everywhere when threshold is 0) or piecewise linear
            `"knots:x1:y1,..."`, or None for none. Used by the correction
            command, saved with the preset.
        draft_quality_calibration: str or None. The same for the draft's own
            qualities, which windows above the skip threshold keep (the
            correction command's `--ccs-calibration` default), or None.
        dtype: string or `keras.DTypePolicy` for the head.
        **kwargs: standard `keras.Model` arguments.

    Example:
    ```python
    model = dczoo.models.DeepConsensusCorrector.from_preset("student_4layer")
    probs = model.predict(windows)  # (batch, 100, 5)

    backbone = dczoo.models.DeepConsensusBackbone(num_layers=2, hidden_dim=16,
                                                  intermediate_dim=32)
    model = dczoo.models.DeepConsensusCorrector(backbone)
    model.compile()
    model.fit(windows, labels)  # labels: (batch, 100) token ids
    ```
    """

    def __init__(self, backbone, quality_calibration=None, draft_quality_calibration=None, dtype=None,
                 **kwargs):
        # === Layers ===
        head = keras.layers.Dense(
            5, dtype=dtype or backbone.dtype_policy, name="logits"
        )
        softmax = keras.layers.Softmax(dtype="float32", name="probabilities")

        # === Functional Model ===
        windows = backbone.input
        probabilities = softmax(head(backbone(windows)))
        super().__init__(inputs=windows, outputs=probabilities, dtype=dtype, **kwargs)
        self.backbone = backbone
        self.head = head
        self.softmax = softmax

        # === Config ===
        self.quality_calibration = quality_calibration
        self.draft_quality_calibration = draft_quality_calibration

    def call(self, inputs, training=None, mask=None):
        if len(inputs.shape) == 4:
            inputs = ops.squeeze(inputs, axis=-1)
        return super().call(inputs, training=training, mask=mask)

    def compute_logits(self, windows, training=False):
        """Returns the head's logits `(batch, window_length, 5)`.

        Args:
            windows: window tensor, as for calling the model.
            training: bool. Whether dropout is active.
        """
        return self.head(self.backbone(windows, training=training))

    @property
    def num_layers(self):
        """Number of encoder layers of the backbone."""
        return self.backbone.num_layers

    @property
    def num_rows(self):
        """Rows of an input window (85, or 86 with base qualities)."""
        return self.backbone.num_rows

    @property
    def window_length(self):
        """Columns of an input window (100)."""
        return self.backbone.window_length

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """Configures the model for training, with DeepConsensus's defaults.

        Each `"auto"` argument gets the reference's choice; anything else
        is passed on to `keras.Model.compile` as given (`loss=None` or
        `metrics=None`: none).

        Args:
            optimizer: `"auto"`, or any `keras.Model.compile` optimizer.
                `"auto"` is `dczoo.optimizers.DeepConsensusLamb` with the
                reference's settings (Adam constants 0.9 / 0.999 / 1e-6,
                weight decay 6.9868e-3 with norms and biases excluded) at the
                reference's peak learning rate 3.6246e-3, held constant.
                The reference's warmup and linear decay depend on the length
                of training: pass `dczoo.optimizers.make_optimizer(steps)`.
            loss: `"auto"`, or any Keras loss. `"auto"` is
                `dczoo.losses.AlignmentLoss()` (deletion cost 10, gamma 0.1),
                which takes labels of shape `(batch, window_length)`: the
                true bases as token ids, gap-free, padded with gaps (0).
            metrics: `"auto"`, or a list of metrics. `"auto"` is
                `[dczoo.losses.WindowAccuracy()]`, the share of windows
                predicted exactly.
            **kwargs: more `keras.Model.compile` arguments (`jit_compile`,
                `steps_per_execution`, ...).

        Example:
        ```python
        model.compile()                                       # as the reference trains
        model.compile(optimizer=keras.optimizers.Adam(1e-4))  # another optimizer
        ```
        """
        if isinstance(optimizer, str) and optimizer == "auto":
            from dczoo.optimizers import REFERENCE_INITIAL_LEARNING_RATE, DeepConsensusLamb

            optimizer = DeepConsensusLamb(learning_rate=REFERENCE_INITIAL_LEARNING_RATE)
        if isinstance(loss, str) and loss == "auto":
            from dczoo.losses import AlignmentLoss

            loss = AlignmentLoss()
        if isinstance(metrics, str) and metrics == "auto":
            from dczoo.losses import WindowAccuracy

            metrics = [WindowAccuracy()]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "quality_calibration": self.quality_calibration,
            "draft_quality_calibration": self.draft_quality_calibration,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        backbone = config.pop("backbone")
        if isinstance(backbone, dict):
            backbone = keras.saving.deserialize_keras_object(backbone)
        return cls(backbone=backbone, **config)

    @classmethod
    def from_preset(cls, preset, load_weights=True, verify=True, **kwargs):
        """Builds a corrector from a preset.

        Args:
            preset: str. A built-in name (see `DeepConsensusCorrector.presets`),
                a local preset folder, or `hf://org/repo[@revision]`.
            load_weights: bool. False gives the architecture with fresh
                weights.
            verify: bool. Check config.json and the weights against the
                sha256 manifest in metadata.json and refuse a preset without
                one (the default). False skips these checks, to load a
                preset saved before presets carried a manifest (or changed
                on purpose); the config is still checked against the
                weights' shapes. Saving it again with `save_to_preset` adds
                a manifest.
            **kwargs: backbone config overrides, any argument of
                `DeepConsensusBackbone` (for example `dropout`); any other
                keyword is refused.

        Returns:
            `DeepConsensusCorrector`.

        Raises:
            DczooInputError: an unknown keyword argument (the message lists
                the accepted ones), or the preset is missing, fails its
                manifest (the message names the file), has no manifest and
                `verify` is True, or its config does not match its weights.

        Example:
        ```python
        model = DeepConsensusCorrector.from_preset("student_4layer")
        old = DeepConsensusCorrector.from_preset("runs/student/final", verify=False)
        old.save_to_preset("runs/student/final_with_manifest")
        ```
        """
        return preset_io.load_preset(cls, preset, load_weights=load_weights, verify=verify, **kwargs)

    def save_to_preset(self, preset_dir, metadata=None, weights_dtype=None):
        """Saves config, weights, metadata and a model card to a folder.

        Writes exactly four files: config.json, model.weights.h5,
        metadata.json and README.md. In a folder that already exists, these
        four are replaced and every other file is left alone (notes, plots,
        an ONNX export beside the preset). They are written to a hidden
        temporary folder first, so an error leaves the folder as it was.
        metadata.json records a manifest: the sha256 and size of config.json
        and of the weights, checked by `from_preset`.

        Args:
            preset_dir: str or path. Created if missing.
            metadata: dict or None. Extra metadata to record (for example
                training data and evaluation results).
            weights_dtype: None (the variables' dtype) or "float16" to store
                the weights in half precision; loading casts them back.

        Raises:
            DczooInputError: `preset_dir` exists and is not a folder.
            DczooOutputError: a file could not be written.

        Example:
        ```python
        model.save_to_preset("my_student/", metadata={"description": "fine-tuned"})
        DeepConsensusCorrector.from_preset("my_student/")
        ```
        """
        preset_io.save_preset(
            self, preset_dir, metadata=metadata, weights_dtype=weights_dtype
        )

    presets = preset_io.BuiltinPresetsProperty()

"""Checks every dczoo layer and model should pass, on the current Keras backend.

`run_layer_test` and `run_model_test` build an object from its constructor
arguments and check, in turn: a config round trip (`get_config` /
`from_config`, through JSON), a serialization round trip
(`keras.saving.serialize_keras_object` / `deserialize_keras_object`), a
forward pass with the expected output shape, a save and load in the `.keras`
format that gives the same outputs, and optionally one training step that
changes the weights. Tests add the checks that are particular to the layer.
"""

import json
import os
import tempfile

import keras
import numpy as np
from keras import ops

_PLAIN = (bool, int, float, str, type(None), tuple, list)


def run_layer_test(layer_cls, init_kwargs, input_data, expected_output_shape,
                   expected_num_trainable_weights=None, run_training_check=True):
    """Runs the shared checks on a layer, in a tiny functional model where needed.

    Args:
        layer_cls: a `keras.layers.Layer` subclass.
        init_kwargs: dict of constructor arguments.
        input_data: float32 numpy array, with a batch axis.
        expected_output_shape: tuple, the output shape for `input_data`.
        expected_num_trainable_weights: int or None (not checked).
        run_training_check: bool. Whether one training step (SGD on the mean
            squared output) must change some weight.

    Returns:
        The layer built by the forward pass, for further checks.

    Example:
    ```python
    layer = run_layer_test(FeedForward, {"intermediate_dim": 16},
                           np.ones((2, 10, 8), "float32"), (2, 10, 8))
    ```
    """
    layer = layer_cls(**init_kwargs)
    output = layer(input_data)
    _check_output(output, expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    _check_config_round_trip(layer, layer_cls, init_kwargs)
    _check_serialization_round_trip(layer, layer_cls)
    inputs = keras.Input(shape=input_data.shape[1:], batch_size=None)
    model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
    _check_save_and_load(model, input_data)
    if run_training_check:
        _check_training_step(model, input_data, np.zeros(expected_output_shape, "float32"), "mse")
    return layer


def run_model_test(model_cls, init_kwargs, input_data, expected_output_shape, targets=None,
                   loss="mse"):
    """Runs the shared checks on a model.

    Args:
        model_cls: a `keras.Model` subclass.
        init_kwargs: dict of constructor arguments (Keras objects, such as a
            backbone, are compared through their configs).
        input_data: numpy array, with a batch axis.
        expected_output_shape: tuple, the output shape for `input_data`.
        targets: numpy array for the training step, or None for none.
        loss: a Keras loss (name or object) for the training step.

    Returns:
        The model, for further checks.

    Example:
    ```python
    model = run_model_test(DeepConsensusBackbone, TINY_ARCHITECTURE,
                           random_windows(), (3, 100, 16))
    ```
    """
    model = model_cls(**init_kwargs)
    _check_output(model(input_data), expected_output_shape)
    _check_config_round_trip(model, model_cls, init_kwargs)
    _check_serialization_round_trip(model, model_cls)
    _check_save_and_load(model, input_data)
    if targets is not None:
        _check_training_step(model, input_data, targets, loss)
    return model


def _check_output(output, expected_shape):
    output = ops.convert_to_numpy(output)
    assert output.shape == tuple(expected_shape), (output.shape, expected_shape)
    assert np.all(np.isfinite(output))


def _check_config_round_trip(obj, cls, init_kwargs):
    config = obj.get_config()
    for key, value in init_kwargs.items():
        if isinstance(value, _PLAIN):
            assert config[key] == value, (key, config[key], value)
    restored = cls.from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config


def _check_serialization_round_trip(obj, cls):
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    restored = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(restored, cls)
    assert restored.get_config() == obj.get_config()


def _check_save_and_load(model, input_data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(input_data)), ops.convert_to_numpy(model(input_data)), atol=1e-6
    )


def _check_training_step(model, input_data, targets, loss):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=loss)
    before = [ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    value = model.train_on_batch(input_data, targets)
    assert np.all(np.isfinite(value))
    after = [ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "no weight changed"

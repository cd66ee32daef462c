"""Convert official DeepConsensus 1.x checkpoints into dczoo correctors.

Reads the TensorFlow checkpoint with TensorFlow's checkpoint reader (no
DeepConsensus code needed) and the architecture from the checkpoint's
`params.json`. This is how the official DeepConsensus 1.2 weights come into
dczoo:

```python
model = dczoo.models.convert.from_deepconsensus_checkpoint("model/checkpoint")
model.save_to_preset("deepconsensus_v1_2")
```
"""

import json
import os

import numpy as np

from dczoo.errors import DczooInputError

_PREFIX = "model/"
_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_IGNORED = ("save_counter", "_CHECKPOINTABLE_OBJECT_GRAPH")


def _locate(path):
    """Returns (checkpoint prefix, params.json path) for a folder or prefix."""
    import tensorflow as tf

    path = os.fspath(path)
    if os.path.isdir(path):
        prefix = tf.train.latest_checkpoint(path)
        if prefix is None:
            raise DczooInputError(
                f"{path}: no TensorFlow checkpoint found (expected a `checkpoint` "
                "state file or pass the prefix, e.g. .../checkpoint-1)"
            )
        folder = path
    else:
        prefix = path
        folder = os.path.dirname(path) or "."
        if not os.path.exists(prefix + ".index"):
            raise DczooInputError(f"{prefix}.index not found: not a checkpoint prefix")
    params = os.path.join(folder, "params.json")
    if not os.path.exists(params):
        raise DczooInputError(
            f"{params} not found: DeepConsensus checkpoints come with the "
            "params.json that describes their architecture"
        )
    return prefix, params


def backbone_config_from_params(params):
    """Maps a DeepConsensus `params.json` dict to backbone constructor args.

    Args:
        params: dict read from `params.json`.

    Returns:
        dict of `DeepConsensusBackbone` arguments.
    """
    name = params.get("model_name", "")
    if not name.startswith("transformer_learn_values"):
        raise DczooInputError(
            f"model_name {name!r} is not supported; dczoo converts the "
            "transformer_learn_values models of DeepConsensus"
        )
    for key, wanted in (
        ("rezero", True),
        ("condense_transformer_input", True),
        ("add_pos_encoding", True),
    ):
        if params.get(key) != wanted:
            raise DczooInputError(f"params.json has {key}={params.get(key)!r}; "
                                  f"dczoo supports only {key}={wanted}")
    return {
        "num_layers": int(params["num_hidden_layers"]),
        "hidden_dim": int(params["transformer_input_size"]),
        "num_heads": int(params["num_heads"]),
        "intermediate_dim": int(params["filter_size"]),
        "attention_window": int(params["attn_win_size"]),
        "max_passes": int(params["max_passes"]),
        "window_length": int(params["max_length"]),
        "use_ccs_bq": bool(params.get("use_ccs_bq", False)),
        "base_embedding_dim": int(params["per_base_hidden_size"]),
        "pw_embedding_dim": int(params["pw_hidden_size"]),
        "ip_embedding_dim": int(params["ip_hidden_size"]),
        "strand_embedding_dim": int(params["strand_hidden_size"]),
        "sn_embedding_dim": int(params["sn_hidden_size"]),
        "ccs_bq_embedding_dim": int(params.get("ccs_bq_hidden_size", 8)),
    }


def _weight_map(model):
    """Pairs each checkpoint key (without prefix/suffix) with a dczoo variable."""
    backbone = model.backbone
    tables = backbone.embedding.tables
    pairs = {
        "bases_embedding_layer/embeddings": tables["bases"],
        "pw_embedding_layer/embeddings": tables["pw"],
        "ip_embedding_layer/embeddings": tables["ip"],
        "strand_embedding_layer/embeddings": tables["strand"],
        "sn_embedding_layer/embeddings": tables["sn"],
        "transformer_input_condenser/kernel": backbone.condenser.kernel,
        "encoder_stack/output_normalization/gamma": backbone.final_norm.gamma,
        "encoder_stack/output_normalization/beta": backbone.final_norm.beta,
        "fc1/kernel": model.head.kernel,
        "fc1/bias": model.head.bias,
    }
    if "ccs_bq" in tables:
        pairs["ccs_base_quality_scores_embedding_layer/embeddings"] = tables["ccs_bq"]
    for index, layer in enumerate(backbone.encoder_layers):
        attention = f"encoder_stack/layers/{index}/0/"
        ffn = f"encoder_stack/layers/{index}/1/"
        pairs.update(
            {
                attention + "alpha": layer.attention_alpha,
                attention + "layer/query_dense_layer/kernel": layer.attention.query_kernel,
                attention + "layer/key_dense_layer/kernel": layer.attention.key_kernel,
                attention + "layer/value_dense_layer/kernel": layer.attention.value_kernel,
                attention + "layer/output_dense_layer/kernel": layer.attention.output_kernel,
                ffn + "alpha": layer.feedforward_alpha,
                ffn + "layer/filter_dense_layer/kernel": layer.feedforward.intermediate_dense.kernel,
                ffn + "layer/filter_dense_layer/bias": layer.feedforward.intermediate_dense.bias,
                ffn + "layer/output_dense_layer/kernel": layer.feedforward.output_dense.kernel,
                ffn + "layer/output_dense_layer/bias": layer.feedforward.output_dense.bias,
            }
        )
    return pairs


def from_deepconsensus_checkpoint(path):
    """Builds a `DeepConsensusCorrector` from an official DeepConsensus checkpoint.

    Args:
        path: str. A checkpoint folder holding `checkpoint` and `params.json`,
            or a checkpoint prefix (`.../checkpoint-1`) with `params.json`
            beside it.

    Returns:
        `DeepConsensusCorrector` with the checkpoint's architecture and
        weights, and its `dc_calibration` as `quality_calibration`.

    Example:
    ```python
    model = from_deepconsensus_checkpoint("deepconsensus_model/checkpoint")
    probs = model.predict(windows)
    ```
    """
    try:
        import tensorflow as tf
    except ImportError as error:
        raise DczooInputError(
            "converting DeepConsensus checkpoints needs TensorFlow's checkpoint "
            "reader: pip install 'dczoo[tensorflow]'"
        ) from error
    from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone
    from dczoo.models.deepconsensus_corrector import DeepConsensusCorrector

    prefix, params_path = _locate(path)
    with open(params_path) as handle:
        params = json.load(handle)
    backbone = DeepConsensusBackbone(**backbone_config_from_params(params))
    calibration = params.get("dc_calibration")
    model = DeepConsensusCorrector(
        backbone, quality_calibration=calibration if calibration != "skip" else None
    )
    reader = tf.train.load_checkpoint(prefix)
    stored = {
        key[len(_PREFIX) : -len(_SUFFIX)]: key
        for key in reader.get_variable_to_shape_map()
        if key.startswith(_PREFIX) and key.endswith(_SUFFIX)
        and "optimizer" not in key
    }
    pairs = _weight_map(model)
    missing = sorted(set(pairs) - set(stored))
    unused = sorted(set(stored) - set(pairs))
    if missing or unused:
        raise DczooInputError(
            f"{prefix}: checkpoint does not match params.json: missing "
            f"{missing[:5]}, unexpected {unused[:5]}"
        )
    for key, variable in pairs.items():
        value = np.asarray(reader.get_tensor(stored[key]))
        if tuple(value.shape) != tuple(variable.shape):
            raise DczooInputError(
                f"{prefix}: {key} has shape {value.shape}, dczoo expects "
                f"{tuple(variable.shape)}"
            )
        variable.assign(value.astype(variable.dtype))
    return model

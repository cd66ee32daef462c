"""Model cards (README.md) for presets."""

import json


def render_model_card(config, metadata):
    """Renders a preset's model card from its config and metadata.

    Args:
        config: dict. The serialized corrector (`config.json`).
        metadata: dict. The preset's `metadata.json` content.

    Returns:
        str: Markdown with YAML front matter.
    """
    backbone = config["config"]["backbone"]["config"]
    tags = ["keras", "deepconsensus", "pacbio", "genomics", "knowledge-distillation"]
    front = ["---", "library_name: keras", "license: bsd-3-clause", "tags:"]
    front += [f"- {tag}" for tag in tags]
    front.append("---")
    architecture = "\n".join(
        f"* **{key}:** {value}"
        for key, value in backbone.items()
        if key not in ("name", "trainable", "dtype")
    )
    return "\n".join(
        front
        + [
            "",
            f"# dczoo DeepConsensus corrector, {backbone['num_layers']} layers",
            "",
            metadata.get("description", ""),
            "",
            f"Parameters: {metadata['parameter_count']:,}. Saved with dczoo "
            f"{metadata['dczoo_version']}, Keras {metadata['keras_version']}.",
            "It runs on JAX, TensorFlow and PyTorch through Keras 3:",
            "",
            "```python",
            "import dczoo",
            "model = dczoo.models.DeepConsensusCorrector.from_preset(PRESET)",
            "probs = model.predict(windows)  # (batch, 100, 5): gap, A, T, C, G",
            "```",
            "",
            "## Architecture",
            "",
            architecture,
            "",
            "## Metadata",
            "",
            "```json",
            json.dumps(metadata, indent=2, sort_keys=True),
            "```",
            "",
        ]
    )

"""Model cards (README.md) for presets.

A card has YAML front matter for the Hugging Face Hub (built by
`dczoo.hub.card_metadata`) and a Markdown body: what the model is, its
architecture and parameter count, how to load it with dczoo on each Keras
backend, its training data, its measured results, its limitations and the
papers to cite. Everything comes from the preset's `config.json` and
`metadata.json`; nothing is invented, and what the metadata does not record
is said to be unrecorded.
"""

from dczoo import constants
from dczoo.hub import card_metadata

_BACKENDS = (
    ("JAX", "jax", "dczoo[jax]"),
    ("TensorFlow", "tensorflow", "dczoo[tensorflow]"),
    ("PyTorch", "torch", "dczoo[torch]"),
)
_ARCHITECTURE_FIELDS = (
    ("num_layers", "encoder layers"),
    ("hidden_dim", "hidden width"),
    ("num_heads", "attention heads"),
    ("intermediate_dim", "feed-forward width"),
    ("attention_window", "attention band half-width (columns)"),
    ("max_passes", "subreads per window"),
    ("window_length", "columns per window"),
    ("use_ccs_bq", "reads draft base qualities"),
)
_CITATION = """```bibtex
@misc{belyaeva2022distilled,
  title  = {Knowledge distillation for fast and accurate {DNA} sequence correction},
  author = {Belyaeva, Anastasiya and Shor, Joel and Cook, Daniel E. and Shafin, Kishwar
            and Liu, Daniel and T{\\"o}pfer, Armin and Wenger, Aaron M. and Rowell, William J.
            and Yang, Howard and Kolesnikov, Alexey and McLean, Cory Y. and Nattestad, Maria
            and Carroll, Andrew and Chang, Pi-Chuan},
  year   = {2022}
}

@article{baid2022deepconsensus,
  title   = {{DeepConsensus} improves the accuracy of sequences with a gap-aware sequence transformer},
  author  = {Baid, Gunjan and Cook, Daniel E. and Shafin, Kishwar and Yun, Taedong and
             Llinares-L{\\'o}pez, Felipe and Berthet, Quentin and Belyaeva, Anastasiya and
             T{\\"o}pfer, Armin and Wenger, Aaron M. and Rowell, William J. and others},
  journal = {Nature Biotechnology},
  year    = {2022}
}
```"""
_LIMITATIONS = (
    "It corrects PacBio circular consensus (CCS/HiFi) reads from their subreads, in the "
    "DeepConsensus 1.2 window layout (subreads aligned to the draft, {passes} passes at "
    "most, {length} columns per window). It is not meant for Oxford Nanopore reads, "
    "single-pass CLR reads or other layouts.",
    "Accuracy depends on how close your data are to the training data (species, "
    "chemistry, instrument, pass counts); measure it on data you trust before relying "
    "on it.",
    "Base qualities come from the model's probabilities; check their calibration on "
    "your own data before filtering reads at Q20/Q30/Q40.",
    "It predicts bases and their probabilities only: it neither corrects nor calls "
    "kinetics (pw/ip) and is not a methylation caller.",
    "The model knows nothing beyond one window: structural errors longer than a window "
    "or errors in the subread-to-draft alignment are not fixed.",
)


def _backbone_config(config):
    return config["config"]["backbone"]["config"]


def model_name(config, metadata, repo_id=None):
    """The name a card gives the model (the repository name when known).

    Args:
        config: dict. The serialized corrector (`config.json`).
        metadata: dict. The preset's metadata.
        repo_id: str or None. `org/repo` the card is published to.

    Returns:
        str.
    """
    if repo_id:
        return repo_id.split("/")[-1]
    if metadata.get("preset_name"):
        return str(metadata["preset_name"])
    return f"dczoo-deepconsensus-{_backbone_config(config)['num_layers']}layer"


def render_model_card(config, metadata, repo_id=None):
    """Renders a preset's model card from its config and metadata.

    Args:
        config: dict. The serialized corrector (`config.json`).
        metadata: dict. The preset's `metadata.json` content (see
            `dczoo.hub.card_metadata` for the keys that reach the front
            matter).
        repo_id: str or None. `org/repo` the card will be published to; the
            loading examples use `hf://<repo_id>` when given.

    Returns:
        str: Markdown with YAML front matter, valid for
        `huggingface_hub.ModelCard`.

    Example:
    ```python
    text = render_model_card(config, metadata, repo_id="my-org/dczoo-student")
    ```
    """
    name = model_name(config, metadata, repo_id)
    card_data = card_metadata.build_card_data(metadata, name)
    handle = _handle(metadata, repo_id)
    sections = [
        f"# {name}",
        _summary(config, metadata),
        "## Model details\n\n" + _architecture(config, metadata),
        "## How to use\n\n" + _usage(config, handle),
        "## Training data\n\n" + _training_data(metadata),
        "## Evaluation\n\n" + _evaluation(metadata),
        "## Limitations\n\n" + _limitations(config),
        "## Citation\n\n" + _CITATION,
    ]
    return "---\n" + card_data.to_yaml() + "\n---\n\n" + "\n\n".join(sections) + "\n"


def _handle(metadata, repo_id):
    if repo_id:
        return f"hf://{repo_id}"
    if metadata.get("hub_handle"):
        return str(metadata["hub_handle"])
    return "path/to/this/preset"


def _summary(config, metadata):
    backbone = _backbone_config(config)
    kind = "distilled student" if card_metadata.is_student(metadata) else "model"
    lines = [
        f"A DeepConsensus-style {kind} for correcting PacBio HiFi reads, "
        f"{backbone['num_layers']} encoder layers, published with dczoo (a "
        "Keras 3 model zoo). It reads the "
        "subreads aligned to a draft consensus read, one window at a time, and "
        "predicts the base (or gap) at every column with a probability."
    ]
    if metadata.get("description"):
        lines.append(str(metadata["description"]))
    teacher = metadata.get("teacher")
    if card_metadata.is_student(metadata):
        repo = card_metadata.teacher_repo_id(teacher)
        if repo:
            lines.append(f"Distilled from the teacher [`{repo}`](https://huggingface.co/{repo}).")
        elif teacher:
            lines.append(f"Distilled from the teacher `{teacher}`.")
        else:
            lines.append("The teacher it was distilled from is not recorded.")
    return "\n\n".join(lines)


def _architecture(config, metadata):
    backbone = _backbone_config(config)
    rows = constants.num_rows(backbone["max_passes"], backbone["use_ccs_bq"])
    table = ["| property | value |", "|---|---|"]
    table.append(f"| class | `{config.get('class_name', 'DeepConsensusCorrector')}` |")
    if "parameter_count" in metadata:
        table.append(f"| parameters | {int(metadata['parameter_count']):,} |")
    for key, label in _ARCHITECTURE_FIELDS:
        if key in backbone:
            table.append(f"| {label} | {backbone[key]} |")
    table.append(f"| input | `(batch, {rows}, {backbone['window_length']})` float32 window |")
    table.append(
        f"| output | `(batch, {backbone['window_length']}, {constants.VOCAB_SIZE})` "
        "probabilities over gap, A, T, C, G |"
    )
    for key, label in (
        ("dczoo_version", "saved with dczoo"),
        ("keras_version", "saved with Keras"),
        ("backend_saved_with", "saved on backend"),
        ("date_saved", "saved on"),
        ("weights_sha256", "sha256 of model.weights.h5"),
    ):
        if metadata.get(key):
            table.append(f"| {label} | `{metadata[key]}` |")
    text = (
        "Per-row embeddings of the window (bases, pulse widths, inter-pulse "
        "durations, strand, draft, signal-to-noise), a bias-free projection, "
        "sinusoidal positions, ReZero transformer encoder layers with banded "
        "self-attention, a final LayerNorm and a per-column softmax.\n\n"
    )
    return text + "\n".join(table)


def _usage(config, handle):
    backbone = _backbone_config(config)
    rows = constants.num_rows(backbone["max_passes"], backbone["use_ccs_bq"])
    table = ["| backend | install | select it |", "|---|---|---|"]
    for label, backend, extra in _BACKENDS:
        table.append(f"| {label} | `pip install \"{extra}\"` | `KERAS_BACKEND={backend}` |")
    code = (
        "```python\n"
        "import os\n"
        'os.environ["KERAS_BACKEND"] = "jax"  # or "tensorflow" or "torch", before importing dczoo\n'
        "\n"
        "import dczoo\n"
        "\n"
        f'model = dczoo.models.DeepConsensusCorrector.from_preset("{handle}")\n'
        f"probs = model.predict(windows)  # windows: (batch, {rows}, "
        f"{backbone['window_length']}) float32\n"
        f"                                # probs: (batch, {backbone['window_length']}, "
        f"{constants.VOCAB_SIZE}) over gap, A, T, C, G\n"
        "```"
    )
    return (
        "The same weights load on every Keras 3 backend; choose one before "
        "importing dczoo.\n\n"
        + "\n".join(table)
        + "\n\n"
        + code
        + "\n\nFiles are fetched through the Hugging Face cache; with "
        "`HF_HUB_OFFLINE=1` only cached files are used. dczoo checks "
        "`config.json` and the weights against the sha256 manifest in "
        "`metadata.json` and refuses a changed or corrupted download."
    )


def _training_data(metadata):
    parts = []
    if metadata.get("training_data"):
        parts.append(str(metadata["training_data"]))
    if metadata.get("datasets"):
        parts.append("Datasets: " + ", ".join(f"`{name}`" for name in metadata["datasets"]))
    if not parts:
        parts.append("Not recorded in this preset's metadata.json.")
    return "\n\n".join(parts)


def _evaluation(metadata):
    results = card_metadata.evaluation_results(metadata)
    if not results:
        return "No measured results are recorded in this preset's metadata.json."
    blocks = []
    for dataset, metrics in results:
        split = f", split `{dataset['split']}`" if dataset.get("split") else ""
        lines = [f"On {dataset['name']}{split}:", "", "| metric | value |", "|---|---|"]
        lines += [f"| {metric['name']} | {metric['value']} |" for metric in metrics]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _limitations(config):
    backbone = _backbone_config(config)
    return "\n".join(
        "- " + text.format(passes=backbone["max_passes"], length=backbone["window_length"])
        for text in _LIMITATIONS
    )

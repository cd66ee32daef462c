"""The YAML front matter of a preset's model card, and its validation.

The front matter is built with huggingface_hub's own `ModelCardData` and
`EvalResult`, so its layout (including `model-index`) is the one the Hub
parses, and it is checked again by parsing the finished card with
`huggingface_hub.ModelCard`.

What it reads from the preset's `metadata.json` (all optional except where
`save_to_preset` always writes them):

- `license`: str, a Hub license id (default `bsd-3-clause`, dczoo's own).
- `role`: `"teacher"` or `"student"`; a student without a `role` is
  recognised by a `teacher` entry.
- `teacher`: str. The teacher a student was distilled from: a built-in
  preset name, an `hf://org/repo[@revision]` handle or an `org/repo` id. It
  becomes `base_model` when it names a Hub repository.
- `datasets`: list of str. Hub dataset ids the model was trained on.
- `evaluation`: dict, or list of dicts, each
  `{"dataset": {"name": str, "type": str, "split": str (optional)},
  "metrics": {metric_type: number, ...} or [{"type": str, "value": number,
  "name": str (optional)}, ...]}`. Each becomes a `model-index` result.
"""

import re

from dczoo.errors import DczooInputError
from dczoo.presets import BUILTIN_PRESETS, HF_SCHEME, parse_hf_handle

DEFAULT_LICENSE = "bsd-3-clause"
LIBRARY_NAME = "keras"
PIPELINE_TAG = "token-classification"
TASK_NAME = "Correction of PacBio HiFi reads (per-column base calling)"
BASE_TAGS = (
    "keras",
    "dczoo",
    "deepconsensus",
    "pacbio",
    "hifi",
    "genomics",
    "dna",
    "sequencing-error-correction",
    "transformer",
    "knowledge-distillation",
)
REQUIRED_KEYS = ("library_name", "license", "tags")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def teacher_repo_id(teacher):
    """Returns the Hub repository id of a teacher reference, or None.

    Args:
        teacher: str or None. A built-in preset name, `hf://org/repo[@rev]`,
            or `org/repo`.

    Returns:
        str `org/repo`, or None when `teacher` names no Hub repository (a
        local folder, for example).

    Example:
    ```python
    teacher_repo_id("teacher_6layer")            # "dczoo/teacher_6layer"
    teacher_repo_id("hf://lab/teacher@v2")       # "lab/teacher"
    ```
    """
    if not isinstance(teacher, str) or not teacher:
        return None
    if teacher in BUILTIN_PRESETS:
        teacher = BUILTIN_PRESETS[teacher]["hub_handle"]
    if teacher.startswith(HF_SCHEME):
        try:
            teacher, _ = parse_hf_handle(teacher)
        except DczooInputError:
            return None
    return teacher if _REPO_ID.match(teacher) else None


def is_student(metadata):
    """Whether the preset's metadata describes a distilled student."""
    role = metadata.get("role")
    if role is not None:
        return role == "student"
    return bool(metadata.get("teacher"))


def evaluation_results(metadata, source="metadata.json"):
    """Reads the measured metrics of `metadata["evaluation"]`.

    Args:
        metadata: dict. The preset's metadata.
        source: str. Where the metadata came from, for error messages.

    Returns:
        list of `(dataset, metrics)` tuples: `dataset` a dict with `name`,
        `type` and maybe `split`; `metrics` a list of dicts with `type`,
        `value` (a float or int) and `name`. Empty when nothing was measured.

    Raises:
        DczooInputError: an entry is malformed or a value is not a number.
    """
    entries = metadata.get("evaluation")
    if entries is None:
        return []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise DczooInputError(f"{source}: 'evaluation' must be a dict or a list")
    results = []
    for index, entry in enumerate(entries):
        where = f"{source}: evaluation[{index}]"
        dataset = entry.get("dataset") if isinstance(entry, dict) else None
        if not isinstance(dataset, dict) or not dataset.get("name"):
            raise DczooInputError(f"{where} needs a 'dataset' with a 'name'")
        dataset = {
            "name": str(dataset["name"]),
            "type": str(dataset.get("type") or _slug(dataset["name"])),
            "split": dataset.get("split"),
        }
        metrics = _read_metrics(entry.get("metrics"), where)
        if metrics:
            results.append((dataset, metrics))
    return results


def _read_metrics(raw, where):
    if isinstance(raw, dict):
        raw = [{"type": key, "value": value} for key, value in raw.items()]
    if not isinstance(raw, list):
        raise DczooInputError(f"{where}: 'metrics' must be a dict or a list")
    metrics = []
    for item in raw:
        if not isinstance(item, dict) or "type" not in item or "value" not in item:
            raise DczooInputError(f"{where}: each metric needs 'type' and 'value'")
        value = item["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DczooInputError(
                f"{where}: metric {item['type']!r} has value {value!r}, not a number"
            )
        metrics.append(
            {
                "type": str(item["type"]),
                "value": value,
                "name": str(item.get("name") or item["type"]),
            }
        )
    return metrics


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "dataset"


def build_card_data(metadata, model_name):
    """Builds the front matter of a preset's card.

    Args:
        metadata: dict. The preset's metadata (see the module docstring).
        model_name: str. The name shown in `model-index`.

    Returns:
        `huggingface_hub.ModelCardData`.
    """
    from huggingface_hub import EvalResult, ModelCardData

    tags = list(BASE_TAGS)
    if is_student(metadata):
        tags.append("distilled-student")
    elif metadata.get("role") == "teacher":
        tags.append("teacher-model")
    eval_results = [
        EvalResult(
            task_type=PIPELINE_TAG,
            task_name=TASK_NAME,
            dataset_type=dataset["type"],
            dataset_name=dataset["name"],
            dataset_split=dataset["split"],
            metric_type=metric["type"],
            metric_value=metric["value"],
            metric_name=metric["name"],
        )
        for dataset, metrics in evaluation_results(metadata)
        for metric in metrics
    ]
    base_model = teacher_repo_id(metadata.get("teacher")) if is_student(metadata) else None
    datasets = metadata.get("datasets")
    return ModelCardData(
        library_name=LIBRARY_NAME,
        license=str(metadata.get("license") or DEFAULT_LICENSE),
        tags=tags,
        pipeline_tag=PIPELINE_TAG,
        base_model=base_model,
        datasets=list(datasets) if datasets else None,
        model_name=model_name if eval_results else None,
        eval_results=eval_results or None,
    )


def validate_model_card(text, source="README.md"):
    """Parses a card with huggingface_hub and checks dczoo's required fields.

    Args:
        text: str. The whole card, front matter included.
        source: str. Where the card came from, for error messages.

    Returns:
        `huggingface_hub.ModelCard`, the parsed card.

    Raises:
        DczooInputError: the front matter does not parse, a required field
            (`library_name`, `license`, `tags`) is missing, or `model-index`
            is malformed.

    Example:
    ```python
    card = validate_model_card(open("preset/README.md").read())
    card.data.eval_results  # the measured metrics, as EvalResult objects
    ```
    """
    from huggingface_hub import ModelCard

    if not text.startswith("---\n"):
        raise DczooInputError(f"{source}: the card has no YAML front matter")
    try:
        card = ModelCard(text, ignore_metadata_errors=False)
    except Exception as error:  # huggingface_hub raises ValueError or YAMLError
        raise DczooInputError(f"{source}: invalid model card metadata ({error})") from error
    data = card.data.to_dict()
    missing = [key for key in REQUIRED_KEYS if not data.get(key)]
    if missing:
        raise DczooInputError(f"{source}: the card's front matter lacks {', '.join(missing)}")
    if "model-index" in data and not card.data.eval_results:
        raise DczooInputError(f"{source}: the card's model-index holds no results")
    return card

"""Model cards: front matter checked with huggingface_hub, body from the preset."""

import copy

import huggingface_hub
import pytest

from dczoo.errors import DczooInputError
from dczoo.hub import render_model_card, validate_model_card
from dczoo.hub.card_metadata import BASE_TAGS, teacher_repo_id

from tests.hub.conftest import STUDENT_METADATA


@pytest.fixture(scope="module")
def student(tiny_presets):
    return tiny_presets["student"]


@pytest.fixture(scope="module")
def plain(tiny_presets):
    return tiny_presets["teacher"]


def _card(preset, metadata=None, repo_id="my-org/tiny"):
    metadata = preset.json("metadata.json") if metadata is None else metadata
    return render_model_card(preset.json("config.json"), metadata, repo_id=repo_id)


def test_student_front_matter_parses_with_huggingface_hub(student, tmp_path):
    text = _card(student)
    card = validate_model_card(text)
    assert card.data.library_name == "keras"
    assert card.data.license == "bsd-3-clause"
    assert set(BASE_TAGS) <= set(card.data.tags)
    for tag in ("keras", "deepconsensus", "pacbio", "genomics", "knowledge-distillation"):
        assert tag in card.data.tags
    assert "distilled-student" in card.data.tags
    assert card.data.base_model == "dczoo/teacher_6layer"
    (tmp_path / "README.md").write_text(text)
    loaded = huggingface_hub.metadata_load(tmp_path / "README.md")
    assert loaded == card.data.to_dict()


def test_model_index_holds_the_measured_metrics(student):
    card = validate_model_card(_card(student))
    results = card.data.eval_results
    expected = STUDENT_METADATA["evaluation"]["metrics"]
    assert [(r.metric_type, r.metric_value, r.metric_name) for r in results] == [
        (m["type"], m["value"], m["name"]) for m in expected
    ]
    assert {r.dataset_name for r in results} == {"Test windows"}
    assert {r.dataset_split for r in results} == {"test"}
    assert card.data.model_name == "tiny"
    assert "| Read identity | 0.987654 |" in card.text


def test_body_has_architecture_usage_data_limitations_and_citation(student):
    metadata = student.json("metadata.json")
    text = validate_model_card(_card(student)).text
    for heading in ("## Model details", "## How to use", "## Training data", "## Evaluation",
                    "## Limitations", "## Citation"):
        assert heading in text
    assert f"| parameters | {metadata['parameter_count']:,} |" in text
    assert "| encoder layers | 2 |" in text and "| hidden width | 16 |" in text
    assert "`(batch, 85, 100)`" in text
    for backend in ("jax", "tensorflow", "torch"):
        assert f"KERAS_BACKEND={backend}" in text and f'dczoo[{backend}]' in text
    assert 'from_preset("hf://my-org/tiny")' in text
    assert STUDENT_METADATA["training_data"] in text
    assert "Knowledge distillation for fast and accurate {DNA} sequence correction" in text
    assert metadata["weights_sha256"] in text


def test_card_without_measurements_says_so(plain):
    card = validate_model_card(_card(plain))
    assert card.data.eval_results is None and "model-index" not in card.content
    assert card.data.base_model is None
    assert "teacher-model" in card.data.tags
    assert "No measured results are recorded" in card.text
    assert "Not recorded in this preset's metadata.json." in card.text


def test_save_to_preset_writes_a_valid_card(plain):
    card = validate_model_card(plain.read("README.md").decode())
    assert card.data.library_name == "keras"


def test_license_and_datasets_come_from_metadata(student):
    metadata = dict(student.json("metadata.json"), license="apache-2.0", datasets=["org/reads"])
    card = validate_model_card(_card(student, metadata))
    assert card.data.license == "apache-2.0"
    assert card.data.datasets == ["org/reads"]


@pytest.mark.parametrize(
    "teacher, repo",
    [
        ("teacher_6layer", "dczoo/teacher_6layer"),
        ("hf://lab/big-teacher@v2", "lab/big-teacher"),
        ("lab/big-teacher", "lab/big-teacher"),
        ("/home/me/teacher_preset", None),
        ("hf://not-a-repo", None),
        (None, None),
    ],
)
def test_teacher_repo_id(teacher, repo):
    assert teacher_repo_id(teacher) == repo


def test_local_teacher_is_named_in_the_body_but_not_as_base_model(student):
    metadata = dict(student.json("metadata.json"), teacher="/home/me/teacher_preset")
    card = validate_model_card(_card(student, metadata))
    assert card.data.base_model is None
    assert "Distilled from the teacher `/home/me/teacher_preset`." in card.text


@pytest.mark.parametrize(
    "evaluation, message",
    [
        ({"metrics": {"identity": 0.9}}, "dataset"),
        ({"dataset": {"name": "x"}, "metrics": {"identity": "high"}}, "not a number"),
        ({"dataset": {"name": "x"}, "metrics": [{"value": 1.0}]}, "'type' and 'value'"),
        ("0.99", "dict or a list"),
    ],
)
def test_malformed_evaluation_is_refused(student, evaluation, message):
    metadata = copy.deepcopy(student.json("metadata.json"))
    metadata["evaluation"] = evaluation
    with pytest.raises(DczooInputError, match=message):
        _card(student, metadata)


def test_validation_rejects_cards_missing_required_fields(student):
    text = _card(student)
    with pytest.raises(DczooInputError, match="no YAML front matter"):
        validate_model_card(text.split("---\n", 2)[2])
    without_license = text.replace("license: bsd-3-clause\n", "")
    with pytest.raises(DczooInputError, match="license"):
        validate_model_card(without_license)
    broken = text.replace("library_name: keras", "library_name: [keras")
    with pytest.raises(DczooInputError, match="invalid model card metadata"):
        validate_model_card(broken)
    no_dataset = text.replace("    dataset:\n      name: Test windows\n", "    datasat:\n      name: x\n")
    assert no_dataset != text
    with pytest.raises(DczooInputError, match="model_index"):
        validate_model_card(no_dataset)

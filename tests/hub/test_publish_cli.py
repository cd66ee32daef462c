"""`dczoo publish --dry-run` and the checks made before any upload."""

import json
import os

import pytest

from dczoo.cli.main import main
from dczoo.hub import render_model_card, validate_model_card
from dczoo.models import BUILTIN_PRESETS

FILES = ["README.md", "config.json", "metadata.json", "model.weights.h5"]


@pytest.fixture(scope="module")
def preset(tiny_presets):
    return tiny_presets["student"]


def test_dry_run_writes_the_exact_upload_folder_and_prints_it(preset, tmp_path, capsys):
    out = tmp_path / "upload"
    argv = ["publish", str(preset.folder), "--to", "hf://my-org/my-student", "--dry-run",
            "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert sorted(os.listdir(out)) == FILES
    for name in ("config.json", "metadata.json", "model.weights.h5"):
        assert (out / name).read_bytes() == preset.read(name)
    card = (out / "README.md").read_text()
    assert card == render_model_card(
        preset.json("config.json"), preset.json("metadata.json"), repo_id="my-org/my-student"
    )
    validate_model_card(card)
    assert "nothing was uploaded" in printed
    for name in FILES:
        size = os.path.getsize(out / name)
        assert any(name in line and f"{size:,} bytes" in line for line in printed.splitlines())
    assert card in printed
    # A second dry run replaces the folder it wrote.
    assert main(argv) == 0


def test_dry_run_refuses_to_overwrite_an_unrelated_folder(preset, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    argv = ["publish", str(preset.folder), "--to", "hf://a/b", "--dry-run", "--out",
            str(tmp_path)]
    assert main(argv) == 2
    assert "not an earlier dry-run folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("name", sorted(BUILTIN_PRESETS))
def test_builtin_without_bundled_weights_fails_clearly(name, tmp_path, capsys, monkeypatch):
    # A built-in preset whose folder (weights included) is absent, as in a
    # checkout made before its weights were bundled.
    monkeypatch.setitem(BUILTIN_PRESETS[name], "path", str(tmp_path / "not_bundled"))
    out = tmp_path / "upload"
    for to in ([], ["--to", f"hf://my-org/dczoo-{name}"]):  # default: the registered handle
        assert main(["publish", name, *to, "--dry-run", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "no bundled weights" in err and "model.weights.h5" in err and name in err
        assert not out.exists()


def test_changed_weights_are_not_published(preset, tmp_path, capsys):
    folder = tmp_path / "changed"
    folder.mkdir()
    for name in ("config.json", "metadata.json", "model.weights.h5"):
        (folder / name).write_bytes(preset.read(name))
    with open(folder / "model.weights.h5", "ab") as handle:
        handle.write(b"\0")
    argv = ["publish", str(folder), "--to", "hf://a/b", "--dry-run", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "sha256" in capsys.readouterr().err


@pytest.mark.parametrize(
    "target, message",
    [
        ("my-org/x", "hf://org/repo"),
        ("hf://only", "hf://org/repo"),
        ("hf://a/b@v1", "revision"),
        (None, "--to hf://org/repo is needed"),
    ],
)
def test_bad_targets_are_explained(preset, target, message, tmp_path, capsys):
    argv = ["publish", str(preset.folder), "--dry-run", "--out", str(tmp_path / "o")]
    argv += ["--to", target] if target else []
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_folder_that_is_not_a_preset_is_refused(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "metadata.json").write_text("{}")
    argv = ["publish", str(tmp_path), "--to", "hf://a/b", "--dry-run", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "not a dczoo preset config" in capsys.readouterr().err


def test_upload_without_token_says_how_to_log_in(preset, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty_home"))
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no_token"))
    monkeypatch.setattr("huggingface_hub.constants.HF_STORED_TOKENS_PATH", str(tmp_path / "none"))
    assert main(["publish", str(preset.folder), "--to", "hf://a/b"]) == 2
    err = capsys.readouterr().err
    assert "no Hugging Face token" in err and "HF_TOKEN" in err


def test_builtin_with_bundled_weights_defaults_to_its_hub_handle(preset, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(BUILTIN_PRESETS["student_3layer"], "path", str(preset.folder))
    out = tmp_path / "upload"
    assert main(["publish", "student_3layer", "--dry-run", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    handle = BUILTIN_PRESETS["student_3layer"]["hub_handle"]
    assert f"--to {handle}" in printed
    assert f'from_preset("{handle}")' in (out / "README.md").read_text()
    assert (out / "model.weights.h5").read_bytes() == preset.read("model.weights.h5")

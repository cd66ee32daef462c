"""Publishing presets to a Hub over real HTTP (tests.hub.fake_hub on 127.0.0.1).

The client is the real huggingface_hub (create_repo + upload_folder), run in a
child process with HF_ENDPOINT pointing at the test hub.
"""

import numpy as np
import pytest

from dczoo.hub import render_model_card, validate_model_card

from tests.hub.conftest import TOKEN, hub_env, run_hub_client
from tests.hub.fake_hub import FakeHub

PUBLIC = "test-org/tiny-student"
PRIVATE = "test-org/tiny-private"
FILES = ["README.md", "config.json", "metadata.json", "model.weights.h5"]


@pytest.fixture(scope="module")
def published(hub_tmp, windows_path, tiny_presets):
    """Uploads a tiny student preset, loads it back, publishes it privately with
    the CLI, uploads it again unchanged, then tries without and with a wrong
    token; all in one child process."""
    preset = tiny_presets["student"]
    steps = [
        {"op": "upload", "uri": f"hf://{PUBLIC}", "preset": preset.folder},
        {"op": "load", "handle": f"hf://{PUBLIC}", "windows": windows_path,
         "out": hub_tmp / "uploaded.npy"},
        {"op": "cli", "argv": ["publish", str(preset.folder), "--to", f"hf://{PRIVATE}",
                               "--private"]},
        {"op": "load", "handle": f"hf://{PRIVATE}", "windows": windows_path,
         "out": hub_tmp / "private.npy"},
        {"op": "upload", "uri": f"hf://{PUBLIC}", "preset": preset.folder},
        {"op": "setenv", "name": "HF_TOKEN", "value": None},
        {"op": "upload", "uri": f"hf://{PUBLIC}", "preset": preset.folder},
        {"op": "setenv", "name": "HF_TOKEN", "value": "hf_wrongToken_Zz9"},
        {"op": "upload", "uri": f"hf://{PUBLIC}", "preset": preset.folder},
    ]
    with FakeHub(TOKEN) as hub:
        env = hub_env(hub_tmp / "home_upload", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
        results, output = run_hub_client(steps, env)
        yield {"hub": hub, "preset": preset, "results": results, "output": output}


def test_stored_files_equal_the_preset_and_the_card(published):
    hub, preset = published["hub"], published["preset"]
    assert published["results"][0]["ok"], published["results"][0]
    stored = hub.files(PUBLIC)
    assert sorted(stored) == FILES
    for name in ("config.json", "metadata.json", "model.weights.h5"):
        assert stored[name] == preset.read(name), name
    expected_card = render_model_card(
        preset.json("config.json"), preset.json("metadata.json"), repo_id=PUBLIC
    )
    assert stored["README.md"].decode() == expected_card
    card = validate_model_card(stored["README.md"].decode())
    assert card.data.base_model == "dczoo/teacher_6layer"
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == {
        "identity": 0.987654, "exact_window_accuracy": 0.5
    }
    assert f'from_preset("hf://{PUBLIC}")' in expected_card


def test_one_commit_with_the_four_files(published):
    commits = published["hub"].commits(PUBLIC)
    assert len(commits) == 2  # the repository's initial commit, then the upload
    assert commits[1]["paths"] == FILES
    assert published["results"][0]["oid"] == commits[1]["oid"]


def test_unchanged_reupload_makes_no_commit(published):
    assert published["results"][4]["ok"], published["results"][4]
    assert len(published["hub"].commits(PUBLIC)) == 2


def test_upload_loads_back_with_the_same_outputs(published, hub_tmp):
    assert published["results"][1] == {"ok": True}
    np.testing.assert_allclose(
        np.load(hub_tmp / "uploaded.npy"), published["preset"].expected, atol=1e-6
    )


def test_cli_publishes_a_private_repository(published, hub_tmp):
    assert published["results"][2] == {"ok": True, "rc": 0}
    assert published["hub"].repos[PRIVATE]["private"] is True
    assert sorted(published["hub"].files(PRIVATE)) == FILES
    assert f"published {published['preset'].folder} to hf://{PRIVATE}" in published["output"]
    np.testing.assert_allclose(
        np.load(hub_tmp / "private.npy"), published["preset"].expected, atol=1e-6
    )


def test_every_write_carried_the_token(published):
    writes = [entry for entry in published["hub"].log if entry["method"] == "POST"]
    good = [entry for entry in writes if entry["authorized"]]
    paths = {entry["path"] for entry in good}
    assert "/api/repos/create" in paths
    assert f"/api/models/{PUBLIC}/preupload/main" in paths
    assert f"/api/models/{PUBLIC}/commit/main" in paths
    # The wrong token was refused where it mattered, and nothing was written with it.
    refused = {e["path"]: e["status"] for e in writes if not e["authorized"]}
    assert refused["/api/repos/create"] == 401
    assert refused[f"/api/models/{PUBLIC}/preupload/main"] == 401
    assert f"/api/models/{PUBLIC}/commit/main" not in refused
    # The card was checked by the Hub's validate-yaml endpoint before upload.
    assert published["hub"].validated[0] == published["hub"].files(PUBLIC)["README.md"].decode()


def test_missing_or_wrong_token_is_explained(published):
    missing, wrong = published["results"][6], published["results"][8]
    assert missing["ok"] is False and missing["error_type"] == "DczooInputError"
    assert "HF_TOKEN" in missing["error"] and "hf auth login" in missing["error"]
    assert wrong["ok"] is False and "401" in wrong["error"]
    assert "hf_wrongToken_Zz9" not in wrong["error"]


def test_token_is_never_printed(published):
    assert TOKEN not in published["output"]
    assert "hf_wrongToken_Zz9" not in published["output"]

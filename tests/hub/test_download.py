"""Loading hf:// presets over real HTTP, served by olah from local git repos.

The child processes use the real huggingface_hub client with HF_ENDPOINT
pointing at an olah server on 127.0.0.1 and a fresh Hugging Face cache.
"""

import os
import socket

import keras
import numpy as np
import pytest

from tests.hub.conftest import hub_env, run_hub_client
from tests.hub.olah_server import OlahServer, commit_folder

pytest.importorskip("olah")

ORG = "dczoo-test"
FILES = ("config.json", "metadata.json", "model.weights.h5", "README.md")


def _preset_files(preset):
    return {name: preset.read(name) for name in FILES}


@pytest.fixture(scope="module")
def served(hub_tmp, tiny_presets):
    """Two tiny presets in git repositories, served by olah.

    `tiny`: commit 1 (tagged v1) holds preset A, commit 2 (main) preset B.
    `corrupt`: preset A with bytes of its weights changed after saving.
    """
    first, second = tiny_presets["first"], tiny_presets["second"]
    mirrors = hub_tmp / "mirrors"
    commits = {
        "v1": commit_folder(mirrors / "models" / ORG / "tiny", _preset_files(first), "A", tag="v1"),
        "main": commit_folder(mirrors / "models" / ORG / "tiny", _preset_files(second), "B"),
    }
    corrupted = _preset_files(first)
    weights = bytearray(corrupted["model.weights.h5"])
    middle = len(weights) // 2
    weights[middle : middle + 16] = bytes(16)
    corrupted["model.weights.h5"] = bytes(weights)
    commit_folder(mirrors / "models" / ORG / "corrupt", corrupted, "corrupted weights")
    with OlahServer(hub_tmp / "olah", mirrors) as olah:
        yield {"url": olah.url, "first": first, "second": second, "commits": commits}


@pytest.fixture(scope="module")
def online(served, hub_tmp, windows_path):
    """Loads through olah in a fresh cache (one child process)."""
    home = hub_tmp / "home_online"
    steps = [
        {"op": "load", "handle": f"hf://{ORG}/tiny", "windows": windows_path,
         "out": hub_tmp / "main.npy"},
        {"op": "load", "handle": f"hf://{ORG}/tiny@v1", "windows": windows_path,
         "out": hub_tmp / "v1.npy"},
        {"op": "load", "handle": f"hf://{ORG}/tiny@{served['commits']['v1']}",
         "windows": windows_path, "out": hub_tmp / "v1_by_commit.npy"},
        {"op": "load", "handle": f"hf://{ORG}/corrupt", "windows": windows_path,
         "out": hub_tmp / "corrupt.npy"},
        {"op": "load", "handle": f"hf://{ORG}/no-such-repo", "windows": windows_path,
         "out": hub_tmp / "missing.npy"},
    ]
    results, _ = run_hub_client(steps, hub_env(home, HF_ENDPOINT=served["url"]))
    return {"results": results, "home": home}


def test_cache_starts_empty_and_is_filled_over_http(online, served):
    cache = online["home"] / "hub" / f"models--{ORG}--tiny" / "snapshots"
    assert sorted(os.listdir(cache)) == sorted(served["commits"].values())
    main = cache / served["commits"]["main"]
    assert sorted(os.listdir(main)) == ["config.json", "metadata.json", "model.weights.h5"]
    assert (main / "model.weights.h5").read_bytes() == served["second"].read("model.weights.h5")


def test_main_branch_loads_the_latest_preset(online, served, hub_tmp):
    assert online["results"][0] == {"ok": True}
    np.testing.assert_allclose(np.load(hub_tmp / "main.npy"), served["second"].expected, atol=1e-6)


def test_revision_by_tag_and_by_commit(online, served, hub_tmp):
    assert online["results"][1]["ok"] and online["results"][2]["ok"]
    first, second = served["first"].expected, served["second"].expected
    assert not np.allclose(first, second, atol=1e-3)
    np.testing.assert_allclose(np.load(hub_tmp / "v1.npy"), first, atol=1e-6)
    np.testing.assert_allclose(np.load(hub_tmp / "v1_by_commit.npy"), first, atol=1e-6)


def test_corrupted_download_is_refused(online, hub_tmp):
    result = online["results"][3]
    assert result["ok"] is False and result["error_type"] == "DczooInputError"
    assert "sha256" in result["error"] and "model.weights.h5" in result["error"]
    assert not (hub_tmp / "corrupt.npy").exists()


def test_missing_repository_is_explained(online):
    result = online["results"][4]
    assert result["ok"] is False
    assert "no-such-repo" in result["error"] and "not found" in result["error"]


def test_offline_uses_the_cache_and_explains_what_is_missing(online, served, hub_tmp, windows_path):
    steps = [
        {"op": "load", "handle": f"hf://{ORG}/tiny", "windows": windows_path,
         "out": hub_tmp / "offline_main.npy"},
        {"op": "load", "handle": f"hf://{ORG}/corrupt", "windows": windows_path,
         "out": hub_tmp / "offline_corrupt.npy"},
        {"op": "load", "handle": f"hf://{ORG}/never-downloaded", "windows": windows_path,
         "out": hub_tmp / "offline_missing.npy"},
    ]
    env = hub_env(online["home"], HF_ENDPOINT=served["url"], HF_HUB_OFFLINE="1")
    results, _ = run_hub_client(steps, env)
    assert results[0]["ok"]
    np.testing.assert_allclose(
        np.load(hub_tmp / "offline_main.npy"), served["second"].expected, atol=1e-6
    )
    assert not results[1]["ok"] and "sha256" in results[1]["error"]
    message = results[2]["error"]
    assert "config.json" in message and f"hf://{ORG}/never-downloaded" in message
    assert "HF_HUB_OFFLINE" in message and "cache" in message


@pytest.mark.skipif(
    keras.config.backend() != "jax",
    reason="backend-independent, and huggingface_hub retries a refused connection "
    "for about 25 s before giving up, so it runs under one backend only",
)
def test_unreachable_hub_gives_a_clear_error(hub_tmp, windows_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    steps = [{"op": "load", "handle": f"hf://{ORG}/tiny", "windows": windows_path,
              "out": hub_tmp / "unreachable.npy"}]
    env = hub_env(hub_tmp / "home_unreachable", HF_ENDPOINT=f"http://127.0.0.1:{closed}")
    results, _ = run_hub_client(steps, env)
    message = results[0]["error"]
    assert "config.json" in message and f"hf://{ORG}/tiny" in message
    assert "could not be reached" in message and f"127.0.0.1:{closed}" in message

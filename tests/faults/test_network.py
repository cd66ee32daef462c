"""Network: a Hub that cannot be reached ends in one line naming the endpoint
with a retry hint, exit status 4 (issue point 6)."""

import socket

import pytest

from tests.faults.conftest import assert_one_line_error, correct_args, run

huggingface_hub = pytest.importorskip("huggingface_hub")
EXIT_NETWORK = 4  # the documented status (dczoo.errors.EXIT_NETWORK)


@pytest.fixture
def dead_endpoint(monkeypatch):
    """An HF endpoint on a local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_dczooFaultsTestToken0000000000")
    return endpoint


def test_publish_to_an_unreachable_hub(tiny_preset, capsys, dead_endpoint):
    status, err = run(capsys, "publish", tiny_preset, "--to", "hf://org/tiny")
    assert status == EXIT_NETWORK
    assert_one_line_error(err, "publish", "hf://org/tiny", dead_endpoint, "could not be reached",
                          "run the command again")


def test_download_from_an_unreachable_hub(inputs, capsys, tmp_path, dead_endpoint, monkeypatch):
    from huggingface_hub import errors as hf_errors

    def unreachable(*args, **kwargs):
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as cause:
            raise hf_errors.LocalEntryNotFoundError("cannot reach the Hub") from cause

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable)
    status, err = run(capsys, *correct_args(inputs, tmp_path / "out.fastq", "hf://org/tiny"))
    assert status == EXIT_NETWORK
    assert_one_line_error(err, "correct", "hf://org/tiny", dead_endpoint, "could not be reached",
                          "Connection refused", "run the command again")
    assert not (tmp_path / "out.fastq").exists()

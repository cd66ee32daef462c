"""Fixtures of the Space tests: a tiny preset, the app served on 127.0.0.1."""

import importlib.util
import json
import shutil
import socket
import sys
from pathlib import Path

import pytest

from tests.optional_packages import require_packages

REPO = Path(__file__).resolve().parents[2]
SPACE_DIR = REPO / "space"
ARTIFACTS = REPO / "artifacts"


def require_space_packages():
    """Skips the calling test module without gradio, except in CI (which installs it)."""
    require_packages(["gradio", "gradio_client", "matplotlib"],
                     "the Space needs gradio and matplotlib: pip install 'dczoo[space]'",
                     "CI must install the Space's packages")


def load_space_app():
    """Imports space/app.py (a script folder, not a package) as a module."""
    if "dczoo_space_app" in sys.modules:
        return sys.modules["dczoo_space_app"]
    spec = importlib.util.spec_from_file_location("dczoo_space_app", SPACE_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dczoo_space_app"] = module
    spec.loader.exec_module(module)
    return module


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def space_app():
    return load_space_app()


@pytest.fixture(scope="session")
def example():
    from dczoo.examples import example_dir

    return example_dir("sim_small")


@pytest.fixture(scope="session")
def test_presets(tmp_path_factory):
    """A tiny untrained preset ("tiny") and one without weights ("unfinished")."""
    from tests.models.tiny import tiny_corrector

    root = tmp_path_factory.mktemp("space_presets")
    tiny_corrector().save_to_preset(root / "tiny")
    unfinished = root / "unfinished"
    unfinished.mkdir()
    shutil.copy(root / "tiny" / "config.json", unfinished / "config.json")
    return {"tiny": str(root / "tiny"), "unfinished": str(unfinished)}


class Served:
    """A running app: its url, the Blocks, and where downloads go."""

    def __init__(self, demo, url, output_root):
        self.demo = demo
        self.url = url
        self.output_root = output_root


def serve(space_app, presets, output_root, **kwargs):
    demo = space_app.build_app(extra_presets=presets, output_root=output_root, **kwargs)
    _, url, _ = space_app.launch(demo, host="127.0.0.1", port=free_port(),
                                 prevent_thread_lock=True, quiet=True)
    return Served(demo, url, output_root)


@pytest.fixture(scope="session")
def served_app(space_app, test_presets, tmp_path_factory):
    served = serve(space_app, test_presets, tmp_path_factory.mktemp("space_outputs"))
    yield served
    served.demo.close()


@pytest.fixture()
def text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a BAM file\nsecond line\n")
    return path


def read_fastq(path):
    lines = Path(path).read_text().splitlines()
    assert len(lines) % 4 == 0
    return [(lines[i][1:], lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)]


def dump(value):
    return json.dumps(value, default=str)[:2000]

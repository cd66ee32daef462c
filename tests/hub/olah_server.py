"""Serving preset repositories over the Hub's download API with `olah`.

`olah` is a Hugging Face Hub mirror server; given `mirrors-path`, it serves
local git repositories (laid out as `<mirrors>/models/<org>/<repo>`) through
the same `/{org}/{repo}/resolve/{revision}/{file}` endpoints as the Hub. It is
started in offline mode (it never contacts huggingface.co), bound to
127.0.0.1, in a child process that exits by itself after `max_seconds`.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

_GIT_IDENTITY = ["-c", "user.name=dczoo tests", "-c", "user.email=tests@dczoo.invalid"]

# The child arms a timer that ends it even if the test process dies first.
_LAUNCHER = """
import os, sys, threading
threading.Timer(float(sys.argv[3]), lambda: os._exit(3)).start()
sys.argv = ["olah-cli", "--config", sys.argv[1], "--log-path", sys.argv[2]]
from olah.server import cli
cli()
"""


def git(repo_dir, *args):
    """Runs git in `repo_dir` and returns its stripped stdout."""
    result = subprocess.run(
        ["git", *_GIT_IDENTITY, *args], cwd=repo_dir, check=True,
        capture_output=True, text=True, timeout=60,
    )
    return result.stdout.strip()


def commit_folder(repo_dir, files, message, tag=None):
    """Commits `files` (name -> bytes) as the whole tree of a git repository.

    Args:
        repo_dir: path of the repository (created on first use).
        files: dict of file name to bytes.
        message: commit message.
        tag: str or None. A tag to put on the commit.

    Returns:
        str: the commit id.
    """
    if not os.path.isdir(os.path.join(repo_dir, ".git")):
        os.makedirs(repo_dir, exist_ok=True)
        git(repo_dir, "init", "-q", "-b", "main")
    for entry in os.listdir(repo_dir):
        if entry != ".git":
            os.remove(os.path.join(repo_dir, entry))
    for name, data in files.items():
        with open(os.path.join(repo_dir, name), "wb") as handle:
            handle.write(data)
    git(repo_dir, "add", "-A")
    git(repo_dir, "commit", "-q", "-m", message)
    if tag:
        git(repo_dir, "tag", tag)
    return git(repo_dir, "rev-parse", "HEAD")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OlahServer:
    """An olah process serving the git repositories under `mirrors_dir`.

    Args:
        work_dir: path for olah's config, cache and logs.
        mirrors_dir: path holding `models/<org>/<repo>` git repositories.
        max_seconds: float. The process ends itself after this long.

    Example:
    ```python
    with OlahServer(tmp / "olah", tmp / "mirrors") as olah:
        ...  # HF_ENDPOINT=olah.url
    ```
    """

    def __init__(self, work_dir, mirrors_dir, max_seconds=240):
        self.work_dir = os.fspath(work_dir)
        self.mirrors_dir = os.fspath(mirrors_dir)
        self.max_seconds = max_seconds
        self.process = None
        self.url = None

    def __enter__(self):
        if shutil.which("git") is None:
            raise RuntimeError("olah serves git repositories: git is not installed")
        os.makedirs(self.work_dir, exist_ok=True)
        last_log = ""
        for _ in range(3):  # a port taken between probe and bind: try another
            port = _free_port()
            config = os.path.join(self.work_dir, "olah.toml")
            with open(config, "w") as handle:
                handle.write(
                    "[basic]\n"
                    'host = "127.0.0.1"\n'
                    f"port = {port}\n"
                    f'repos-path = "{os.path.join(self.work_dir, "cache")}"\n'
                    f'mirrors-path = ["{self.mirrors_dir}"]\n'
                    "[accessibility]\n"
                    "offline = true\n"
                )
            log_path = os.path.join(self.work_dir, "server.log")
            with open(log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", _LAUNCHER, config,
                     os.path.join(self.work_dir, "logs"), str(self.max_seconds)],
                    cwd=self.work_dir, stdout=log, stderr=subprocess.STDOUT,
                )
            self.url = f"http://127.0.0.1:{port}"
            if self._wait_ready(timeout=60):
                return self
            self.__exit__()
            with open(log_path, errors="replace") as handle:
                last_log = handle.read()[-2000:]
        raise RuntimeError(f"olah did not start; its log ends with:\n{last_log}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                urllib.request.urlopen(self.url + "/api/models/none/none", timeout=2)
                return True
            except urllib.error.HTTPError:
                return True  # it answered
            except OSError:
                time.sleep(0.3)
        return False

    def __exit__(self, *exc_info):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

"""A minimal Hugging Face Hub for upload tests, served on 127.0.0.1.

No local server implements the Hub's upload API, so this one implements just
the endpoints that huggingface_hub 2.x calls from `create_repo` and
`upload_folder` (and the file endpoints `hf_hub_download` uses to read the
result back):

- `POST /api/repos/create`: JSON `{name, organization, visibility}`; 409 (with
  the repository url, as the Hub answers) if it exists.
- `POST /api/validate-yaml`: `{content, repoType}` of the README.md about to
  be uploaded; 400 unless its front matter is a YAML mapping (the Hub checks
  more; dczoo checks the card itself with huggingface_hub's ModelCard).
- `GET /api/models/{org}/{repo}[/revision/{rev}]`: repository info.
- `POST /api/models/{org}/{repo}/preupload/{rev}`: JSON `{files: [{path,
  sample, size}]}` -> `{files: [{path, uploadMode, shouldIgnore, oid}]}`.
  Every file is answered `regular` (inlined in the commit), since the Xet/LFS
  storage protocols have no local server; the oid of a stored file is its git
  blob sha1, as on the Hub, so unchanged files are skipped by the client.
- `POST /api/models/{org}/{repo}/commit/{rev}`: NDJSON, a `header` line then
  `file` lines with base64 content -> `{commitUrl, commitOid}`.
- `HEAD|GET /{org}/{repo}/resolve/{rev}/{path}`: file bytes with the
  `X-Repo-Commit`, `ETag` and `Content-Length` headers the client requires.

Writes need `Authorization: Bearer <token>`. The server binds 127.0.0.1
only and shuts itself down after `max_seconds`.
"""

import base64
import hashlib
import http.server
import json
import re
import threading
from urllib.parse import unquote, urlsplit

import yaml


def git_blob_sha1(data):
    """The git object id of a blob holding `data` (what the Hub calls oid)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    """Holds repositories in memory and serves them over HTTP.

    Args:
        token: str. The only token accepted for writes.
        max_seconds: float. The server stops itself after this long.

    Example:
    ```python
    with FakeHub("hf_secret") as hub:
        ...  # HF_ENDPOINT=hub.url
        hub.files("org/repo")  # {path: bytes} at the head of main
    ```
    """

    def __init__(self, token, max_seconds=240):
        self.token = token
        self.max_seconds = max_seconds
        self.repos = {}
        self.log = []
        self.validated = []
        self.lock = threading.Lock()
        self.server = None

    def __enter__(self):
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._watchdog = threading.Timer(self.max_seconds, self.server.shutdown)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def __exit__(self, *exc_info):
        self._watchdog.cancel()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def files(self, repo_id):
        """The files at the head of `repo_id`'s main branch, as bytes."""
        with self.lock:
            return dict(self.repos[repo_id]["commits"][-1]["files"])

    def commits(self, repo_id):
        """The commits of `repo_id`, oldest first (dicts: oid, summary, paths)."""
        with self.lock:
            return [
                {"oid": c["oid"], "summary": c["summary"], "paths": sorted(c["changed"])}
                for c in self.repos[repo_id]["commits"]
            ]


class _Handler(http.server.BaseHTTPRequestHandler):
    hub = None  # set by FakeHub

    def log_message(self, *args):  # keep pytest output clean
        pass

    # --- plumbing -------------------------------------------------------

    def _authorized(self):
        return self.headers.get("Authorization") == f"Bearer {self.hub.token}"

    def _send(self, status, body=b"", headers=None, head_only=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        self._entry["status"] = status
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _error(self, status, code, message):
        self._send(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _record(self):
        self._entry = {
            "method": self.command,
            "path": urlsplit(self.path).path,
            "authorized": self._authorized(),
            "status": None,
        }
        with self.hub.lock:
            self.hub.log.append(self._entry)

    def _repo(self, org, name, for_write):
        repo = self.hub.repos.get(f"{org}/{name}")
        if repo is None or (repo["private"] and not self._authorized()):
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        if for_write and not self._authorized():
            self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
            return None
        return repo

    # --- routes -----------------------------------------------------------

    def do_POST(self):
        self._record()
        path = urlsplit(self.path).path
        if path == "/api/repos/create":
            return self._create_repo()
        if path == "/api/validate-yaml":
            return self._validate_yaml()
        match = re.fullmatch(r"/api/models/([^/]+)/([^/]+)/(preupload|commit)/(.+)", path)
        if not match:
            return self._error(404, "NotFound", f"no route POST {path}")
        org, name, action, revision = match.groups()
        if unquote(revision) != "main":
            return self._error(404, "RevisionNotFound", "only main exists here")
        with self.hub.lock:
            repo = self._repo(org, name, for_write=True)
            if repo is None:
                return None
            if action == "preupload":
                return self._preupload(repo)
            return self._commit(repo, f"{org}/{name}")

    def _create_repo(self):
        if not self._authorized():
            return self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
        payload = json.loads(self._body())
        repo_id = f"{payload['organization']}/{payload['name']}"
        with self.hub.lock:
            if repo_id in self.hub.repos:
                message = "You already created this model repo"
                return self._send(409, {"error": message, "url": f"{self.hub.url}/{repo_id}"},
                                  {"X-Error-Message": message})
            empty = {"oid": hashlib.sha1(repo_id.encode()).hexdigest(), "summary": "initial commit",
                     "files": {}, "changed": []}
            self.hub.repos[repo_id] = {
                "private": payload.get("visibility") == "private" or payload.get("private") is True,
                "type": payload.get("type") or "model",
                "commits": [empty],
            }
        return self._send(200, {"url": f"{self.hub.url}/{repo_id}", "name": repo_id})

    def _validate_yaml(self):
        content = json.loads(self._body())["content"]
        with self.hub.lock:
            self.hub.validated.append(content)
        match = re.match(r"---\n(.*?)\n---\n", content, flags=re.S)
        try:
            front = yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError as error:
            front = str(error)
        if not isinstance(front, dict):
            errors = [{"message": f"the front matter is not a YAML mapping: {front!r}"}]
            return self._send(400, {"errors": errors, "warnings": []})
        return self._send(200, {"errors": [], "warnings": []})

    def _preupload(self, repo):
        payload = json.loads(self._body())
        files = repo["commits"][-1]["files"]
        answer = [
            {
                "path": item["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_sha1(files[item["path"]]) if item["path"] in files else None,
            }
            for item in payload["files"]
        ]
        return self._send(200, {"files": answer, "commitOid": repo["commits"][-1]["oid"]})

    def _commit(self, repo, repo_id):
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            return self._error(400, "BadRequest", "the first line must be the header")
        files = dict(repo["commits"][-1]["files"])
        changed = []
        for line in lines[1:]:
            value = line["value"]
            if line["key"] == "file" and value.get("encoding") == "base64":
                files[value["path"]] = base64.b64decode(value["content"])
            elif line["key"] == "deletedFile":
                files.pop(value["path"], None)
            else:
                return self._error(422, "Unsupported", f"this test hub does not take {line['key']}")
            changed.append(value["path"])
        digest = hashlib.sha1(repo["commits"][-1]["oid"].encode())
        for path in sorted(files):
            digest.update(path.encode() + git_blob_sha1(files[path]).encode())
        oid = digest.hexdigest()
        summary = lines[0]["value"].get("summary", "")
        repo["commits"].append({"oid": oid, "summary": summary, "files": files, "changed": changed})
        return self._send(200, {"commitUrl": f"{self.hub.url}/{repo_id}/commit/{oid}",
                                "commitOid": oid, "pullRequestUrl": None})

    def do_GET(self):
        self._record()
        path = urlsplit(self.path).path
        match = re.fullmatch(r"/api/models/([^/]+)/([^/]+)(?:/revision/(.+))?", path)
        if match:
            return self._repo_info(*match.groups())
        return self._resolve(path, head_only=False)

    def do_HEAD(self):
        self._record()
        return self._resolve(urlsplit(self.path).path, head_only=True)

    def _repo_info(self, org, name, revision):
        with self.hub.lock:
            repo = self._repo(org, name, for_write=False)
            if repo is None:
                return None
            head = repo["commits"][-1]
            info = {
                "id": f"{org}/{name}", "modelId": f"{org}/{name}", "sha": head["oid"],
                "private": repo["private"],
                "siblings": [{"rfilename": p} for p in sorted(head["files"])],
            }
        return self._send(200, info)

    def _resolve(self, path, head_only):
        match = re.fullmatch(r"/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)", path)
        if not match:
            return self._error(404, "NotFound", f"no route {self.command} {path}")
        org, name, revision, file_path = (unquote(group) for group in match.groups())
        with self.hub.lock:
            repo = self._repo(org, name, for_write=False)
            if repo is None:
                return None
            commit = next((c for c in repo["commits"] if revision in ("main", c["oid"])), None)
            if revision == "main":
                commit = repo["commits"][-1]
            if commit is None:
                return self._error(404, "RevisionNotFound", "Invalid rev id")
            data = commit["files"].get(file_path)
            if data is None:
                return self._send(404, {"error": "Entry not found"},
                                  {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit["oid"]},
                                  head_only=head_only)
        headers = {"X-Repo-Commit": commit["oid"], "ETag": f'"{git_blob_sha1(data)}"',
                   "Content-Type": "application/octet-stream"}
        return self._send(200, data, headers, head_only=head_only)

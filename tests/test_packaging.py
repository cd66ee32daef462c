"""Packaging: the extras of pyproject.toml resolve, and the wheel and sdist carry the LICENSE.

The metadata comes from setuptools' own build hook (`prepare_metadata_for_build_wheel`, run in a
subprocess into a temporary folder: nothing is written into the repository), so the checks read what
`pip install dczoo[...]` and the wheel would see. The resolution checks ask the package index with
`pip install --dry-run` and skip when the index cannot be reached.
"""

import email.parser
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO / ".ci" / "constraints.txt"
# What the README's install section promises.
EXTRAS = ("jax", "tensorflow", "torch", "onnx", "space", "workflow", "dev")
# Platforms users install on: (sys_platform, platform_machine) of the markers, and pip's wheel tags.
PLATFORMS = {
    "linux-x86_64": ("linux", "x86_64", ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]),
    "linux-aarch64": ("linux", "aarch64",
                      ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"]),
    "macos-arm64": ("darwin", "arm64", ["macosx_14_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"]),
    "macos-x86_64": ("darwin", "x86_64", ["macosx_10_15_x86_64"]),
    "windows-x86_64": ("win32", "AMD64", ["win_amd64"]),
}
# The platform checks ask for wheels of this Python (the version `make test` and CI use).
WHEEL_PYTHON = "3.11"


def _pip(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):
    """The `.dist-info` folder setuptools builds for the wheel, and the sdist manifest."""
    from packaging.version import Version

    setuptools = pytest.importorskip("setuptools", reason="setuptools builds dczoo's metadata (dczoo[dev] has it)")
    if Version(setuptools.__version__) < Version("77"):
        pytest.skip(f"setuptools {setuptools.__version__} predates pyproject's SPDX license fields (77)")
    out = tmp_path_factory.mktemp("metadata")
    script = ("import sys; from setuptools import build_meta; "
              "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True,
                            timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    dist_info = out / result.stdout.strip().splitlines()[-1]
    sources = next(out.glob("*.egg-info")) / "SOURCES.txt"
    return dist_info, sources


def _fields(dist_info):
    return email.parser.Parser().parsestr((dist_info / "METADATA").read_text())


def _requirements(dist_info, extra, environment=None):
    """The requirements an extra adds for a marker environment (default: this machine)."""
    found = []
    for line in _fields(dist_info).get_all("Requires-Dist"):
        requirement = Requirement(line)
        if requirement.marker is None:
            continue
        if requirement.marker.evaluate(dict(environment or {}, extra=extra)):
            found.append(requirement)
    return found


def test_wheel_metadata_ships_the_license(metadata):
    dist_info, _ = metadata
    fields = _fields(dist_info)
    assert fields["License-Expression"] == "BSD-3-Clause"
    assert fields.get_all("License-File") == ["LICENSE"]
    shipped = dist_info / "licenses" / "LICENSE"
    assert shipped.read_text() == (REPO / "LICENSE").read_text()
    assert "BSD 3-Clause License" in shipped.read_text()
    assert "the dczoo authors" in shipped.read_text()


def test_sdist_manifest_lists_the_license(metadata):
    _, sources = metadata
    assert "LICENSE" in sources.read_text().splitlines()


def test_every_extra_is_declared_and_adds_something(metadata):
    dist_info, _ = metadata
    declared = set(_fields(dist_info).get_all("Provides-Extra"))
    assert set(EXTRAS) <= declared
    for extra in EXTRAS:
        assert _requirements(dist_info, extra), f"dczoo[{extra}] adds no requirement on this machine"


def test_tensorflow_extra_picks_one_package_per_platform(metadata):
    """tensorflow-cpu where it has wheels (x86-64 Linux and Windows), tensorflow elsewhere."""
    dist_info, _ = metadata
    picked = {}
    for platform, (sys_platform, machine, _) in PLATFORMS.items():
        environment = {"sys_platform": sys_platform, "platform_machine": machine}
        picked[platform] = [r.name for r in _requirements(dist_info, "tensorflow", environment)]
    assert picked == {"linux-x86_64": ["tensorflow-cpu"], "linux-aarch64": ["tensorflow"],
                      "macos-arm64": ["tensorflow"], "macos-x86_64": ["tensorflow"],
                      "windows-x86_64": ["tensorflow-cpu"]}


def test_tensorflow_extra_has_a_wheel_on_every_platform(metadata):
    """For each platform, the package `dczoo[tensorflow]` names there has a wheel on the index."""
    dist_info, _ = metadata
    _skip_unless_index_reachable()
    runs = {}
    for platform, (sys_platform, machine, tags) in PLATFORMS.items():
        environment = {"sys_platform": sys_platform, "platform_machine": machine}
        (requirement,) = _requirements(dist_info, "tensorflow", environment)
        platform_args = [arg for tag in tags for arg in ("--platform", tag)]
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                   "--quiet", "--only-binary=:all:", "--python-version", WHEEL_PYTHON,
                   "--target", str(dist_info.parent / f"target-{platform}"), *platform_args,
                   f"{requirement.name}{requirement.specifier}"]
        # One pip per platform, all at once: each mostly waits on the index.
        runs[platform] = (requirement, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                        text=True, cwd=REPO))
    failures = []
    for platform, (requirement, process) in runs.items():
        _, stderr = process.communicate(timeout=300)
        if process.returncode != 0:
            failures.append(f"{platform}: {requirement}: {stderr.strip()[-500:]}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_all_extras_resolve_together(metadata, tmp_path):
    """`make test`'s install (dczoo's requirements and every extra's, with .ci/constraints.txt) resolves.

    The requirements are read from the built metadata and handed to pip as they apply to this machine,
    which spares pip building dczoo itself.
    """
    _skip_unless_index_reachable()
    dist_info, _ = metadata
    base = [Requirement(line) for line in _fields(dist_info).get_all("Requires-Dist")]
    wanted = {extra: _requirements(dist_info, extra) for extra in EXTRAS}
    wanted["(base)"] = [r for r in base if r.marker is None]
    report = tmp_path / "report.json"
    specifiers = sorted({f"{r.name}{r.specifier}" for requirements in wanted.values() for r in requirements})
    result = _pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                  "-c", str(CONSTRAINTS), *specifiers, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    installed = {_normalized(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}
    for extra, requirements in wanted.items():
        for requirement in requirements:
            assert _normalized(requirement.name) in installed, f"{extra}: {requirement} is not in the resolved set"


def _normalized(name):
    return name.lower().replace("_", "-").replace(".", "-")


_INDEX = {}


def _skip_unless_index_reachable():
    """Skips the test when the package index (PIP_INDEX_URL, else PyPI) does not answer."""
    if "reachable" not in _INDEX:
        url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/") + "/keras/"
        try:
            with urllib.request.urlopen(url, timeout=20) as response:
                _INDEX["reachable"] = response.status == 200
        except (OSError, ValueError):
            _INDEX["reachable"] = False
        _INDEX["url"] = url
    if not _INDEX["reachable"]:
        pytest.skip(f"the package index cannot be reached ({_INDEX['url']} did not answer)")


def test_sdist_manifest_lists_the_workflow(metadata):
    """`dczoo workflow` needs its Snakefile, config example and SLURM profile in the package."""
    _, sources = metadata
    listed = set(sources.read_text().splitlines())
    for path in ("dczoo/workflow/Snakefile", "dczoo/workflow/config.example.yaml",
                 "dczoo/workflow/profiles/slurm/config.yaml"):
        assert path in listed, path

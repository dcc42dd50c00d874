"""The krew manifest and archive of ``make dist``: valid by krew's rules, installed as krew installs, run through the
real kubectl."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove import __version__
from tests.packaging.conftest import Dist

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl")
REPLAY = ROOT / "replays" / "disagg-fragmented.jsonl"

# krew's rules (internal/index/validation/validate.go, internal/installation/semver)
SAFE_NAME = re.compile(r"^[\w-]+$")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
SEMVER = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
SHA256 = re.compile(r"^[a-f0-9]{64}$")


def krew_problems(manifest: dict[str, Any], name: str) -> list[str]:
    """What krew's ValidatePlugin would reject in a manifest stored as ``<name>.yaml`` (empty: valid)."""
    problems = []
    if manifest.get("apiVersion") != "krew.googlecontainertools.github.com/v1alpha2":
        problems.append("apiVersion")
    if manifest.get("kind") != "Plugin":
        problems.append("kind")
    if not SAFE_NAME.match(name) or name.upper() in WINDOWS_RESERVED:
        problems.append("unsafe name")
    if (manifest.get("metadata") or {}).get("name") != name:
        problems.append("metadata.name differs from the file name")
    spec = manifest.get("spec") or {}
    short = spec.get("shortDescription") or ""
    if not short or "\n" in short or "\r" in short:
        problems.append("shortDescription")
    if not SEMVER.match(str(spec.get("version") or "")):
        problems.append("version")
    platforms = spec.get("platforms") or []
    if not platforms:
        problems.append("no platforms")
    for platform in platforms:
        if not platform.get("uri"):
            problems.append("uri")
        if not SHA256.match(str(platform.get("sha256") or "")):
            problems.append("sha256")
        if not platform.get("bin"):
            problems.append("bin")
        files = platform.get("files")
        if files is not None and (not files or any(not f.get("from") or not f.get("to") for f in files)):
            problems.append("files")
        selector = platform.get("selector")
        if not selector or (selector.get("matchLabels") is None and not selector.get("matchExpressions")):
            problems.append("selector")
        else:
            expressions = selector.get("matchExpressions") or ()
            keys = set(selector.get("matchLabels") or {}) | {e.get("key") for e in expressions}
            if keys - {"os", "arch"}:
                problems.append("selector keys")
    return problems


def krew_install(manifest: dict[str, Any], archive: Path, krew_root: Path, os_arch: tuple[str, str]) -> Path:
    """What ``kubectl krew install --manifest=M --archive=A`` does: pick the platform by selector, check the
    sha256, unpack, apply ``files`` (a direct path, else a glob; ``to`` must be clean), link ``bin`` into
    ``$KREW_ROOT/bin`` as ``kubectl-<name>``."""
    name, spec = manifest["metadata"]["name"], manifest["spec"]
    (platform,) = [
        p for p in spec["platforms"] if p["selector"]["matchLabels"] == {"os": os_arch[0], "arch": os_arch[1]}
    ]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == platform["sha256"]
    staging = krew_root / "downloads"
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="tar")
    install_dir = krew_root / "store" / name / spec["version"]
    install_dir.mkdir(parents=True)
    for op in platform.get("files") or [{"from": "*", "to": "."}]:
        assert os.path.normpath(op["to"]) == op["to"], op
        direct = staging / op["from"]
        sources = [direct] if direct.exists() else [Path(p) for p in glob.glob(str(staging / op["from"]))]
        assert sources, f"no files in the archive match {op['from']}"
        for source in sources:
            if direct.exists():  # a single file: `to` names it ("." keeps its name)
                target = install_dir / (source.name if op["to"] == "." else op["to"])
            else:  # a glob: `to` is the directory
                target = install_dir / op["to"] / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), target)
    binary = (install_dir / platform["bin"]).resolve()
    assert binary.is_relative_to(install_dir.resolve()) and binary.is_file()
    bin_dir = krew_root / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / f"kubectl-{name.replace('-', '_')}"
    link.symlink_to(binary)
    return install_dir


def test_the_manifest_is_valid_for_krew(dist: Dist) -> None:
    manifest = yaml.safe_load(dist.manifest.read_text())
    assert krew_problems(manifest, dist.manifest.stem) == []
    assert manifest["spec"]["version"] == f"v{__version__}"
    (platform,) = manifest["spec"]["platforms"]
    assert platform["uri"].endswith("/" + dist.archive.name)
    broken = {**manifest, "spec": {**manifest["spec"], "version": __version__, "shortDescription": "two\nlines"}}
    assert krew_problems(broken, "grove") == ["shortDescription", "version"]
    assert "unsafe name" in krew_problems({**manifest, "metadata": {"name": "a b"}}, "a b")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_installed_as_krew_does_it_runs_through_kubectl(dist: Dist, tmp_path: Path) -> None:
    assert KUBECTL is not None
    manifest = yaml.safe_load(dist.manifest.read_text())
    target = dist.archive.name.removesuffix(".tar.gz").rsplit("-", 2)[-2:]
    install_dir = krew_install(manifest, dist.archive, tmp_path / "krew", (target[0], target[1]))
    assert sorted(p.name for p in install_dir.iterdir()) == ["LICENSE", "kubectl-grove", "kubectl_complete-grove"]
    # PATH: krew's bin, kubectl and a python3 (the user's); not this virtual environment
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    (tools / "kubectl").symlink_to(KUBECTL)
    krew_bin = tmp_path / "krew" / "bin"
    env = {
        "PATH": os.pathsep.join([str(krew_bin), str(tools), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "PEX_ROOT": str(dist.out / ".pex-root"),
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KUBECTL, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False
        )

    version = kubectl("grove", "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"kubectl-grove {__version__}"), version.stderr
    assert str(krew_bin / "kubectl-grove") in kubectl("plugin", "list").stdout
    status = kubectl("grove", "status", "--replay", str(REPLAY))
    assert status.returncode == 0, status.stderr
    assert "my-inference" in status.stdout
    # the caveat's completion link, then kubectl completes through it
    (krew_bin / "kubectl_complete-grove").symlink_to(install_dir / "kubectl_complete-grove")
    completion = kubectl("__complete", "grove", "sta")
    assert completion.stdout.splitlines()[0].split("\t")[0] == "status", completion.stderr

"""``make dist``: the wheel, one krew archive per platform and the krew manifest that points at them.

    .venv/bin/python scripts/build_dist.py                       # linux/amd64 and linux/arm64, wheels from PyPI
    .venv/bin/python scripts/build_dist.py --platform linux-arm64 --python 3.12
    .venv/bin/python scripts/build_dist.py --offline             # this machine only, from the installed .venv

Each archive ``kubectl-grove-v<version>-<os>-<arch>.tar.gz`` holds ``kubectl-grove`` (a pex zipapp that runs with the
user's ``python3`` >= 3.11: our wheel and every dependency's wheel for each CPython version asked for, C extensions
included, so one archive serves Python 3.11 to 3.14), ``kubectl_complete-grove`` (kubectl's completion hook) and the
LICENSE. Wheels for a platform other than this machine's are fetched for it (pex ``--platform``, i.e. pip's
``--platform --only-binary``): arm64 is built on amd64 the same way. ``--offline`` resolves from the current virtual
environment instead (``pex --venv-repository``): no network, this machine's platform and Python only (the tests use it).
The manifest ``dist/krew/grove.yaml`` (krew-index format) names each archive's sha256 and its URL under
``--base-url`` (a release's download URL); ``kubectl krew install --manifest=dist/krew/grove.yaml
--archive=dist/kubectl-grove-v<version>-linux-amd64.tar.gz`` installs from the local file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grove import __version__  # noqa: E402

PLUGIN = "grove"
BIN = "kubectl-grove"
COMPLETE_BIN = "kubectl_complete-grove"
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
PLATFORMS = {"linux-amd64": "linux_x86_64", "linux-arm64": "linux_aarch64"}  # krew os-arch -> pex platform
DEFAULT_BASE_URL = f"https://github.com/ai-dynamo/kubectl-grove/releases/download/v{__version__}"
COMPLETE_SCRIPT = f"""#!/bin/sh
# kubectl runs this for `kubectl grove <TAB>` (kubectl >= 1.26, found on PATH): cobra's __complete protocol.
# krew links only {BIN}; link this one beside it: ln -s "$PWD/{COMPLETE_BIN}" ~/.krew/bin/
here=$(dirname "$0")
if [ -x "$here/{BIN}" ]; then exec "$here/{BIN}" __complete "$@"; fi
exec {BIN} __complete "$@"
"""


def run(args: Sequence[str]) -> None:
    print("+", " ".join(str(a) for a in args), file=sys.stderr, flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def build_wheel(out: Path) -> Path:
    """Our wheel (no build isolation: setuptools comes from the dev environment, so this works offline)."""
    with tempfile.TemporaryDirectory() as tmp:
        run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, str(ROOT)])
        (wheel,) = Path(tmp).glob("kubectl_grove-*.whl")
        out.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheel, out / wheel.name))


def local_platform() -> str:
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    return f"{sys.platform}-{machine}"


def build_pex(wheel: Path, out: Path, target: str | None, pythons: Sequence[str], offline: bool) -> Path:
    """``kubectl-grove`` as a pex: wheels kept whole (one archive can hold several platforms' wheels), run in a
    venv pex makes on first use (later starts are as fast as an installed tool)."""
    pex = Path(sys.executable).with_name("pex")
    args: list[str | Path] = [
        pex, wheel, "--console-script", BIN, "--output-file", out,
        "--python-shebang", "/usr/bin/env python3", "--venv", "--no-pre-install-wheels",
    ]  # fmt: skip
    if offline:
        args += ["--venv-repository", Path(sys.prefix)]
    else:
        assert target is not None
        for version in pythons:
            tag = version.replace(".", "")
            args += ["--platform", f"{PLATFORMS[target]}-cp-{version}.0-cp{tag}"]
    run(args)
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def build_archive(pex: Path, out_dir: Path, target: str) -> Path:
    """The krew archive: kubectl-grove, kubectl_complete-grove and the LICENSE at its root."""
    archive = out_dir / f"kubectl-grove-v{__version__}-{target}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, BIN, pex.read_bytes(), 0o755)
        _add(tar, COMPLETE_BIN, COMPLETE_SCRIPT.encode(), 0o755)
        _add(tar, "LICENSE", (ROOT / "LICENSE").read_bytes(), 0o644)
    return archive


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def krew_manifest(archives: dict[str, Path], base_url: str) -> dict[str, object]:
    """The krew-index ``Plugin`` for these archives (rules: krew's internal/index/validation)."""
    platforms = []
    for target, archive in sorted(archives.items()):
        os_name, arch = target.split("-")
        platforms.append(
            {
                "selector": {"matchLabels": {"os": os_name, "arch": arch}},
                "uri": f"{base_url.rstrip('/')}/{archive.name}",
                "sha256": sha256(archive),
                "files": [{"from": name, "to": "."} for name in (BIN, COMPLETE_BIN, "LICENSE")],
                "bin": BIN,
            }
        )
    return {
        "apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
        "kind": "Plugin",
        "metadata": {"name": PLUGIN},
        "spec": {
            "version": f"v{__version__}",
            "homepage": "https://github.com/ai-dynamo/kubectl-grove",
            "shortDescription": "See, check and replay Grove AI inference workloads",
            "description": (
                "kubectl grove shows Grove PodCliqueSets, scaling groups, gangs and pods: status, topology (racks, "
                "hosts, GPUs), gang health, a terminal UI (Arborist), recordings that replay, and support bundles.\n"
                "Needs python3 >= 3.11 on PATH (the plugin is a self-contained zipapp).\n"
            ),
            "caveats": (
                "Needs python3 >= 3.11 on PATH. For `kubectl grove <TAB>` (kubectl >= 1.26) link the completion "
                'helper next to the plugin:\n  ln -s "$(dirname "$(readlink -f ~/.krew/bin/kubectl-grove)")/'
                'kubectl_complete-grove" ~/.krew/bin/\n'
            ),
            "platforms": platforms,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS), help="default: all")
    parser.add_argument("--python", action="append", help=f"CPython versions to carry wheels for (default {PYTHONS})")
    parser.add_argument("--offline", action="store_true", help="this machine only, from the current venv")
    parser.add_argument("--base-url", default=os.environ.get("KREW_BASE_URL", DEFAULT_BASE_URL))
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    wheel = build_wheel(out)
    targets = [local_platform()] if args.offline else (args.platform or sorted(PLATFORMS))
    archives: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            pex = build_pex(wheel, Path(tmp) / f"{BIN}-{target}", target, args.python or PYTHONS, args.offline)
            archives[target] = build_archive(pex, out, target)
    manifest = out / "krew" / f"{PLUGIN}.yaml"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(yaml.safe_dump(krew_manifest(archives, args.base_url), sort_keys=False, width=1000))
    for path in (wheel, *archives.values(), manifest):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

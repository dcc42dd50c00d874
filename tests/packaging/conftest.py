"""The distribution built once per test session, offline: ``scripts/build_dist.py --offline`` (our wheel, and the krew
archive whose zipapp carries every dependency's wheel, taken from this virtual environment)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class Dist:
    out: Path
    wheel: Path
    archive: Path
    manifest: Path

    def wheelhouse(self, into: Path) -> Path:
        """Every wheel the zipapp carries (it keeps them whole), for installing without an index."""
        into.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(self.archive_pex(into.parent)) as pex:
            for name in pex.namelist():
                if name.startswith(".deps/") and name.endswith(".whl") and name.count("/") == 1:
                    (into / name.split("/", 1)[1]).write_bytes(pex.read(name))
        return into

    def archive_pex(self, scratch: Path) -> Path:
        import tarfile

        target = scratch / "kubectl-grove.pex"
        if not target.exists():
            with tarfile.open(self.archive) as tar:
                member = tar.extractfile("kubectl-grove")
                assert member is not None
                target.write_bytes(member.read())
        return target


def _pex_available() -> bool:
    return Path(sys.executable).with_name("pex").exists()


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    if not _pex_available():
        pytest.skip("pex is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PEX_ROOT": str(out / ".pex-root")}
    result = subprocess.run(
        [sys.executable, "scripts/build_dist.py", "--offline", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob("kubectl_grove-*.whl")
    (archive,) = out.glob("kubectl-grove-v*-*.tar.gz")
    return Dist(out, wheel, archive, out / "krew" / "grove.yaml")

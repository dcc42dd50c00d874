"""``pipx install`` of the built wheel (not the source tree): what the package ships is all a user gets, so a missing
package-data file (the TUI's .tcss, the completion scripts, the demo recordings) fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grove import __version__
from tests.packaging.conftest import Dist

PIPX = Path(sys.executable).with_name("pipx")


@pytest.mark.skipif(not PIPX.exists(), reason="pipx is not installed (pip install -e '.[dev]')")
def test_pipx_install_of_the_wheel_works_from_anywhere(dist: Dist, tmp_path: Path) -> None:
    wheelhouse = dist.wheelhouse(tmp_path / "wheelhouse")
    home, bin_dir, elsewhere = tmp_path / "pipx", tmp_path / "bin", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PIPX_", "VIRTUAL_ENV", "PYTHON"))},
        "PIPX_HOME": str(home),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIPX_DEFAULT_PYTHON": getattr(sys, "_base_executable", sys.executable),
        "PIP_NO_INDEX": "1",  # everything from the wheelhouse: no network in tests
        "PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE": "1",  # keep the interpreter's own pip (no index to upgrade from)
        "PIP_FIND_LINKS": str(wheelhouse),
        "HOME": str(tmp_path),
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, env=env, cwd=elsewhere, timeout=600, check=False
        )

    installed = run(PIPX, "install", dist.wheel)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    version = run(bin_dir / "kubectl-grove", "--version")
    assert version.stdout.strip() == f"kubectl-grove {__version__}", version.stderr
    assert run(bin_dir / "kubectl_complete-grove", "sta").stdout.splitlines()[0].startswith("status\t")
    # package data: the completion scripts, the TUI stylesheet, the demo recordings (data files under share/)
    assert "_kubectl_grove" in run(bin_dir / "kubectl-grove", "completion", "bash").stdout
    venv_python = home / "venvs" / "kubectl-grove" / "bin" / "python"
    probe = run(
        venv_python,
        "-c",
        "import sys, importlib.resources as r, grove; "
        "print(r.files('grove.views.tui').joinpath('arborist.tcss').is_file(), grove.__file__, sys.prefix)",
    )
    stylesheet, module, prefix = probe.stdout.split()
    assert stylesheet == "True", probe.stderr
    assert Path(module).is_relative_to(home), "grove must come from the installed wheel, not the source tree"
    recording = Path(prefix) / "share" / "kubectl-grove" / "replays" / "disagg-fragmented.jsonl"
    status = run(bin_dir / "kubectl-grove", "status", "--replay", recording)
    assert status.returncode == 0, status.stderr
    assert "my-inference" in status.stdout

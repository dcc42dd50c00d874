"""Layering: commands → views → reducers → events; the core imports no UI and no Kubernetes client."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert len(declared) >= 4  # the two layers of the package and the two inside grove.events
    assert f"Contracts: {len(declared)} kept, 0 broken." in result.stdout


def test_the_core_loads_without_ui_or_kubernetes_modules() -> None:
    code = (
        "import sys, pkgutil, importlib, grove.events, grove.reducers\n"
        "for pkg in (grove.events, grove.reducers):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
        "print(sorted(m for m in ('textual', 'rich', 'kubernetes') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

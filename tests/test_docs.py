from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_CITES_OUTSIDE = re.compile(r"DESIGN\.md|REFERENCE(\.md)? §")


def test_output_schema_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_output_doc", ROOT / "scripts" / "gen_output_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    assert (ROOT / "docs" / "output.md").read_text(encoding="utf-8") == expected, (
        "docs/output.md is stale: run `.venv/bin/python scripts/gen_output_doc.py`"
    )
    assert "| `findings` | list of Finding |" in expected


def test_readme_starts_with_the_two_quickstart_commands() -> None:
    lines = [ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if ln.strip()]
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert [ln.split("#")[0].strip() for ln in block] == ["make demo", "make test"]


@pytest.mark.parametrize("doc", ["design.md", "grove-model.md"])
def test_every_repository_path_named_in_a_doc_exists(doc: str) -> None:
    """The docs point at modules for each claim; a moved or renamed module must take the doc along."""
    import re

    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    named = {
        m
        for m in re.findall(r"`([\w./-]+/[\w./-]*)`", text)
        if m.startswith(("grove/", "tests/", "docs/", "benchmarks/", "scripts/", "replays/"))
    }
    assert len(named) >= 8, "the doc names the modules it describes"
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert missing == [], f"docs/{doc} names paths that do not exist: {missing}"


def test_no_docstring_points_outside_the_repository() -> None:
    """Docstrings point at docs/ (DESIGN.md and REFERENCE.md are not in the repository)."""
    cited = [
        str(path.relative_to(ROOT))
        for folder in ("grove", "tests", "benchmarks", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "test_docs.py" and _CITES_OUTSIDE.search(path.read_text(encoding="utf-8"))
    ]
    assert cited == []

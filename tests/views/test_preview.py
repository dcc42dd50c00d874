"""The preview view: the step table and findings as text, and the document for -o json."""

from __future__ import annotations

import copy
import io
from pathlib import Path

from rich.console import Console

from grove.commands.source import fold_recording
from grove.events import kinds
from grove.events.recordings.reader import Recording
from grove.simulate.intent import ChangeTemplate
from grove.simulate.preview import preview
from grove.views.preview import preview_document, render_preview

ROOT = Path(__file__).resolve().parents[2]


def test_preview_renders_steps_and_document() -> None:
    state = fold_recording(Recording(str(ROOT / "replays" / "rolling-update.jsonl")), 5.0)
    template = copy.deepcopy(dict(state.get(kinds.PODCLIQUESET, "prod", "llm-serve")["spec"]["template"]))  # type: ignore[index]
    template["cliques"][0]["spec"]["podSpec"]["containers"][0]["image"] = "example/new:1"
    result = preview(state, [ChangeTemplate("prod", "llm-serve", template)])
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(render_preview(result, 160))
    text = out.getvalue()
    assert "Preview of prod/llm-serve" in text and "prefill 6/6" in text and "No clique drops" in text
    doc = preview_document(result)
    changes = [c for s in doc["steps"] for c in s["changes"]]
    assert "replica 0 updating" in changes and changes[-1] == "update complete"
    assert doc["stepOffsets"] == [s["at"] for s in doc["steps"]]
    assert doc["steps"][-1]["workloads"][0]["health"] == "healthy"

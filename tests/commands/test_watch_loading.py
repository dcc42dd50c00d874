"""``-w`` on a live cluster before every list has arrived: what is loading, per kind, and no report at all."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from grove.commands.source import Scope
from grove.commands.watch import _frame
from grove.events.kinds import ALL_KINDS
from grove.events.model import Listed, SourceHealthChanged, SourceStatus
from grove.reducers.batch import fold
from grove.reducers.state import State

GOLDEN = Path(__file__).resolve().parents[1] / "views" / "golden" / "watch-loading.plain.txt"
LIVE = Scope(namespace=None, context="ctx", origin="live", label="ctx")


def _pcs(name: str) -> dict[str, Any]:
    return {"kind": "PodCliqueSet", "metadata": {"name": name, "namespace": "prod"}, "spec": {"replicas": 1}}


def _loading_state() -> State:
    at = 1_760_000_000.0
    events: list[Any] = [SourceHealthChanged(at, kind, SourceStatus.CONNECTING) for kind in ALL_KINDS]
    events += [
        Listed(at + 1, "PodCliqueSet", (_pcs("a"), _pcs("b"))),
        Listed(at + 1, "ClusterTopologyBinding", ()),
        SourceHealthChanged(at + 1, "Pod", SourceStatus.CONNECTING, "4,500 / ~10,000"),
        SourceHealthChanged(at + 1, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden"),
        SourceHealthChanged(at + 2, "Event", SourceStatus.RECONNECTING, "connection to the server refused"),
    ]
    return fold(events)


def _text(renderable: Any) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _never(state: State, scope: Scope) -> Any:
    raise AssertionError("a report was derived from lists that have not all arrived")


def test_the_first_frame_says_what_is_loading_and_claims_nothing() -> None:
    out = _text(_frame(_loading_state(), LIVE, _never, lambda report, width: report, 100, ALL_KINDS))
    if os.environ.get("GROVE_UPDATE_GOLDEN"):
        GOLDEN.write_text(out, encoding="utf-8")
    assert out == GOLDEN.read_text(encoding="utf-8")
    assert "✓ podcliquesets 2" in out
    assert "pods 4,500 / ~10,000" in out
    assert "healthy" not in out and "not visible" not in out and "0/0" not in out


def test_once_every_list_is_in_the_report_is_shown() -> None:
    state = _loading_state()
    rest = [Listed(state.now + 1, kind, ()) for kind in ALL_KINDS if kind not in state.listed and kind != "Node"]
    done = fold(rest, state)
    out = _text(_frame(done, LIVE, lambda s, scope: "the report", lambda report, width: report, 100, ALL_KINDS))
    assert out.startswith("the report")
    assert "Loading" not in out


def test_a_replay_is_never_loading() -> None:
    replay = Scope(namespace=None, origin="replay", label="rec.jsonl")
    out = _text(_frame(fold([]), replay, lambda s, scope: "the report", lambda r, w: r, 100, ALL_KINDS))
    assert out.startswith("the report")

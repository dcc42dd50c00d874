"""What a live view shows until every list it depends on has arrived: per kind what has come in, and no verdict
(whether it is still loading: grove/reducers/listing.py).

A report derived from half the lists would claim things the tool cannot know yet (``✓ healthy``, ``0/0``, an object
"not visible" that simply has not arrived), so nothing is derived until then.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from grove.events.kinds import KINDS
from grove.reducers.listing import cannot_list, connecting
from grove.reducers.state import State


def kind_progress(state: State, kind: str) -> tuple[str, str, str]:
    """(mark, what, detail) for one kind: ``✓ pods 10,000``, ``… pods 4,500 / ~10,000``, ``⚠ nodes forbidden``."""
    plural = KINDS[kind].plural if kind in KINDS else kind
    source = state.sources.get(kind)
    if kind in state.listed:
        return "✓", f"{plural} {state.count(kind):,}", ""
    if source is None:
        return "…", f"{plural} connecting", ""
    if cannot_list(state, kind):
        return "⚠", f"{plural} {source.status.value}", ""
    if connecting(state, kind):
        return "…", f"{plural} {source.message or 'connecting'}", ""
    return "…", f"{plural} {source.status.value}", source.message


def loading_line(state: State) -> str:
    """The lists still coming, those with progress first, then how many are in, for a title that may be cut."""
    kinds = [kind for kind in KINDS if kind in state.sources]
    coming = [kind_progress(state, k) for k in kinds if k not in state.listed]
    coming.sort(key=lambda p: p[1].endswith("connecting"))  # stable: lists with a count come first
    listed = sum(1 for k in kinds if k in state.listed)
    return "Loading: " + " · ".join([*(what for _, what, _ in coming), f"{listed} of {len(kinds)} lists in"])


_STYLE = {"✓": "green", "⚠": "yellow", "…": "cyan"}


def render_loading(state: State, kinds: Sequence[str]) -> RenderableType:
    """``Loading …`` and one line per kind: its count once listed, else how far its list is."""
    lines: list[RenderableType] = [
        Text("Loading: no health, counts or placement until every list has arrived.", style="bold")
    ]
    for kind in kinds:
        mark, what, detail = kind_progress(state, kind)
        line = Text("  ")
        line.append(f"{mark} ", style=_STYLE[mark])
        line.append(what, style="yellow" if mark == "⚠" else "")
        if detail:
            line.append(f" — {detail}", style="dim")
        lines.append(line)
    return Group(*lines)

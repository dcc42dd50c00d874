"""``!``: every source problem — kinds that are forbidden, not installed, reconnecting or stale — and the odd input
the reducers set aside, with what each one costs the views."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from grove.events.model import SourceStatus
from grove.reducers.derive.reports import SourceNote
from grove.reducers.state import State
from grove.views.common import age
from grove.views.sources import source_line
from grove.views.tui.screens.overlay import Overlay
from grove.views.tui.session import LIVE
from grove.views.tui.widgets.bars import HintBar

_OK = {SourceStatus.LIVE, SourceStatus.REPLAY}


def problems_view(state: State, feed_error: str | None, empty_note: str) -> RenderableType:
    parts: list[RenderableType] = []
    if feed_error:
        parts.append(Text(f"✖ {feed_error}", style="bold red"))
    sources = Table(box=None, pad_edge=False, show_header=True, header_style="bold", expand=True)
    sources.add_column("KIND", no_wrap=True)
    sources.add_column("SOURCE", no_wrap=True)
    sources.add_column("SINCE", no_wrap=True)
    sources.add_column("WHAT IT MEANS")
    bad = 0
    for kind, src in sorted(state.sources.items()):
        ok = src.status in _OK
        bad += 0 if ok or src.status == SourceStatus.CONNECTING else 1
        style = "green" if ok else ("yellow" if src.status != SourceStatus.FORBIDDEN else "bold red")
        meaning = (
            Text("")
            if ok
            else source_line(SourceNote(kind, src.status.value, src.message, src.since))
            if kind != "*"
            else Text(src.message, style="yellow")
        )
        since = src.since if src.since is not None else src.at
        sources.add_row(
            Text(kind if kind != "*" else "(all)"),
            Text(("✓ " if ok else "⚠ ") + src.status.value, style=style),
            Text(age(state.now, since), style="dim"),
            meaning,
        )
    if state.sources:
        parts.append(Text("Sources", style="bold"))
        parts.append(sources)
    else:
        parts.append(Text(f"({empty_note})", style="dim"))
    if state.problems:
        parts.append(Text(""))
        parts.append(Text(f"Input set aside ({len(state.problems)})", style="bold"))
        problems = Table(box=None, pad_edge=False, header_style="bold", expand=True)
        problems.add_column("KIND", no_wrap=True)
        problems.add_column("OBJECT", no_wrap=True)
        problems.add_column("AGO", no_wrap=True)
        problems.add_column("REASON")
        for problem in sorted(state.problems.values(), key=lambda p: (p.kind, p.subject)):
            problems.add_row(problem.kind, problem.subject, age(state.now, problem.at), Text(problem.reason))
        parts.append(problems)
    if not bad and not state.problems and not feed_error:
        parts.insert(0, Text("✓ No source problems.", style="green"))
        parts.insert(1, Text(""))
    return Group(*parts)


class ProblemsScreen(Overlay):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Source problems", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(id="problems")
            yield HintBar([("esc", "close")], help_hint=False)

    def on_mount(self) -> None:
        self.show_state()

    def show_state(self) -> None:
        app = self.arborist
        note = (
            "no source has reported yet"
            if app.session.mode == LIVE
            else "the recording holds no source-health reports: nothing was forbidden or missing while recording"
        )
        self.query_one("#problems", Static).update(problems_view(app.state, app.feed_error, note))

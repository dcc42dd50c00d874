"""``?``: every key of the app, from the same table the screens bind."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from grove.views.tui import keys
from grove.views.tui.screens.overlay import Overlay
from grove.views.tui.widgets.bars import HintBar

COLUMNS_NOTE = (
    "READY ready/desired pods · SCHED scheduled/desired (⧗ gated) · PCSG a/r available/replicas · "
    "PLACEMENT share of each gang's GPUs in its best domain (✖/⚠: a finding names these pods) · "
    "GPUS per product (+N: requested by pods not scheduled yet) · replay starts playing at 8× (--paused, --at, --speed)"
)


def help_view() -> RenderableType:
    parts: list[RenderableType] = []
    for title, entries in keys.HELP_SECTIONS:
        table = Table(box=None, pad_edge=False, show_header=False, expand=False)
        table.add_column("key", style="bold cyan", no_wrap=True, min_width=14)
        table.add_column("what")
        for entry in entries:
            if isinstance(entry, Binding):
                table.add_row(entry.key_display or entry.key, entry.description)
            else:
                table.add_row(entry[0], entry[1])
        parts.append(Text(title, style="bold"))
        parts.append(table)
        parts.append(Text(""))
    parts.append(Text("Columns", style="bold"))
    parts.append(Text(COLUMNS_NOTE, style="dim"))
    return Group(*parts)


class HelpScreen(Overlay):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Arborist keys", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(help_view())
            yield HintBar([("esc", "close"), ("↑/↓", "scroll")], help_hint=False)

"""``g`` in a replay: go to an offset from the start of the recording."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from grove.reducers.fields import parse_duration
from grove.views.tui.widgets.bars import clock_text
from grove.views.tui.widgets.inputs import steady_input


def parse_offset(text: str) -> float | None:
    """``90``, ``90s``, ``2m30s``, ``1h``, ``1:30`` → seconds; None when it is none of these."""
    text = text.strip()
    if not text:
        return None
    if ":" in text:
        head, _, tail = text.rpartition(":")
        try:
            minutes = float(head) if head else 0.0
            seconds = float(tail)
        except ValueError:
            return None
        return minutes * 60 + seconds if seconds >= 0 and minutes >= 0 else None
    try:
        value = float(text)
    except ValueError:
        value = parse_duration(text, -1.0)
    return value if value >= 0 else None


class GotoScreen(ModalScreen[float | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, duration: float) -> None:
        super().__init__()
        self.duration = duration

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt"):
            yield Static(f"Go to offset (0 … {clock_text(self.duration)})", classes="dialog-title")
            yield steady_input(placeholder="e.g. 90, 90s, 2m30s, 1:30", id="offset")
            yield Static("Enter to go, Esc to cancel", id="goto-note", classes="dim")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#offset", Input))

    @on(Input.Submitted, "#offset")
    def _submitted(self, event: Input.Submitted) -> None:
        offset = parse_offset(event.value)
        if offset is None:
            self.query_one("#goto-note", Static).update(f"not an offset: {event.value!r} (try 90s or 1:30)")
            return
        self.dismiss(min(offset, self.duration))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The one-line bars around the panes: header, breadcrumb, replay timeline and key hints.

Each renders to the width it has, dropping the least important parts first, so 80 columns stay readable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from grove.reducers.state import State
from grove.views.common import age, duration
from grove.views.tui.feed import ReplayStatus
from grove.views.tui.rolling import rolling_in, rolling_text
from grove.views.tui.session import LIVE, REPLAY, Session, problem_count, source_state, stale_since

_STATE_STYLE = {
    "live": "bold green",
    "replay": "bold cyan",
    "reconnecting": "bold yellow",
    "stale": "bold yellow",
    "connecting": "bold yellow",
}


WIDE_HEADER = 140  # narrower than this, a rolling update is said in its short form


def _fit(parts: Sequence[tuple[int, Text]], width: int, sep: str = "  ") -> Text:
    """Join the parts (priority, text) that fit, dropping the highest priority numbers first; order is kept."""
    kept = list(parts)
    while kept and sum(t.cell_len for _, t in kept) + len(sep) * (len(kept) - 1) > width:
        worst = max(range(len(kept)), key=lambda i: (kept[i][0], i))
        if kept[worst][0] == 0:
            break
        kept.pop(worst)
    out = Text(no_wrap=True, overflow="ellipsis")
    for i, (_, text) in enumerate(kept):
        if i:
            out.append(sep)
        out.append_text(text)
    out.truncate(width, overflow="ellipsis")
    return out


def _kv(key: str, value: str | None) -> Text:
    text = Text(f"{key} ", style="dim")
    text.append(value or "-")
    return text


def header_text(
    session: Session, state: State, replay: ReplayStatus | None, feed_error: str | None, width: int
) -> Text:
    mode = source_state(state, session.mode)
    status = Text("● ", style=_STATE_STYLE.get(mode, "bold yellow"))
    if feed_error is not None:
        status = Text("● read failed" if session.mode == REPLAY else "● stream failed", style="bold red")
    else:
        status.append(mode, style=_STATE_STYLE.get(mode, "bold yellow"))
        since = stale_since(state) if session.mode == LIVE else None
        if since is not None:
            status.append(f" {age(state.now, since)}", style="yellow")
        if replay is not None:
            status.append(f" {'▶' if replay.playing else '⏸'} {_speed(replay.speed)}", style="cyan")
    problems = problem_count(state)
    parts: list[tuple[int, Text]] = [(0, Text("Arborist", style="bold green"))]
    if session.mode == REPLAY:
        parts.append((2, _kv("replay", os.path.basename(session.label) or session.label)))
    parts.append((3, _kv("ctx", session.context)))
    if session.mode == LIVE:
        parts.append((7, _kv("cluster", session.cluster)))
        parts.append((6, _kv("user", session.user)))
    parts.append((1, _kv("ns", session.namespace or "all")))
    if session.mode == LIVE:
        parts.append((5, _kv("k8s", session.server_version)))
    if state.now:
        parts.append((4, Text(time.strftime("%H:%M:%SZ", time.gmtime(state.now)), style="dim")))
    if problems:
        parts.append((1, Text(f"! {problems} problem{'s' if problems != 1 else ''}", style="bold red")))
    rolling = rolling_text(rolling_in(state, session.namespace), short=width < WIDE_HEADER)
    if rolling is not None:
        parts.append((1, rolling))
    parts.append((0, status))
    return _fit(parts, width)


def _speed(speed: float) -> str:
    return f"{speed:g}×"


def crumbs_text(crumbs: Sequence[tuple[str, bool]], width: int, note: str = "") -> Text:
    """``› a › b › c``: the last crumb bold, crumbs entered automatically (single child) dim."""
    pieces: list[Text] = []
    for i, (label, auto) in enumerate(crumbs):
        last = i == len(crumbs) - 1
        pieces.append(Text(label, style="bold" if last else ("dim italic" if auto else "")))
    note_text = Text(f"  {note}", style="bold magenta") if note else Text("")
    room = max(10, width - note_text.cell_len)
    dropped = False
    while len(pieces) > 1 and sum(p.cell_len + 3 for p in pieces) + (4 if dropped else 0) > room:
        pieces.pop(0)
        dropped = True
    if dropped:
        pieces.insert(0, Text("…", style="dim"))
    out = Text(no_wrap=True, overflow="ellipsis")
    for piece in pieces:
        out.append(" › ", style="dim")
        out.append_text(piece)
    out.truncate(room, overflow="ellipsis")
    out.append_text(note_text)
    return out


REPLAY_HINTS = "   space ⏯  +/- speed  ←/→ step  g go to  G end"


def timeline_text(status: ReplayStatus, width: int) -> Text:
    icon = "■" if status.at_end else ("▶" if status.playing else "⏸")
    head = Text(f"{icon} ", style="bold cyan")
    head.append(f"{_speed(status.speed):>4}", style="cyan")
    tail = Text(f" {clock_text(status.position.offset)} / {clock_text(status.duration)}")
    tail.append(f"  event {status.position.index}/{status.events}", style="dim")
    if status.folding:
        hints = Text("  folding the recording to here…", style="bold yellow")
    else:
        hints = Text(REPLAY_HINTS, style="dim") if width >= 110 else Text("")
    bar_width = max(8, width - head.cell_len - tail.cell_len - hints.cell_len - 2)
    fraction = status.position.offset / status.duration if status.duration else 1.0
    filled = min(bar_width - 1, round(fraction * (bar_width - 1)))
    bar = Text(" ")
    bar.append("━" * filled, style="cyan")
    bar.append("●", style="bold cyan")
    bar.append("─" * (bar_width - filled - 1), style="grey50")
    out = Text(no_wrap=True, overflow="ellipsis")
    for part in (head, bar, tail, hints):
        out.append_text(part)
    out.truncate(width, overflow="ellipsis")
    return out


def clock_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds >= 3600:
        return duration(seconds)
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def hints_text(hints: Sequence[tuple[str, str]], width: int, help_hint: bool = True) -> Text:
    """``key desc`` pairs; the last ones are dropped first (``? help`` is always kept)."""
    items = list(hints)
    tail = [("?", "help")] if help_hint else []

    def build(chosen: Sequence[tuple[str, str]]) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, desc) in enumerate((*chosen, *tail)):
            if i:
                out.append("  ")
            out.append(f" {key} ", style="bold reverse")
            out.append(f" {desc}", style="")
        return out

    while items and build(items).cell_len > width:
        items.pop()
    text = build(items)
    text.truncate(width, overflow="ellipsis")
    return text


class Bar(Widget):
    """A one-line widget whose text is rebuilt for its width on every render."""

    DEFAULT_CSS = """
    Bar { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)

    def text(self, width: int) -> Text:
        return Text("")

    def render(self) -> Text:
        return self.text(self.size.width)


class HeaderBar(Bar):
    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.state: State | None = None
        self.replay: ReplayStatus | None = None
        self.feed_error: str | None = None

    def update_from(self, state: State, replay: ReplayStatus | None, feed_error: str | None) -> None:
        if state is self.state and replay == self.replay and feed_error == self.feed_error:
            return  # a key that changed no state: drawn as it was
        self.state, self.replay, self.feed_error = state, replay, feed_error
        self.refresh()

    def text(self, width: int) -> Text:
        if self.state is None:
            return Text("Arborist", style="bold green")
        return header_text(self.session, self.state, self.replay, self.feed_error, width)


class CrumbBar(Bar):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.crumbs: tuple[tuple[str, bool], ...] = ()
        self.note = ""

    def update_crumbs(self, crumbs: Sequence[tuple[str, bool]], note: str = "") -> None:
        if tuple(crumbs) != self.crumbs or note != self.note:
            self.crumbs, self.note = tuple(crumbs), note
            self.refresh()

    def text(self, width: int) -> Text:
        return crumbs_text(self.crumbs, width, self.note)


class TimelineBar(Bar):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: ReplayStatus | None = None

    def update_status(self, status: ReplayStatus | None) -> None:
        if status != self.status:
            self.status = status
            self.refresh()

    def text(self, width: int) -> Text:
        return timeline_text(self.status, width) if self.status is not None else Text("")


class HintBar(Bar):
    def __init__(self, hints: Sequence[tuple[str, str]], *, help_hint: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hints = tuple(hints)
        self.help_hint = help_hint

    def text(self, width: int) -> Text:
        return hints_text(self.hints, width, self.help_hint)

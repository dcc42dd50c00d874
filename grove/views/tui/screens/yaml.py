"""``y``: the selected object as YAML, syntax highlighted, searchable (``/``, ``n``, ``N``) and scrollable.

Live, it is fetched fresh through the injected provider (on a worker thread); in a replay, or when the fetch fails,
it is the copy in the state (as recorded, or as last watched), and the title says which.
"""

from __future__ import annotations

from typing import ClassVar

import yaml
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from grove.events.recordings.codec import strip_object
from grove.reducers.state import State
from grove.views.tui import keys
from grove.views.tui.messages import YamlLoaded
from grove.views.tui.rows import Ref
from grove.views.tui.screens.base import app_closing
from grove.views.tui.screens.overlay import Overlay
from grove.views.tui.session import LIVE
from grove.views.tui.widgets.bars import HintBar, clock_text
from grove.views.tui.widgets.code_view import CodeView
from grove.views.tui.widgets.inputs import steady_input

THEME = "ansi_dark"


def recorded_yaml(state: State, ref: Ref) -> str | None:
    obj = state.get(ref.kind, ref.namespace, ref.name)
    if obj is None:
        return None
    return str(yaml.safe_dump(strip_object(obj), sort_keys=False, default_flow_style=False, allow_unicode=True))


def find_matches(text: str, query: str) -> list[tuple[int, int, int]]:
    """(line number from 1, start column, end column) of every case-insensitive occurrence."""
    needle = query.lower()
    if not needle:
        return []
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        lowered = line.lower()
        start = lowered.find(needle)
        while start >= 0:
            out.append((number, start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    return out


class YamlScreen(Overlay):
    BINDINGS: ClassVar[list[BindingType]] = list(keys.YAML)

    def __init__(self, ref: Ref, load: bool = True) -> None:
        super().__init__()
        self.ref = ref
        self._open_on_mount = load  # False: built ahead, not opened (nor fetched) until ``reopen``
        self.yaml_text = ""
        self.origin = ""
        self.matches: list[tuple[int, int, int]] = []
        self.current = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(id="yaml-title", classes="dialog-title")
            yield CodeView(lexer="yaml", theme=THEME, id="yaml-body", classes="dialog-body")
            yield steady_input(placeholder="search", id="search")
            yield HintBar(
                [("esc", "close"), ("/", "search"), ("n/N", "next/previous"), ("↑/↓", "scroll")], help_hint=False
            )

    def on_mount(self) -> None:
        if app_closing(self):  # built ahead and pruned before its children were mounted
            return
        if self._open_on_mount:
            self._open()
        else:  # built ahead: laid out on the copy in the state (never fetched), as a first opening will look
            self.query_one("#search", Input).display = False
            self._load_recorded()

    def reopen(self, ref: Ref) -> None:
        """Show ``ref`` afresh: the overlay is kept (installed) between openings, so that opening it again costs no
        compose, styling and first layout."""
        self.ref, self._open_on_mount = ref, True
        self.yaml_text, self.origin, self.matches, self.current = "", "", [], 0
        if self.is_mounted:
            self.query_one("#search", Input).value = ""
            self.query_one("#yaml-body", CodeView).scroll_home(animate=False)
            self._open()

    def _open(self) -> None:
        self.query_one("#search", Input).display = False
        app = self.arborist
        if app.session.mode == LIVE and app.providers.fetch_yaml is not None:
            self.query_one("#yaml-body", CodeView).show("")
            self._set_title("fetching from the API server…")
            self._fetch(self.ref)
        else:
            self._load_recorded()
        self.set_focus(self.query_one("#yaml-body"))

    def _load_recorded(self, why: str = "") -> None:
        app = self.arborist
        text = recorded_yaml(app.state, self.ref)
        if app.session.mode == LIVE:
            origin = "the last watched copy" + (f" ({why})" if why else "")
        else:
            offset = app.replay.position.offset if app.replay is not None else None
            origin = "as recorded" + (f" at {clock_text(offset)}" if offset is not None else "")
        if text is None:
            self._show(f"# {self.ref.label} is not in the state (deleted, or its kind is not watched)\n", origin)
        else:
            self._show(text, origin)

    @work(thread=True, exclusive=True)
    def _fetch(self, ref: Ref) -> None:
        provider = self.arborist.providers.fetch_yaml
        assert provider is not None
        try:
            text = provider(ref.kind, ref.namespace, ref.name)
        except Exception as exc:
            self.post_message(YamlLoaded("", "", error=str(exc) or type(exc).__name__, ref=ref))
            return
        self.post_message(YamlLoaded(text, "fetched from the API server", ref=ref))

    @on(YamlLoaded)
    def _loaded(self, message: YamlLoaded) -> None:
        if message.ref != self.ref:
            return
        if message.error is not None:
            self._load_recorded(f"fetch failed: {message.error}")
        else:
            self._show(message.text, message.origin)

    def _set_title(self, origin: str) -> None:
        title = Text(self.ref.label, style="bold")
        title.append(f"  {origin}", style="dim")
        if self.matches:
            title.append(f"  match {self.current + 1}/{len(self.matches)}", style="bold magenta")
        self.query_one("#yaml-title", Static).update(title)

    def _show(self, text: str, origin: str) -> None:
        self.yaml_text, self.origin = text, origin
        self._redraw()

    def _redraw(self) -> None:
        self.query_one("#yaml-body", CodeView).show(self.yaml_text, self.matches, self.current)
        self._set_title(self.origin)

    def _scroll_to_current(self) -> None:
        if self.matches:
            line = self.matches[self.current][0]
            body = self.query_one("#yaml-body", CodeView)
            body.scroll_to(y=max(0, line - 1 - body.size.height // 3), animate=False)

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        self.set_focus(search)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.matches = find_matches(self.yaml_text, event.value)
        self.current = 0
        self._redraw()
        self._scroll_to_current()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.set_focus(self.query_one("#yaml-body"))

    def action_next_match(self) -> None:
        if self.matches:
            self.current = (self.current + 1) % len(self.matches)
            self._redraw()
            self._scroll_to_current()

    def action_previous_match(self) -> None:
        if self.matches:
            self.current = (self.current - 1) % len(self.matches)
            self._redraw()
            self._scroll_to_current()

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            search.display = False
            self.set_focus(self.query_one("#yaml-body"))
            return
        self.dismiss(None)

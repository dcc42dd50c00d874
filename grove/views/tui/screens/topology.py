"""The topology view (``t``): the binding's levels as a drill-down with GPU bars, the pods of the selected domain,
and the placement findings of the workload it was entered from."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import attrs
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, VerticalScroll
from textual.widgets import DataTable, Input, Static

from grove.events import kinds
from grove.reducers.derive.gpu import node_gpus
from grove.reducers.derive.placement import placement_for
from grove.reducers.state import State
from grove.views.common import ratio_bar, score_text
from grove.views.tui import keys
from grove.views.tui.domains import (
    POD_COLUMNS,
    TopologyLevel,
    TopologyRequest,
    findings_text,
    first_key,
    level_report,
    pods_model,
    topology_level,
)
from grove.views.tui.rows import Ref
from grove.views.tui.screens.base import StateScreen, footer_bars, no_waiting, set_border_title, standard_bars
from grove.views.tui.widgets.inputs import steady_input
from grove.views.tui.widgets.keyed_table import KeyedTable

HINTS = [
    ("↵", "open"),
    ("esc", "up"),
    ("t", "forest"),
    ("a", "all domains"),
    ("tab", "pane"),
    ("y", "yaml"),
    ("/", "filter"),
    ("l", "logs"),
    ("!", "problems"),
    ("q", "quit"),
]


class TopologyScreen(StateScreen):
    BINDINGS: ClassVar[list[BindingType]] = list(keys.TOPOLOGY)
    STACK_BELOW = 150
    AUTO_FOCUS = "#domains"  # on each resume while nothing is focused (see ``compose``: no query at mount)

    def __init__(self, focus: tuple[str, str] | None) -> None:
        super().__init__()
        self.request = TopologyRequest(namespace=self.arborist.session.namespace, focus=focus)
        self.level: TopologyLevel | None = None
        self.memory: dict[tuple[str, ...], str] = {}
        self._pending_select: str | None = None
        self._navigated = False
        self._pods_key: str | None = None  # the domain or node whose pods the pods pane shows
        self._pods_shows: tuple[TopologyRequest, str | None] | None = None  # (request, domain) the pods are of
        self._texts: dict[str, Text] = {}  # what each Static shows

    def reopen(self, focus: tuple[str, str] | None) -> None:
        """Start afresh on ``focus``: the screen is kept (installed) between openings, so that opening it again costs
        no compose, styling and first layout, and its tables are filled once, for the width they already have."""
        self.request = TopologyRequest(namespace=self.arborist.session.namespace, focus=focus)
        self.memory = {}
        self._pending_select = None
        self._navigated = True
        self._pods_key = None
        if self.is_mounted:
            filter_input = self.query_one("#tfilter", Input)
            filter_input.value = ""
            filter_input.display = False
            self.set_focus(self.query_one("#domains", KeyedTable))

    @property
    def filled(self) -> bool:
        """It showed the state and its tables are filled (they wait for their first layout to know their width):
        the next refresh draws all of it."""
        return self.level is not None and all(table.filled for table in self.query(KeyedTable))

    def compose(self) -> ComposeResult:
        yield from standard_bars(self)
        yield Static(id="summary")
        # The widgets are set up here, not by querying them in ``on_mount``: the screen is built ahead
        # (``ArboristApp._build_ahead``), and should the app close meanwhile, Textual prunes the screen before its
        # compose mounts the children (``Widget.mount`` on a pruned node mounts nothing) and still sends it Mount.
        domains = KeyedTable(id="domains")
        domains.on_cursor_moved = self._cursor_moved
        with Container(id="tpanes"):
            yield domains
            yield KeyedTable(id="pods")
        with VerticalScroll(id="findings"):
            yield Static(id="findings-text")
        filter_input = steady_input(
            placeholder="filter domains: type to narrow, Enter to keep, Esc to clear", id="tfilter"
        )
        filter_input.display = False
        yield filter_input
        yield from footer_bars(self, HINTS)

    def prepare(self, state: State, give_way: Callable[[], None] = no_waiting) -> None:
        request, key = self.request, self._pods_key
        give_way()
        node_gpus(state)  # what the level reads, a part at a time (memoised on the state)
        give_way()
        if request.focus is not None:
            placement_for(state, *request.focus)
            give_way()
        level_report(state, request)
        give_way()
        topology_level(state, request)
        give_way()
        pods_model(state, request, key)

    def show_state(self) -> None:
        level = topology_level(self.arborist.state, self.request)
        if level.path != self.request.path:
            self.request = attrs.evolve(self.request, path=level.path)
        self.level = level
        table = self.query_one("#domains", KeyedTable)
        select, self._pending_select = self._pending_select, None
        navigated, self._navigated = self._navigated, False
        table.show(level.columns, level.rows, select=select, reset=navigated, fresh=navigated)
        count = f"{len(level.rows)} of {level.total}" if len(level.rows) != level.total else str(level.total)
        set_border_title(table, f"{level.depth_name.capitalize()}s ({count})")
        crumbs = [("Topology", False), *((c, False) for c in level.crumbs)]
        notes = []
        if self.request.focus is not None and self.request.show_all:
            notes.append("all domains")
        if self.request.filter:
            notes.append(f"filter: {self.request.filter}")
        self.query_one("#crumbs").update_crumbs(crumbs, "  ".join(notes))  # type: ignore[attr-defined]
        self._update_text("#summary", self._summary(level))
        self._update_text("#findings-text", findings_text(level))
        set_border_title(self.query_one("#findings", VerticalScroll), f"Findings ({len(level.findings)})")
        self.refresh_bars()
        self._show_pods()
        if navigated:  # the cursor may not have moved (a kept screen opened again): no highlight would prefetch
            self._prefetch()

    def _update_text(self, selector: str, text: Text) -> None:
        """``Static.update`` lays the screen out again (the text may take other lines): only when it changed."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text)

    def _summary(self, level: TopologyLevel) -> Text:
        """The workload and its placement first (they must survive 80 columns), then the binding's levels."""
        topo = level.topology
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.request.focus is not None:
            text.append(f"{self.request.focus[1]}", style="bold cyan")
            if level.placement is not None:
                text.append("  placement ", style="dim")
                text.append_text(score_text(level.placement.score))
                if level.placement.score is not None:
                    text.append(" ")
                    text.append_text(ratio_bar(level.placement.score, 1.0, 10))
            text.append("   ")
        text.append("binding ", style="dim")
        text.append(topo.binding or "none", style="bold")
        text.append("  " + " → ".join(level.level_names), style="dim")
        if topo.origin in ("missing", "forbidden", "none"):
            text.append(f"   {topo.message}", style="yellow")
        return text

    def _show_pods(self) -> None:
        if self.level is None:
            return
        key = self.query_one("#domains", KeyedTable).current_key
        self._pods_key = key
        title, rows = pods_model(self.arborist.state, self.request, key)
        pods = self.query_one("#pods", KeyedTable)
        shows = (attrs.evolve(self.request, filter=""), key)
        fresh = shows != self._pods_shows  # another domain's pods: filled anew (not diffed), from the top
        pods.show(POD_COLUMNS, rows, reset=fresh, fresh=fresh)
        self._pods_shows = shows
        set_border_title(pods, title)

    @on(DataTable.RowHighlighted, "#domains")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._cursor_moved(event.row_key.value)

    def _cursor_moved(self, key: str | None) -> None:
        """The pods pane follows the cursor (in the frame that shows the cursor's move, see ``on_cursor_moved``)."""
        if key is not None:
            self.memory[self.request.path] = key
        if key != self._pods_key:
            self._show_pods()
        self._prefetch()

    def _below(self, key: str) -> TopologyRequest:
        """The request of the level below the domain row ``key``."""
        return attrs.evolve(self.request, path=(*self.request.path, key[4:]), filter="")

    def _prefetch(self) -> None:
        """Compute the level below the highlighted domain, and the pods of its first row, while the UI is idle."""
        row = self.query_one("#domains", KeyedTable).current_row
        if row is None or not row.drill or not row.key.startswith("dom:"):
            return
        app, state, request = self.arborist, self.arborist.state, self._below(row.key)
        if not app.settled(state):  # memoised on this state only: of no use once a newer state came
            return

        def work() -> None:
            if app.settled(state):
                pods_model(state, request, first_key(topology_level(state, request)))

        app.prefetcher.request([(f"topology:{request}", work)])

    @on(DataTable.RowSelected, "#domains")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(DataTable.RowSelected, "#pods")
    def _pod_selected(self, event: DataTable.RowSelected) -> None:
        self.action_yaml()

    def action_open(self) -> None:
        row = self.query_one("#domains", KeyedTable).current_row
        if row is None:
            return
        if row.drill and row.key.startswith("dom:"):
            below = self._below(row.key)
            self.arborist.prefetcher.join(f"topology:{below}")
            self._go(below.path, self.memory.get(below.path))
        else:
            self.set_focus(self.query_one("#pods", KeyedTable))

    def action_back(self) -> None:
        filter_input = self.query_one("#tfilter", Input)
        if filter_input.display or self.request.filter:
            self._set_filter("", hide=True)
            return
        if not self.request.path:
            self.action_close()
            return
        self._go(self.request.path[:-1], f"dom:{self.request.path[-1]}")

    def _go(self, path: tuple[str, ...], select: str | None) -> None:
        self.request = attrs.evolve(self.request, path=path, filter="")
        self._pending_select = select
        self._navigated = True
        self.query_one("#tfilter", Input).value = ""
        self.set_focus(self.query_one("#domains", KeyedTable))
        self.show_state()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_show_all(self) -> None:
        if self.request.focus is None:
            self.notify("already showing every domain (no workload selected)")
            return
        self.request = attrs.evolve(self.request, show_all=not self.request.show_all, path=())
        self._navigated = True
        self.show_state()

    def action_filter(self) -> None:
        filter_input = self.query_one("#tfilter", Input)
        filter_input.display = True
        self.set_focus(filter_input)

    @on(Input.Changed, "#tfilter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value != self.request.filter:
            self._set_filter(event.value)

    @on(Input.Submitted, "#tfilter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#tfilter", Input).display = False
        self.set_focus(self.query_one("#domains", KeyedTable))

    def _set_filter(self, value: str, hide: bool = False) -> None:
        filter_input = self.query_one("#tfilter", Input)
        if hide:
            filter_input.value = ""
            filter_input.display = False
            self.set_focus(self.query_one("#domains", KeyedTable))
        self.request = attrs.evolve(self.request, filter=value)
        self.show_state()

    def _selected_ref(self) -> Ref | None:
        focused = self.focused
        if isinstance(focused, KeyedTable):
            row = focused.current_row
            return row.ref if row is not None else None
        return None

    def action_yaml(self) -> None:
        ref = self._selected_ref()
        if ref is None:
            self.notify("y: select a node (host level) or a pod", severity="warning")
            return
        self.app.push_screen(self.arborist.yaml_screen(ref))

    def action_logs(self) -> None:
        ref = self._selected_ref()
        if ref is None or ref.kind != kinds.POD:
            self.notify("logs: select a pod in the pods pane (Tab)", severity="warning")
            return
        from grove.views.tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(ref))

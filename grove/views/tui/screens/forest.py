"""The main screen: the resources pane (the forest, one level at a time) and the events pane of the selection."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import attrs
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.widgets import DataTable, Input

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derivation import derivation
from grove.reducers.derive.hierarchy import build_pcs, pcs_names
from grove.reducers.derive.placement import placement_for
from grove.reducers.state import State
from grove.views.tui import forest, keys
from grove.views.tui.domains import TopologyRequest, first_key, pods_model, topology_level
from grove.views.tui.eventlist import ALL, WARNINGS_FIRST, EventList, event_list
from grove.views.tui.eventlist import COLUMNS as EVENT_COLUMNS
from grove.views.tui.forest import ForestRequest, Level, Step
from grove.views.tui.messages import BuildAhead
from grove.views.tui.rows import Ref
from grove.views.tui.screens.base import StateScreen, footer_bars, no_waiting, set_border_title, standard_bars
from grove.views.tui.widgets.inputs import steady_input
from grove.views.tui.widgets.keyed_table import KeyedTable

EVENT_ROWS = derivation(
    "tui.events", reads_clock=True, about="the Kubernetes Event rows of the forest's events pane (ages)"
)

HINTS = [
    ("↵", "open"),
    ("esc", "back"),
    ("tab", "pane"),
    ("t", "topology"),
    ("y", "yaml"),
    ("/", "filter"),
    ("l", "logs"),
    ("e", "events"),
    ("!", "problems"),
    ("q", "quit"),
]


@attrs.frozen
class EventsRequest:
    forest: ForestRequest
    key: str | None
    mode: str


def events_model(state: State, request: EventsRequest) -> EventList:
    def compute() -> EventList:
        return event_list(state, forest.subjects(state, request.forest, request.key), request.mode)

    return state.memoised(EVENT_ROWS, str(request), state.revision, compute)


class ForestScreen(StateScreen):
    BINDINGS: ClassVar[list[BindingType]] = list(keys.FOREST)

    def __init__(self) -> None:
        super().__init__()
        self.request = ForestRequest(namespace=self.arborist.session.namespace)
        self.event_mode = WARNINGS_FIRST
        self.selected: str | None = None  # key of the row under the resources cursor
        self.memory: dict[tuple[Step, ...], str] = {}  # cursor per path, for coming back
        self.level: Level | None = None
        self._pending_select: str | None = None
        self._navigated = False
        self._prefetched: tuple[ForestRequest, str | None, bool] | None = None  # request, row, with the topology

    def compose(self) -> ComposeResult:
        yield from standard_bars(self)
        with Container(id="panes"):
            yield KeyedTable(id="resources")
            yield KeyedTable(id="events")
        yield steady_input(placeholder="filter: type to narrow the list, Enter to keep, Esc to clear", id="filter")
        yield from footer_bars(self, HINTS)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        resources = self.query_one("#resources", KeyedTable)
        resources.on_cursor_moved = self._cursor_moved
        self.set_focus(resources)

    # ------------------------------------------------------------------------------------------ models

    def _events_request(self) -> EventsRequest:
        return EventsRequest(attrs.evolve(self.request, filter=""), self.selected, self.event_mode)

    def prepare(self, state: State, give_way: Callable[[], None] = no_waiting) -> None:
        give_way()
        if not self.request.path:  # the root: one workload at a time (the level reads them all, memoised)
            for namespace, name in pcs_names(state, self.request.namespace):
                build_pcs(state, namespace, name)
                placement_for(state, namespace, name)
                give_way()
        forest.level(state, self.request)
        give_way()
        events_model(state, self._events_request())

    def show_state(self) -> None:
        state = self.arborist.state
        level = forest.level(state, self.request)
        if level.path != self.request.path:  # something on the path went away
            self.request = attrs.evolve(self.request, path=level.path)
        self.level = level
        table = self.query_one("#resources", KeyedTable)
        select, self._pending_select = self._pending_select, None
        navigated, self._navigated = self._navigated, False
        table.show(level.columns, level.rows, select=select, reset=navigated, fresh=navigated)
        set_border_title(table, level.title)
        self.selected = table.current_key
        crumbs = [(c.label, c.auto) for c in level.crumbs]
        note = f"filter: {self.request.filter}" if self.request.filter else ""
        self.query_one("#crumbs").update_crumbs(crumbs, note)  # type: ignore[attr-defined]
        self.refresh_bars()
        self._show_events()
        self._prefetch()

    def _show_events(self) -> None:
        state = self.arborist.state
        model = events_model(state, self._events_request())
        table = self.query_one("#events", KeyedTable)
        # Unfocused, the pane shows its top (the newest warnings); focused, the cursor stays on its event.
        table.show(EVENT_COLUMNS, model.rows, reset=not table.has_focus)
        scope = self._scope_label()
        counts = f"{model.warnings}⚠ {model.normals} normal" if model.warnings else f"{model.normals} normal"
        if self.event_mode == WARNINGS_FIRST:
            tail = counts + (f" (+{model.hidden} with e)" if model.hidden else "")
        else:
            tail = f"all by time · {counts}"
        set_border_title(table, f"Events · {scope} · {tail}")

    def _scope_label(self) -> str:
        if self.level is None:
            return ""
        row = self.query_one("#resources", KeyedTable).current_row
        if row is not None:
            return row.cells[0].plain if row.cells else row.key
        return self.level.crumbs[-1].label

    # ------------------------------------------------------------------------------------------ navigation

    @on(DataTable.RowHighlighted, "#resources")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._cursor_moved(event.row_key.value)

    def _cursor_moved(self, key: str | None) -> None:
        """The events pane follows the cursor (in the frame that shows the cursor's move, see ``on_cursor_moved``)."""
        if key != self.selected:
            self.selected = key
            if key is not None:
                self.memory[self.request.path] = key
            self._show_events()
            self._prefetch()

    def _prefetch(self) -> None:
        """Compute what Enter and ``t`` would open from the highlighted row while the UI is idle (once per row: not
        again for every state, as the level below is carried over from state to state). The topology is not carried
        over: it is asked for once a state is settled, which may come after the row was first shown (the first
        states of a start), and then the screens are built ahead."""
        request, key = self.request, self.selected
        state = self.arborist.state
        settled = self.arborist.settled(state)
        done = self._prefetched
        if done is not None and done[:2] == (request, key) and (done[2] or not settled):
            return
        self._prefetched = (request, key, settled)
        tasks: list[tuple[str, Callable[[], object]]] = []
        row = self.query_one("#resources", KeyedTable).current_row
        if row is not None and row.drill and key is not None:
            tasks.append((f"forest:{request}:{key}", lambda: forest.drill(state, request, key)))
        topology = self.topology_request()
        app = self.arborist

        def topology_work() -> None:
            if app.settled(state):  # the topology is not carried over: of no use once a newer state came
                pods_model(state, topology, first_key(topology_level(state, topology)))
                if app.build_ahead:
                    app.post_message(BuildAhead(state))

        if settled:
            tasks.append((f"topology:{topology}", topology_work))
        app.prefetcher.request(tasks)

    @on(DataTable.RowSelected, "#resources")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(DataTable.RowSelected, "#events")
    def _event_selected(self, event: DataTable.RowSelected) -> None:
        self.action_yaml()

    def action_open(self) -> None:
        table = self.query_one("#resources", KeyedTable)
        row = table.current_row
        if row is None:
            return
        if not row.drill:
            if row.ref is not None:
                self._open_yaml(row.ref)
            return
        self.arborist.prefetcher.join(f"forest:{self.request}:{row.key}")
        path = forest.drill(self.arborist.state, self.request, row.key)
        self._go(path, self.memory.get(path))

    def action_back(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.display or self.request.filter:
            self._clear_filter()
            return
        if not self.request.path:
            return
        path, key = forest.back(self.request.path)
        self._go(path, key)

    def _go(self, path: tuple[Step, ...], select: str | None) -> None:
        self.request = attrs.evolve(self.request, path=path, filter="")
        self._pending_select = select
        self._navigated = True
        self.query_one("#filter", Input).value = ""
        self.set_focus(self.query_one("#resources", KeyedTable))
        self.show_state()

    # ------------------------------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.display = True
        self.set_focus(filter_input)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value != self.request.filter:
            self.request = attrs.evolve(self.request, filter=event.value)
            self.show_state()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        filter_input = self.query_one("#filter", Input)
        if not event.value:
            filter_input.display = False
        self.set_focus(self.query_one("#resources", KeyedTable))

    def _clear_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.value = ""
        filter_input.display = False
        self.request = attrs.evolve(self.request, filter="")
        self.set_focus(self.query_one("#resources", KeyedTable))
        self.show_state()

    # ------------------------------------------------------------------------------------------ other keys

    def action_events_mode(self) -> None:
        self.event_mode = ALL if self.event_mode == WARNINGS_FIRST else WARNINGS_FIRST
        self._show_events()

    def selected_ref(self) -> Ref | None:
        focused = self.focused
        if isinstance(focused, KeyedTable):
            row = focused.current_row
            if row is not None and row.ref is not None:
                return row.ref
            if focused.id == "events":
                return None
        return self.level.subject if self.level is not None else None

    def action_yaml(self) -> None:
        ref = self.selected_ref()
        if ref is None:
            self.notify("nothing to show: this row is not a Kubernetes object", severity="warning")
            return
        self._open_yaml(ref)

    def _open_yaml(self, ref: Ref) -> None:
        self.app.push_screen(self.arborist.yaml_screen(ref))

    def action_logs(self) -> None:
        ref = self.selected_ref()
        if ref is None or ref.kind != kinds.POD:
            self.notify("logs: select a pod first (drill into a clique)", severity="warning")
            return
        from grove.views.tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(ref))

    def topology_request(self) -> TopologyRequest:
        """What ``t`` opens: the topology of the PCS the level is inside, or of the highlighted PCS."""
        focus = self.level.pcs if self.level is not None else None
        row = self.query_one("#resources", KeyedTable).current_row
        if focus is None and row is not None and row.key.startswith("pcs:"):
            ns, _, name = row.key[4:].partition("/")
            focus = (ns, name)
        return TopologyRequest(namespace=self.arborist.session.namespace, focus=focus)

    def action_metrics(self) -> None:
        from grove.views.tui.screens.metrics import MetricsScreen

        focus = self.topology_request().focus
        if focus is None:
            self.notify("Select a PodCliqueSet first (its metrics are per role).")
            return
        self.app.push_screen(MetricsScreen(*focus))

    def _scale_target(self) -> Ref | None:
        """The highlighted PodCliqueSet, scaling group or clique; else the one the level shows; else its PCS."""
        scalable = (kinds.PODCLIQUESET, kinds.PODCLIQUESCALINGGROUP, kinds.PODCLIQUE)
        row = self.query_one("#resources", KeyedTable).current_row
        if row is not None and row.ref is not None and row.ref.kind in scalable:
            return row.ref
        if self.level is not None and self.level.subject is not None and self.level.subject.kind in scalable:
            return self.level.subject
        focus = self.topology_request().focus
        return Ref(kinds.PODCLIQUESET, *focus) if focus is not None else None

    def action_scale(self) -> None:
        desk = self.arborist.providers.changes
        target = self._scale_target()
        if desk is None:
            self.notify("scale: changes are not available here", severity="warning")
            return
        if target is None:
            self.notify("scale: select a PodCliqueSet, a scaling group or a standalone clique", severity="warning")
            return
        from grove.views.tui.screens.change import ChangeScreen

        obj = self.arborist.state.get(target.kind, target.namespace, target.name)
        current = f.integer(f.get(obj, "spec", "replicas"), 1) if obj is not None else None
        self.app.push_screen(ChangeScreen(desk, "scale", target, current=current))

    def action_restart(self) -> None:
        desk = self.arborist.providers.changes
        focus = self.topology_request().focus
        if desk is None:
            self.notify("restart: changes are not available here", severity="warning")
            return
        if focus is None:
            self.notify("restart: select a PodCliqueSet first", severity="warning")
            return
        from grove.views.tui.screens.change import ChangeScreen

        role = None
        row = self.query_one("#resources", KeyedTable).current_row
        if row is not None and row.ref is not None and row.ref.kind == kinds.PODCLIQUE:
            clique = self.arborist.state.get(kinds.PODCLIQUE, row.ref.namespace, row.ref.name)
            role = f.text(f.get(clique, "spec", "roleName")) or None
        self.app.push_screen(ChangeScreen(desk, "restart", Ref(kinds.PODCLIQUESET, *focus), role=role))

    def action_topology(self) -> None:
        request = self.topology_request()
        self.arborist.prefetcher.join(f"topology:{request}")
        self.app.push_screen(self.arborist.topology_screen(request.focus))

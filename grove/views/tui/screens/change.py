"""``s`` and ``R``: the scale and restart dialogs — the target, the preview of what Grove will do, Confirm / Cancel.

The plan (built, previewed and later written by the injected ``ChangeDesk``) is computed on a worker thread: when
the dialog opens and, for a scale, whenever the number typed changes. Confirm writes the plan on screen, nothing
else; Esc or Cancel writes nothing. A refusal stays in the dialog as the CLI's one line; a 409 previews again from the
newest state and asks again. On a recording the preview is shown and Confirm is not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Static

from grove.views.preview import render_preview
from grove.views.tui.changes import RESTART, SCALE, ChangeDesk, ChangePlan, Outcome, summary_lines
from grove.views.tui.rows import Ref
from grove.views.tui.widgets.bars import HintBar
from grove.views.tui.widgets.inputs import steady_input

if TYPE_CHECKING:
    from grove.views.tui.app import ArboristApp

RETYPE_WAIT = 0.3  # seconds after the last key typed before the preview is computed again
MAX_REPLICAS = 1000


def parse_replicas(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_REPLICAS else None


class ChangeScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel: nothing written"),
        Binding("enter", "confirm", "confirm", show=False),  # the restart dialog (the scale one: its input's Enter)
    ]

    def __init__(self, desk: ChangeDesk, verb: str, target: Ref, current: int | None = None,
                 role: str | None = None) -> None:  # fmt: skip
        super().__init__()
        self.desk = desk
        self.verb = verb
        self.target = target
        self.current = current
        self.role = role
        self.plan: ChangePlan | None = None
        self.busy = False  # a preview or a write is being computed
        self.outcome: Outcome | None = None
        self._asked = 0  # sequence of preview requests: a late answer to an older one is dropped
        self._retype: Timer | None = None
        self._again_on_next_state = False  # after a 409: the newest state may not have come yet

    @property
    def arborist(self) -> ArboristApp:
        return cast("ArboristApp", self.app)

    # ------------------------------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog change"):
            yield Static(self._title(), classes="dialog-title", id="change-title")
            if self.verb == SCALE:
                with Horizontal(id="replicas-row"):
                    yield Static(f"replicas {self.current if self.current is not None else '?'} → ",
                                 id="replicas-label")  # fmt: skip
                    field = steady_input(placeholder="new count", id="replicas")
                    field.restrict = r"[0-9]*"
                    yield field
            with VerticalScroll(classes="dialog-body", id="change-body"):
                yield Static(Text("previewing…", style="dim"), id="change-preview")
            yield Static("", id="change-note")
            with Horizontal(id="change-buttons"):
                yield Button("Confirm", id="confirm", variant="warning", compact=True, disabled=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield HintBar(self._hints(), help_hint=False)

    def _title(self) -> str:
        label = self.target.label
        if self.verb == RESTART:
            which = f"role {self.role}" if self.role else "every role"
            return f"Restart {label} ({which})"
        return f"Scale {label}"

    def _hints(self) -> list[tuple[str, str]]:
        if self.desk.read_only is not None:
            return [("esc", "close"), ("↑/↓", "scroll")] if self.verb == RESTART else [("esc", "close")]
        return [("enter", "confirm"), ("esc", "cancel"), ("tab", "next")]

    def on_mount(self) -> None:
        if self.verb == SCALE:
            field = self.query_one("#replicas", Input)
            with field.prevent(Input.Changed):
                field.value = str(self.current) if self.current is not None else ""
            field.cursor_position = len(field.value)  # backspace then a digit types the new count, as in a shell
            self.set_focus(field)
        else:
            self.set_focus(self.query_one("#change-body"))  # ↑/↓ scroll the steps, Enter confirms
        if self.desk.read_only is not None:
            self._note(Text(f"replay: {self.desk.read_only}", style="bold yellow"))
        self._ask()

    # ------------------------------------------------------------------------------------------ the plan

    def _asked_replicas(self) -> int | None:
        if self.verb != SCALE:
            return None
        return parse_replicas(self.query_one("#replicas", Input).value)

    def _ask(self) -> None:
        """Compute the plan for what the dialog shows now, on a worker thread."""
        self._asked += 1
        asked = self._asked
        state = self.arborist.state
        desk, target, role = self.desk, self.target, self.role
        replicas = self._asked_replicas()
        if self.verb == SCALE and replicas is None:
            self.plan = None
            self._show_body(Text(f"type a number of replicas (0 to {MAX_REPLICAS})", style="yellow"))
            self._set_confirm()
            return
        self.busy = True
        self._set_confirm()

        def work() -> None:
            try:
                if self.verb == SCALE:
                    assert replicas is not None
                    plan = desk.scale(state, target, replicas)
                else:
                    plan = desk.restart(state, target, role)
            except Exception as exc:  # a bug, not the user's: said in the dialog rather than hang in "previewing"
                why = f"no preview: {type(exc).__name__}: {exc}"
                plan = ChangePlan(self.verb, target, self._title(), current=self.current, replicas=replicas, error=why)
            self.app.call_from_thread(self._planned, asked, plan)

        self.run_worker(work, thread=True, group="plan", exit_on_error=False)

    def _planned(self, asked: int, plan: ChangePlan) -> None:
        if asked != self._asked:
            return
        self.busy = False
        self.plan = plan
        self._show_body(self._body(plan))
        self._set_confirm()

    def _body(self, plan: ChangePlan) -> RenderableType:
        parts: list[RenderableType] = [*summary_lines(plan)]
        if plan.preview is not None:
            width = max(40, self.query_one("#change-body").size.width - 2)
            parts += [Text(""), render_preview(plan.preview, width)]
        return Group(*parts)

    def _show_body(self, body: RenderableType) -> None:
        self.query_one("#change-preview", Static).update(body)

    def _note(self, text: Text) -> None:
        self.query_one("#change-note", Static).update(text)

    def _set_confirm(self) -> None:
        ready = not self.busy and self.plan is not None and self.plan.confirmable and self.desk.read_only is None
        self.query_one("#confirm", Button).disabled = not ready

    def show_state(self) -> None:
        """A new state: after a 409, the preview is made again from it (the object as it is now)."""
        if self._again_on_next_state and not self.busy:
            self._again_on_next_state = False
            self._ask()

    # ------------------------------------------------------------------------------------------ keys

    @on(Input.Changed, "#replicas")
    def _typed(self, event: Input.Changed) -> None:
        if self._retype is not None:
            self._retype.stop()
        self._asked += 1  # what is being computed no longer matches the input
        self.busy = True
        self._set_confirm()
        self._retype = self.set_timer(RETYPE_WAIT, self._ask)

    @on(Input.Submitted, "#replicas")
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self, event: Button.Pressed) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        plan = self.plan
        if self.desk.read_only is not None:
            self._note(Text(f"replay: {self.desk.read_only}", style="bold yellow"))
            return
        if self.busy or plan is None:
            self._note(Text("the preview is not ready yet: confirm once it is shown", style="yellow"))
            return
        if not plan.confirmable:
            self._note(Text(plan.error or plan.nothing or "nothing to confirm", style="yellow"))
            return
        self.busy = True
        self._set_confirm()
        self._note(Text("writing (server dry run first)…", style="dim"))
        desk = self.desk

        def work() -> None:
            try:
                outcome = desk.write(plan)
            except Exception as exc:  # a bug: the desk answers every refusal itself
                outcome = Outcome(False, (f"not written: {type(exc).__name__}: {exc}",))
            self.app.call_from_thread(self._written, outcome)

        self.run_worker(work, thread=True, group="write", exit_on_error=False)

    def _written(self, outcome: Outcome) -> None:
        self.busy = False
        self.outcome = outcome
        if outcome.written and not outcome.conflict:
            self.app.notify("\n".join(outcome.lines), title=self.plan.title if self.plan else "", timeout=8)
            self.dismiss(None)
            return
        self._note(Text(" · ".join(outcome.lines), style="bold red" if not outcome.conflict else "bold yellow"))
        if outcome.conflict:
            self._again_on_next_state = True
            self._ask()
        else:
            self._set_confirm()

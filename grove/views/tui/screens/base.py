"""What the app's screens share: access to the app's state and session, the bars, and a narrow-layout class."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget

from grove.reducers.state import State
from grove.views.tui import frames
from grove.views.tui.widgets.bars import CrumbBar, HeaderBar, HintBar, TimelineBar

if TYPE_CHECKING:
    from grove.views.tui.app import ArboristApp


def no_waiting() -> None:
    """``give_way`` when nothing is to be waited for (see ``StateScreen.prepare``)."""


def app_closing(screen: Screen[Any]) -> bool:
    """The app is shutting down: Textual prunes the screen stack, and a screen built ahead whose compose had not
    mounted its children yet gets none (``Widget.mount`` on a pruned node mounts nothing) but still receives Mount
    and ScreenResume. Nothing is to be shown then; a handler that queries its widgets would raise ``NoMatches``."""
    return not screen.app.is_running


def set_border_title(widget: Widget, title: str) -> None:
    """Textual repaints the whole widget whenever its border title is set, even to the same text: a table refreshed
    at every state would be drawn whole (not only its changed rows) for a title that did not change."""
    if widget.border_title != title:
        widget.border_title = title


class StateScreen(Screen[None]):
    """A screen that shows the app's state; ``prepare`` runs on the feed's thread, ``show_state`` on the UI's."""

    STACK_BELOW = 180  # narrower than this, the panes stack vertically (class ``narrow``)

    @property
    def arborist(self) -> ArboristApp:
        return cast("ArboristApp", self.app)

    @property
    def _update_timer(self) -> Timer:
        return frames.update_timer(self) or super()._update_timer

    def prepare(self, state: State, give_way: Callable[[], None] = no_waiting) -> None:
        """Compute (and memoise on ``state``) the models ``show_state`` will ask for; no widget access here.

        Runs on the feed's thread, in steps with ``give_way()`` between them: it waits while the UI handles a key
        (the two threads share one interpreter, so a key would otherwise take about twice as long)."""

    def show_state(self) -> None:
        """Apply ``self.arborist.state`` to the widgets."""

    def refresh_bars(self) -> None:
        app = self.arborist
        for header in self.query(HeaderBar):
            header.update_from(app.state, app.replay, app.feed_error)
        for timeline in self.query(TimelineBar):
            timeline.update_status(app.replay)

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < self.STACK_BELOW, "narrow")  # before the first layout, not after it

    def on_screen_resume(self) -> None:
        if app_closing(self):
            return
        if not isinstance(self, ModalScreen):
            self.arborist.set_preparer(self)
        self.show_state()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < self.STACK_BELOW, "narrow")


def standard_bars(screen: StateScreen) -> tuple[HeaderBar, CrumbBar]:
    return HeaderBar(screen.arborist.session, id="header"), CrumbBar(id="crumbs")


def footer_bars(screen: StateScreen, hints: list[tuple[str, str]]) -> list[TimelineBar | HintBar]:
    bars: list[TimelineBar | HintBar] = []
    if screen.arborist.replay is not None:
        bars.append(TimelineBar(id="timeline"))
    bars.append(HintBar(hints, id="hints"))
    return bars

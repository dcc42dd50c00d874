"""Arborist: the Textual app over the event stream (live) or a recording (replay).

The app holds the newest ``State`` and shows it through its screens (forest, topology) and overlays (YAML, logs,
problems, help). States arrive as ``StateChanged`` messages from the feed's thread, which has already prepared the
view models the visible screen needs (memoised on the state), so the UI thread only applies keyed diffs.
Everything that does I/O (the stream, fetching YAML, pod logs) is injected by ``grove.commands.tui``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from rich.console import RenderableType
from textual import events, on
from textual.app import App
from textual.binding import BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from grove.reducers.state import State
from grove.views.tui import keys, textual_compat
from grove.views.tui.feed import Feed, LiveFeed, ReplayFeed, ReplayStatus
from grove.views.tui.messages import BuildAhead, FeedFailed, StateChanged
from grove.views.tui.prefetch import Prefetcher
from grove.views.tui.screens.base import StateScreen
from grove.views.tui.screens.forest import ForestScreen
from grove.views.tui.screens.goto import GotoScreen
from grove.views.tui.screens.help import HelpScreen
from grove.views.tui.screens.overlay import ShowsState
from grove.views.tui.screens.problems import ProblemsScreen
from grove.views.tui.session import REPLAY, Providers, Session

if TYPE_CHECKING:
    from grove.views.tui.rows import Ref
    from grove.views.tui.screens.topology import TopologyScreen
    from grove.views.tui.screens.yaml import YamlScreen

FOLDING_HINT_AFTER = 0.25  # seconds a seek may take before the timeline says it is still folding
HANDOVER_WAIT = 0.5  # seconds the feed waits for the UI to draw a state before it goes on anyway
INPUT_WAIT = 0.25  # seconds the feed gives way at most to a key the UI is handling
AHEAD_REFRESHES = 4  # refreshes a screen built ahead may take to be laid out, filled for its size and drawn
AHEAD_REFRESH_WAIT = 5.0  # seconds to wait for one of them: the app holds its queue meanwhile (keys, states, exit)
_REPLAY_ACTIONS = {"toggle_play", "faster", "slower", "step", "goto", "end"}
# Building ahead keeps what a hidden screen draws from the terminal by overriding ``App._display`` (internal); on a
# Textual without it as ``textual_compat`` declares it, screens are built on first use.
_CAN_BUILD_AHEAD = textual_compat.available("build_ahead")


class ArboristApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("arborist.tcss"))
    TITLE = "Arborist"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [*keys.GLOBAL, *keys.REPLAY]

    def __init__(self, session: Session, feed: Feed, providers: Providers | None = None) -> None:
        super().__init__()
        self.session = session
        self.feed = feed
        self.providers = providers or Providers()
        self.state: State
        self.replay: ReplayStatus | None = None
        self.feed_error: str | None = None
        self._preparer: StateScreen | None = None
        self.prefetcher = Prefetcher()  # what the next key is likely to open, computed while the UI is idle
        self._taken = threading.Event()  # the UI drew the last state handed over
        self._taken.set()
        self._no_input = threading.Event()  # no key is being handled (set again once the key's frame is drawn)
        self._no_input.set()
        self._topology: TopologyScreen | None = None
        self._yaml: YamlScreen | None = None
        self.build_ahead = _CAN_BUILD_AHEAD  # build the topology screen and YAML overlay once idle after start
        self._hidden: Screen[Any] | None = None  # the screen being built ahead: what it draws is not displayed
        self.state, self.replay = feed.initial()

    # ------------------------------------------------------------------------------------------ the stream

    def on_mount(self) -> None:
        self.push_screen(ForestScreen())
        self.feed.start(self._deliver, self._failed)

    def on_unmount(self) -> None:
        gc.enable()  # a key's frame that never came
        self.feed.stop()
        self.prefetcher.stop()

    def _deliver(self, state: State, status: ReplayStatus | None) -> None:
        """On the feed's thread: prepare what the visible screen will ask for, then hand the state over.

        Returns once the UI drew it (or after ``HANDOVER_WAIT``). Preparing the next state while the UI applies and
        draws this one gains nothing: both run Python, one at a time, so each would take about twice as long and an
        event would reach the screen later; and states a newer one replaces before they are shown would take CPU
        from the UI.
        """
        preparer = self._preparer
        if preparer is not None:
            with contextlib.suppress(Exception):  # the UI thread computes (and reports) it again
                preparer.prepare(state, self._give_way)
        self._taken.clear()
        self.post_message(StateChanged(state, status))
        self._taken.wait(HANDOVER_WAIT)

    def _give_way(self) -> None:
        """On the feed's thread, between steps of preparing a state: wait while the UI handles a key."""
        self._no_input.wait(INPUT_WAIT)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            # Until the frame that shows the key's effect: the feed gives way, and the cyclic garbage collector
            # waits (a pass over the young objects of a 10,000-pod state takes 15-45 ms, a frame's worth).
            self._no_input.clear()
            gc.disable()
            self.call_after_refresh(self._key_drawn)
        await super().on_event(event)

    def _key_drawn(self) -> None:
        gc.enable()
        self._no_input.set()

    def _failed(self, error: BaseException) -> None:
        self.post_message(FeedFailed(str(error) or type(error).__name__))

    def settled(self, state: State) -> bool:
        """``state`` is the newest there is (live: nothing folded since; replay: paused), so work memoised on it
        now will still be of use when the next key comes."""
        if self.state is not state:
            return False
        if isinstance(self.feed, LiveFeed):
            return self.feed.state is state
        return not self.feed.status().playing

    def set_preparer(self, screen: StateScreen | None) -> None:
        self._preparer = screen

    @on(StateChanged)
    def _state_changed(self, message: StateChanged) -> None:
        self.call_after_refresh(self._taken.set)  # once the screen up by then is refreshed (or idle: nothing changed)
        self.state = message.state
        if message.replay is not None:
            self.replay = message.replay
        self.refresh_screens()

    @on(FeedFailed)
    def _feed_failed(self, message: FeedFailed) -> None:
        what = "the replay stopped at a line it cannot read" if self.session.mode == REPLAY else "the live stream ended"
        self.feed_error = f"{what}: {message.error}"
        self.notify(self.feed_error, severity="error", timeout=10)
        self.refresh_screens()

    @on(BuildAhead)
    async def _build_ahead(self, message: BuildAhead) -> None:
        """Build the topology screen and the YAML overlay before their first use (compose, styles, first layout,
        tables filled for their width, first drawing) so that the first ``t`` and ``y`` only reopen them.

        Each is pushed, drawn and popped while this handler holds the app's queue: keys and states wait (0.1-0.2 s
        on 10,000 pods, once per screen and session), so none reaches a screen that is not shown, and none of its
        frames reaches the terminal (``_display``). Only from the forest (nothing above it), on a settled state
        (the topology is memoised on it).
        """
        if not self.build_ahead or self._hidden is not None or not self.settled(message.state):
            return
        forest = self.screen
        if not isinstance(forest, ForestScreen):  # another screen or an overlay is up: the next prefetch will do
            return
        if self._topology is None:
            await self._draw_hidden(self.topology_screen(forest.topology_request().focus))
            self.post_message(BuildAhead(message.state))  # the overlay next, after the keys that came meanwhile
            return
        self.build_ahead = False
        ref = forest.selected_ref()
        if self._yaml is None and ref is not None:
            await self._draw_hidden(self.yaml_screen(ref, load=False))

    @property
    def building_ahead(self) -> bool:
        """A screen is being built ahead: it is ``self.screen`` meanwhile, though what is displayed is the one below."""
        return self._hidden is not None

    async def _draw_hidden(self, screen: Screen[Any]) -> None:
        """Put ``screen`` up, let it lay out, fill its tables and draw, then take it down (it stays installed)."""
        self._hidden = screen
        try:
            await self.push_screen(screen)
            for _ in range(AHEAD_REFRESHES):
                filled = getattr(screen, "filled", True)  # before this refresh: drawn by it
                try:
                    await asyncio.wait_for(screen.wait_for_refresh(), AHEAD_REFRESH_WAIT)
                except TimeoutError:  # the screen stopped (the app is closing): the refresh would never come
                    break
                if filled:
                    break
            await self.pop_screen()
        finally:
            self._hidden = None

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        if self._hidden is not None:  # a screen built ahead: drawn, not displayed
            return
        super()._display(screen, renderable)

    def refresh_screens(self) -> None:
        """The topmost full screen and the overlays above it follow the state; the rest catch up on resume."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ShowsState):
                screen.show_state()
            if not isinstance(screen, ModalScreen):
                break

    # ------------------------------------------------------------------------------------------ global keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _REPLAY_ACTIONS:
            if not isinstance(self.feed, ReplayFeed):
                return False
            if action == "step" and (isinstance(self.focused, Input) or isinstance(self.screen, ModalScreen)):
                return False
        return True

    def topology_screen(self, focus: tuple[str, str] | None) -> TopologyScreen:
        """The topology screen, opened on ``focus``: made once and kept installed, so ``t`` opens it again as it is
        (composed, styled, laid out) rather than build a new one."""
        from grove.views.tui.screens.topology import TopologyScreen

        screen = self._topology
        if screen is None:
            screen = self._topology = TopologyScreen(focus)
            self.install_screen(screen, name="topology")
        else:
            screen.reopen(focus)
        return screen

    def yaml_screen(self, ref: Ref, load: bool = True) -> YamlScreen:
        """The YAML overlay, opened on ``ref``: made once and kept installed, as the topology screen is (made with
        ``load=False``, it shows the copy in the state and fetches nothing until opened)."""
        from grove.views.tui.screens.yaml import YamlScreen

        screen = self._yaml
        if screen is None:
            screen = self._yaml = YamlScreen(ref, load=load)
            self.install_screen(screen, name="yaml")
        else:
            screen.reopen(ref)
        return screen

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_problems(self) -> None:
        if not isinstance(self.screen, ProblemsScreen):
            self.push_screen(ProblemsScreen())

    def _replay_feed(self) -> ReplayFeed | None:
        return self.feed if isinstance(self.feed, ReplayFeed) else None

    def _after_control(self) -> None:
        feed = self._replay_feed()
        if feed is not None:
            asked = self.replay = feed.status()
            self.refresh_screens()
            self.set_timer(FOLDING_HINT_AFTER, lambda: self._still_folding(asked))

    def _still_folding(self, asked: ReplayStatus) -> None:
        """No state has come since the control that asked for ``asked``: the timeline says it is on its way."""
        if self.replay is asked:
            self.replay = attrs.evolve(asked, folding=True)
            self.refresh_screens()

    def action_toggle_play(self) -> None:
        feed = self._replay_feed()
        if feed is not None:
            feed.toggle()
            self._after_control()

    def action_faster(self) -> None:
        feed = self._replay_feed()
        if feed is not None:
            feed.faster()
            self._after_control()

    def action_slower(self) -> None:
        feed = self._replay_feed()
        if feed is not None:
            feed.slower()
            self._after_control()

    def action_step(self, delta: int) -> None:
        feed = self._replay_feed()
        if feed is not None:
            feed.step(delta)
            self._after_control()

    def action_end(self) -> None:
        feed = self._replay_feed()
        if feed is not None:
            feed.end()
            self._after_control()

    def action_goto(self) -> None:
        feed = self._replay_feed()
        if feed is None or isinstance(self.screen, GotoScreen):
            return

        def seek(offset: float | None) -> None:
            if offset is not None:
                feed.seek(offset)
                self._after_control()

        self.push_screen(GotoScreen(feed.timeline.duration), seek)

"""Messages the app posts to itself from the feed and worker threads."""

from __future__ import annotations

from textual.message import Message

from grove.reducers.state import State
from grove.views.tui.feed import ReplayStatus


class StateChanged(Message):
    """A newer state is ready. Replaces any older one still in the queue, so bursts collapse to the newest state."""

    def __init__(self, state: State, replay: ReplayStatus | None) -> None:
        super().__init__()
        self.state = state
        self.replay = replay

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateChanged)


class FeedFailed(Message):
    """The feed stopped on an error: the live stream ended, or a replay reached a line it cannot read (shown in the
    header and the problems pane)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class LogLines(Message):
    """Lines read from a pod's log by the logs overlay's worker."""

    def __init__(self, generation: int, lines: list[str], ended: str | None = None) -> None:
        super().__init__()
        self.generation = generation
        self.lines = lines
        self.ended = ended


class YamlLoaded(Message):
    """The YAML overlay's text, fetched on a worker thread."""

    def __init__(self, text: str, origin: str, error: str | None = None, ref: object = None) -> None:
        super().__init__()
        self.text = text
        self.origin = origin
        self.error = error
        self.ref = ref  # what was fetched (the overlay is reused: a late answer for another object is dropped)


class BuildAhead(Message):
    """The topology of the workload under the cursor is computed for ``state`` (on the prefetch thread): the app may
    now build the screens a first ``t`` and ``y`` would otherwise build (see ``ArboristApp._build_ahead``)."""

    def __init__(self, state: State) -> None:
        super().__init__()
        self.state = state

"""The states of a bundled recording, every so many events: the walk that derivation-equality tests take."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from grove.events.recordings.reader import Recording
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

REPLAYS = Path(__file__).resolve().parents[2] / "replays"
RECORDINGS = sorted(p.stem for p in REPLAYS.glob("*.jsonl"))


def states_every(recording: str, step: int) -> Iterator[State]:
    """The state after event 0, ``step``, 2·``step``… of ``replays/<recording>.jsonl``."""
    state = empty_state()
    for i, event in enumerate(Recording(REPLAYS / f"{recording}.jsonl").events()):
        state = reduce(state, event)
        if i % step == 0:
            yield state

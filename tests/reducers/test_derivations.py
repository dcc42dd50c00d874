"""Every derivation memoised on a state is declared (``grove.reducers.derivation``), and each declaration holds: one
declared clock-free gives the same value when only the clock moves, which is what lets Arborist carry it over a tick."""

from __future__ import annotations

from pathlib import Path

import pytest

from grove.commands.source import fold_recording
from grove.events.recordings.reader import Recording
from grove.reducers import carryover, derivation
from grove.reducers.derive.hierarchy import pcs_names
from grove.reducers.derive.metrics_report import metrics_report
from grove.reducers.derive.reports import health_report, status_report, topology_report
from grove.reducers.derive.rollout import rollout_for
from grove.reducers.state import State
from grove.views.tui import domains, forest, rolling
from grove.views.tui.screens import forest as forest_screen

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = sorted((ROOT / "replays").glob("*.jsonl"))
HOUR = 3600.0


def _derive_everything(state: State) -> None:
    """What the commands and Arborist derive from a state: the reports, rollouts, metrics, the forest and topology."""
    names = pcs_names(state, None)
    status_report(state, names, None)
    health_report(state, names, None)
    topology_report(state, None, None)
    for namespace, name in names:
        topology_report(state, [(namespace, name)], namespace)
        rollout_for(state, namespace, name)
        metrics_report(state, namespace, name, 30.0)
    root = forest.level(state, forest.ForestRequest(None))
    assert root is not None
    focus = names[0] if names else None
    for show_all in (False, True):
        request = domains.TopologyRequest(None, focus, show_all=show_all)
        level = domains.topology_level(state, request)
        domains.pods_model(state, request, level.rows[0].key if level.rows else None)
    forest_screen.events_model(state, forest_screen.EventsRequest(forest.ForestRequest(None), None, "warnings"))
    rolling.rolling_in(state, None)


def _an_hour_later(state: State) -> State:
    return state._replace(now=state.now + HOUR, revision=state.revision + 1, memo={})


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
@pytest.mark.parametrize("fraction", [0.3, 0.7, 1.0])
def test_clock_free_derivations_are_the_same_an_hour_later(path: Path, fraction: float) -> None:
    recording = Recording(str(path))
    duration = fold_recording(recording, None).now - recording.header.start
    state = fold_recording(recording, duration * fraction)
    carryover.clear_all()
    _derive_everything(state)
    later = _an_hour_later(state)
    carryover.clear_all()  # nothing computed at the earlier moment may be reused
    _derive_everything(later)
    clock_free = [key for key in state.memo if not key[0].reads_clock]
    assert clock_free
    for key in clock_free:
        assert later.memo[key][1] == state.memo[key][1], key[0].name


def test_every_declared_derivation_is_exercised_and_every_memoised_one_is_declared() -> None:
    recording = Recording(str(ROOT / "replays" / "rolling-update-metrics.jsonl"))
    state = fold_recording(recording, None)
    _derive_everything(state)
    used = {key[0] for key in state.memo}
    declared = set(derivation.declarations())
    assert used <= declared
    assert not {d.name for d in declared - used}


def test_a_name_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        derivation.derivation("pcs", reads_clock=False, about="again")

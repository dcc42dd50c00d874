"""Forest rows reused from state to state (pod rows kept while what they show is the same, PCS rows over carried
derivations) equal rows computed from scratch."""

from __future__ import annotations

import random

from grove.events.model import ClockAdvanced, Listed
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state
from grove.simulate.synthetic import synthetic_events
from grove.views.tui import forest
from grove.views.tui.forest import ForestRequest, Level
from grove.views.tui.rows import cell_signature
from tests.reducers.test_carryover import _fresh


def _shown(level: Level) -> list[tuple[object, ...]]:
    return [(row.key, row.ref, row.drill, row.search, *(cell_signature(c) for c in row.cells)) for row in level.rows]


def _levels(state: State, requests: list[ForestRequest]) -> list[tuple[str, list[tuple[object, ...]]]]:
    return [(level.title, _shown(level)) for level in (forest.level(state, r) for r in requests)]


def test_forest_rows_carried_over_equal_fresh_ones() -> None:
    rng = random.Random(13)
    events = list(synthetic_events(48, 3, 240, 500, seed=13))
    state = empty_state()
    for event in events:
        if isinstance(event, Listed):
            state = reduce(state, event)
    root = ForestRequest(None)
    pcs_key = forest.level(state, root).rows[0].key
    replica = ForestRequest(None, forest.drill(state, root, pcs_key))
    clique = ForestRequest(None, forest.drill(state, replica, forest.level(state, replica).rows[0].key))
    requests = [root, replica, clique]
    assert forest.level(state, clique).kind == forest.CLIQUE
    churn = [e for e in events if not isinstance(e, Listed)]
    at = checked = 0
    ticking = False
    while at < len(churn):
        step = rng.choice((1, 2, 5, 20))
        for event in churn[at : at + step]:
            state = reduce(state, event)
        at += step
        if rng.random() < 0.3:  # a clock tick: countdowns and ages move, nothing else
            state = reduce(state, ClockAdvanced(state.now + rng.choice((0.4, 1.0, 7.0, 45.0))))
        carried = _levels(state, requests)
        ticking |= any("overdue" in str(row) or "at-risk" in str(row) for row in carried[0][1])
        if rng.random() < 0.5:
            continue
        _fresh()
        for cache in (
            forest._POD_ROWS,
            forest._CLIQUE_SUMS,
            forest._FINDINGS_BY_POD,
            forest._PCS_ROWS,
            forest._TICKING_ROWS,
        ):
            cache.clear()
        state.memo.clear()
        assert carried == _levels(state, requests)
        checked += 1
    assert checked > 20
    assert ticking, "no PodCliqueSet counted down: the clock's path was not exercised"

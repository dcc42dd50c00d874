"""A preview derives its figures at every predicted state from what it carried from the state before (the hierarchy,
the clique nodes, the pods labelled part-of each PodCliqueSet, the placement score alone): at every predicted event of
a bundled recording's preview they must equal the same derivations computed afresh (a state of a line of its own, with
nothing carried), and each step's figures must be the fresh figures of its state."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from grove.events import kinds
from grove.events.recordings.reader import Recording
from grove.reducers.derive.hierarchy import build_pcs
from grove.reducers.derive.placement import placement_for, placement_score
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state
from grove.simulate.intent import ChangeTemplate, Intent, ScaleGroup, ScaleSet
from grove.simulate.preview import figures, preview

ROOT = Path(__file__).resolve().parents[2]


def _state(recording: str, until: float | None) -> State:
    """The recording's state ``until`` seconds after its start (its end when None)."""
    rec = Recording(ROOT / "replays" / f"{recording}.jsonl")
    state = empty_state()
    for event in rec.events():
        if until is not None and event.at > rec.header.start + until:
            break
        state = reduce(state, event)
    return state


def _new_image(state: State, namespace: str, name: str) -> Intent:
    pcs = state.get(kinds.PODCLIQUESET, namespace, name)
    assert pcs is not None
    template = copy.deepcopy(dict(pcs["spec"]["template"]))
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] += "-next"
    return ChangeTemplate(namespace, name, template)


CASES: dict[str, tuple[float | None, Callable[[State], Intent]]] = {
    # pods deleted and replaced one at a time, PodGang references rewritten
    "rolling-update": (5.0, lambda s: _new_image(s, "prod", "llm-serve")),
    # a second replica whose pods stay pending (no room in its rack)
    "disagg-fragmented": (None, lambda s: ScaleSet("prod", "my-inference", 2)),
    # a scaled PodGang, gated until the base gang is scheduled
    "multi-tenant": (None, lambda s: ScaleGroup("inference", "llama-70b-0-decode", 4)),
}


@pytest.mark.parametrize("recording", sorted(CASES))
def test_carried_figures_equal_fresh_ones_at_every_predicted_event(recording: str) -> None:
    until, intent = CASES[recording]
    state = _state(recording, until)
    result = preview(state, [intent(state)])
    assert len(result.steps) > 1 and len(result.events) > 10
    (ns, name) = result.targets[0]
    steps = {step.at: step for step in result.steps[1:]}
    current = result.initial_state.branched()  # a line of its own, carried from event to event
    start = current.now
    checked = 0
    for i, event in enumerate(result.events):
        current = reduce(current, event)
        if i + 1 < len(result.events) and result.events[i + 1].at == event.at:
            continue  # the step is the state after every event at this moment
        fresh = current.branched()  # nothing carried: every derivation computed from the objects
        assert build_pcs(current, ns, name) == build_pcs(fresh, ns, name)
        assert placement_score(current, ns, name) == placement_for(fresh, ns, name).score
        carried = figures(current, ns, name)
        assert carried == figures(fresh, ns, name)
        step = steps.get(round(event.at - start, 3))
        if step is not None:
            assert step.main == carried
            checked += 1
    assert checked == len(result.steps) - 1

"""Derivations carried over between states equal the same derivations computed from scratch, event after event."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import attrs
import pytest

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed
from grove.events.recordings.reader import Recording
from grove.reducers import carryover
from grove.reducers.carryover import CarryOver
from grove.reducers.derive import gpu, health, hierarchy, placement, reports, rollout
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state
from grove.simulate.intent import ChangeTemplate, ScaleClique
from grove.simulate.preview import preview
from grove.simulate.synthetic import synthetic_events

RACK = "network.example.com/rack"  # a level of the synthetic cluster's topology

ROOT = Path(__file__).resolve().parents[2]


def _fresh() -> None:
    carryover.clear_all()


@pytest.mark.parametrize("recording", ["disagg-fragmented", "multi-tenant", "rolling-update"])
def test_carried_derivations_equal_fresh_ones(recording: str) -> None:
    state = empty_state()
    checked = 0
    for i, event in enumerate(Recording(ROOT / "replays" / f"{recording}.jsonl").events()):
        state = reduce(state, event)
        if i % 3:
            continue
        names = hierarchy.pcs_names(state)
        carried = (
            [hierarchy.build_pcs(state, ns, n) for ns, n in names],
            [placement.placement_for(state, ns, n) for ns, n in names],
            gpu.node_gpus(state),
        )
        _fresh()
        state.memo.clear()
        fresh = (
            [hierarchy.build_pcs(state, ns, n) for ns, n in names],
            [placement.placement_for(state, ns, n) for ns, n in names],
            gpu.node_gpus(state),
        )
        assert carried[0] == fresh[0]
        assert carried[1] == fresh[1]
        assert {k: (v.grove, v.other, v.allocatable, v.product) for k, v in carried[2].items()} == {
            k: (v.grove, v.other, v.allocatable, v.product) for k, v in fresh[2].items()
        }
        checked += 1
    assert checked > 10


def _derived(state: State) -> tuple[object, ...]:
    names = hierarchy.pcs_names(state)
    return (
        [hierarchy.build_pcs(state, ns, n) for ns, n in names],
        [placement.placement_for(state, ns, n) for ns, n in names],
        [health.replica_health_for(state, ns, n) for ns, n in names],
        [health.health_for(state, ns, n) for ns, n in names],
        [rollout.rollout_for(state, ns, n) for ns, n in names],
        dict(gpu.node_facts(state)),
        _without_time(reports.topology_report(state, None, None)),
        *(_without_time(reports.topology_report(state, [name], None)) for name in names[:2]),
    )


def _without_time(report: reports.TopologyReport) -> object:
    return attrs.evolve(report, now=0.0)


@pytest.mark.parametrize("seed", [3, 11])
def test_carried_derivations_equal_fresh_ones_under_synthetic_churn(seed: int) -> None:
    """Readiness flips, pod replacements, PodClique statuses and Events, folded in random-sized steps: what is carried
    over (by identity, and placement by the value of what it reads of the hierarchy) equals a fresh computation."""
    rng = random.Random(seed)
    events = list(synthetic_events(48, 3, 240, 600, seed=seed))
    state = empty_state()
    for event in events:
        if isinstance(event, Listed):
            state = reduce(state, event)
    churn = [e for e in events if not isinstance(e, Listed)]
    _derived(state)
    at = 0
    checked = 0
    while at < len(churn):
        step = rng.choice((1, 1, 2, 3, 8, 25))
        for event in churn[at : at + step]:
            state = reduce(state, event)
        at += step
        carried = _derived(state)
        if rng.random() < 0.5:
            continue
        _fresh()
        state.memo.clear()
        fresh = _derived(state)
        assert carried == fresh
        checked += 1
    assert checked > 20


def test_carry_over_compares_inputs_by_identity_and_values_by_equality() -> None:
    cache: CarryOver[list[int]] = CarryOver()
    a, b = object(), object()
    first = cache.get("k", (a,), lambda: [1], values=("12m",))
    assert cache.get("k", (a,), lambda: [2], values=("12m",)) is first  # equal value, same object: reused
    assert cache.get("k", (b,), lambda: [3], values=("12m",)) == [3]  # another object
    assert cache.get("k", (b,), lambda: [4], values=("13m",)) == [4]  # another value
    assert cache.previous("k") == [4]


def _odd_change(state: State, rng: random.Random, removed: list[dict[str, Any]]) -> Event:
    """A change the synthetic churn never makes: a pod moved to another node or unscheduled, relabelled into another
    PCS, given another index or template hash, a PodClique object gone (its pods become orphans) or back or given
    another role, a node moved to another rack, a pod gone."""
    at = state.now + 0.5
    pods = list(state.of_kind(kinds.POD).values())
    pod = rng.choice(pods)
    nodes = list(state.of_kind(kinds.NODE).values())
    roll = rng.random()
    if roll < 0.25:
        node = rng.choice(nodes)["metadata"]["name"]
        return Applied(at, kinds.POD, {**pod, "spec": {**pod["spec"], "nodeName": node}})
    if roll < 0.35:
        spec = {k: v for k, v in pod["spec"].items() if k != "nodeName"}
        return Applied(at, kinds.POD, {**pod, "spec": spec})
    if roll < 0.45:
        namespace = pod["metadata"]["namespace"]
        others = sorted(name for ns, name in state.of_kind(kinds.PODCLIQUESET) if ns == namespace)
        labels = {**pod["metadata"].get("labels", {}), "app.kubernetes.io/part-of": rng.choice(others)}
        return Applied(at, kinds.POD, {**pod, "metadata": {**pod["metadata"], "labels": labels}})
    if roll < 0.55 and state.of_kind(kinds.PODCLIQUE):
        clique = rng.choice(list(state.of_kind(kinds.PODCLIQUE).values()))
        removed.append(clique)
        return Removed(at, kinds.PODCLIQUE, clique)
    if roll < 0.65 and removed:
        return Applied(at, kinds.PODCLIQUE, removed.pop(rng.randrange(len(removed))))
    if roll < 0.72:  # another pod index (its place in the clique's order) or another template hash (outdated)
        label = rng.choice(("grove.io/podclique-pod-index", "grove.io/pod-template-hash"))
        labels = {**pod["metadata"].get("labels", {}), label: str(rng.randrange(10_000))}
        return Applied(at, kinds.POD, {**pod, "metadata": {**pod["metadata"], "labels": labels}})
    if roll < 0.75 and state.of_kind(kinds.PODCLIQUE):  # another role for a clique's pods
        clique = rng.choice(list(state.of_kind(kinds.PODCLIQUE).values()))
        spec = {**clique["spec"], "roleName": rng.choice(("prefill", "decode", "router"))}
        return Applied(at, kinds.PODCLIQUE, {**clique, "spec": spec})
    if roll < 0.8:
        node = rng.choice(nodes)
        labels = {**node["metadata"].get("labels", {}), RACK: f"rack-x{rng.randrange(3)}"}
        return Applied(at, kinds.NODE, {**node, "metadata": {**node["metadata"], "labels": labels}})
    return Removed(at, kinds.POD, pod)


@pytest.mark.parametrize("seed", [5, 17])
def test_carried_derivations_equal_fresh_ones_under_odd_changes(seed: int) -> None:
    rng = random.Random(seed)
    events = list(synthetic_events(48, 10, 240, 300, seed=seed))  # two namespaces hold two PCS each
    state = empty_state()
    removed: list[dict[str, Any]] = []
    _derived(state)
    checked = 0
    for i, event in enumerate(events):
        state = reduce(state, event)
        if isinstance(event, Listed):
            continue
        if rng.random() < 0.4:
            state = reduce(state, _odd_change(state, rng, removed))
        if i % 2:
            _derived(state)
            continue
        carried = _derived(state)
        _fresh()
        state.memo.clear()
        assert carried == _derived(state)
        checked += 1
    assert checked > 100


def test_a_preview_and_a_live_feed_interleaved_derive_what_each_derives_alone() -> None:
    """Arborist folds the live feed while a scale or restart dialog folds a preview forked from it, in one process:
    both sets of states meet the same caches (in lineages of their own, and caches keyed by an object alone are
    shared). What each derives, interleaved, equals what it derives from scratch."""
    events = list(Recording(ROOT / "replays" / "rolling-update.jsonl").events())
    live = empty_state()
    half = len(events) // 2
    for event in events[:half]:
        live = reduce(live, event)
    template = copy.deepcopy(dict(live.get(kinds.PODCLIQUESET, "prod", "llm-serve")["spec"]["template"]))  # type: ignore[index]
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] = "registry.example.com/vllm:next"
    rolled = preview(
        live, [ChangeTemplate("prod", "llm-serve", template), ScaleClique("prod", "llm-serve-0-decode", 3)]
    )
    predicted, pending, rest = rolled.initial_state, list(rolled.events), events[half:]
    assert len(pending) > 20 and len(rest) > 20
    seen: list[tuple[State, tuple[object, ...]]] = []
    rng = random.Random(7)
    while pending or rest:
        for _ in range(rng.choice((1, 2, 5))):
            if pending:
                predicted = reduce(predicted, pending.pop(0))
        seen.append((predicted, _derived(predicted)))
        for _ in range(rng.choice((1, 3))):
            if rest:
                live = reduce(live, rest.pop(0))
        seen.append((live, _derived(live)))
    for state, carried in seen:
        _fresh()
        state.memo.clear()
        assert carried == _derived(state)
    assert any(s is predicted for s, _ in seen) and any(s is live for s, _ in seen)


def test_a_preview_leaves_the_live_feeds_carried_derivations_in_place() -> None:
    """A preview's states are a lineage of their own (``State.branched``): folding and deriving them does not replace
    the live feed's entries, so the live feed's next state, whose objects did not change, gets the very same values
    back instead of building them again."""
    events = list(Recording(ROOT / "replays" / "rolling-update.jsonl").events())
    live = empty_state()
    for event in events[: len(events) // 2]:
        live = reduce(live, event)
    before_pcs = hierarchy.build_pcs(live, "prod", "llm-serve")
    before_placement = placement.placement_for(live, "prod", "llm-serve")
    before_facts = gpu.node_facts(live)
    rolled = preview(live, [ScaleClique("prod", "llm-serve-0-decode", 3)])
    predicted = rolled.final_state
    assert predicted.lineage != live.lineage and rolled.initial_state.lineage == predicted.lineage
    assert hierarchy.build_pcs(predicted, "prod", "llm-serve") != before_pcs  # the preview derived its own
    later = reduce(live, ClockAdvanced(live.now + 1.0))
    assert later.lineage == live.lineage
    assert hierarchy.build_pcs(later, "prod", "llm-serve") is before_pcs
    assert placement.placement_for(later, "prod", "llm-serve") is before_placement
    assert gpu.node_facts(later) is before_facts

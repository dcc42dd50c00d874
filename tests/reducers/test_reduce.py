from __future__ import annotations

from typing import Any

from grove.events.model import Applied, ClockAdvanced, Listed, Removed, SourceHealthChanged, SourceStatus
from grove.reducers import indexes as ix
from grove.reducers.batch import fold
from grove.reducers.reduce import reduce
from grove.reducers.state import empty_state
from tests.support import handmade as h


def _clique() -> dict[str, Any]:
    return h.podclique("my-inference", 0, "decode", "decode", 2, 2)


def test_applied_then_removed_updates_objects_and_indexes() -> None:
    clique = _clique()
    pod = h.pod(clique, 0, "node-a")
    state = fold([Applied(10.0, "Pod", pod)])
    assert state.get("Pod", "prod", pod["metadata"]["name"]) is pod
    assert set(state.indexed(ix.PODS_BY_NODE, ("node-a",))) == {("prod", pod["metadata"]["name"])}
    assert set(state.indexed(ix.PODS_BY_CLIQUE, ("prod", "my-inference-0-decode"))) == {
        ("prod", pod["metadata"]["name"])
    }
    state = reduce(state, Removed(11.0, "Pod", pod))
    assert state.get("Pod", "prod", pod["metadata"]["name"]) is None
    assert ("node-a",) not in state.indexes[ix.PODS_BY_NODE]
    assert state.now == 11.0


def test_moving_a_pod_moves_it_between_index_buckets() -> None:
    clique = _clique()
    first = h.pod(clique, 0, None)
    moved = h.pod(clique, 0, "node-b")
    state = fold([Applied(1.0, "Pod", first), Applied(2.0, "Pod", moved)])
    assert set(state.indexed(ix.PODS_BY_NODE, ("node-b",))) == {("prod", moved["metadata"]["name"])}
    assert len(state.indexes[ix.PODS_BY_NODE]) == 1


def test_listed_replaces_the_scope_and_drops_what_is_gone() -> None:
    clique = _clique()
    keep, gone = h.pod(clique, 0, "n1"), h.pod(clique, 1, "n2")
    elsewhere = h.other_pod("nb", "research", "n3", 1)
    state = fold([Listed(1.0, "Pod", (keep, gone, elsewhere))])
    state = reduce(state, Listed(2.0, "Pod", (keep,), namespace="prod"))
    names = {name for _, name in state.of_kind("Pod")}
    assert names == {keep["metadata"]["name"], "nb"}  # research is outside the re-listed scope
    assert ("n2",) not in state.indexes[ix.PODS_BY_NODE]
    assert "Pod" in state.listed


def test_malformed_objects_and_unknown_kinds_become_problems_not_exceptions() -> None:
    events = [
        Applied(1.0, "Pod", {"metadata": {"namespace": "prod"}}),  # no name
        Applied(1.0, "Pod", {"metadata": {"name": "x"}}),  # namespaced without namespace
        Applied(1.0, "Widget", {"metadata": {"name": "w"}}),
        Listed(1.0, "Pod", ({"not": "an object"},)),  # type: ignore[arg-type]
        Applied(1.0, "Pod", "garbage"),  # type: ignore[arg-type]
    ]
    state = fold(events)
    reasons = sorted(p.reason for p in state.problems.values())
    assert any("no metadata.name" in r for r in reasons)
    assert any("unknown kind 'Widget'" in r for r in reasons)
    assert any("not a JSON object" in r for r in reasons)
    assert state.count("Pod") == 0
    assert state.revision == len(events)


def test_source_health_and_clock() -> None:
    state = reduce(empty_state(), SourceHealthChanged(5.0, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden"))
    state = reduce(state, ClockAdvanced(9.0))
    assert state.sources["Node"].status is SourceStatus.FORBIDDEN
    assert state.now == 9.0
    assert state.first_at == 5.0


def test_removing_an_unknown_object_is_harmless() -> None:
    state = reduce(empty_state(), Removed(1.0, "Pod", h.pod(_clique(), 0, "n1")))
    assert state.count("Pod") == 0

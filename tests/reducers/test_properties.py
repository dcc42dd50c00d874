"""Property tests: any event order keeps the indexes consistent; folding the same events twice gives equal states."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.events.model import Applied, Event, Listed, Removed
from grove.reducers.batch import fold
from grove.reducers.indexes import INDEXES, VALUED
from grove.reducers.state import State
from tests.support import handmade as h

CLIQUES = [h.podclique("a", 0, "x", "prefill", 3, 1), h.podclique("a-b", 1, "y", "decode", 3, 1)]


def _pod(i: int, clique: int, node: int | None, ns: str) -> dict[str, Any]:
    pod = h.pod(CLIQUES[clique], i, f"n{node}" if node is not None else None, suffix=f"p{i}")
    pod["metadata"]["namespace"] = ns
    return pod


pods = st.builds(
    _pod,
    st.integers(0, 5),
    st.integers(0, 1),
    st.one_of(st.none(), st.integers(0, 3)),
    st.sampled_from(["prod", "dev"]),
)


def _event(kind: str, pod: dict[str, Any], t: float) -> Event:
    return Applied(t, "Pod", pod) if kind == "apply" else Removed(t, "Pod", pod)


events = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["apply", "remove"]), pods),
        st.tuples(st.just("list"), st.lists(pods, max_size=4), st.sampled_from([None, "prod", "dev"])),
    ),
    max_size=40,
)


def _to_events(spec: list[Any]) -> list[Event]:
    out: list[Event] = []
    for t, item in enumerate(spec):
        if item[0] == "list":
            out.append(Listed(float(t), "Pod", tuple(item[1]), item[2]))
        else:
            out.append(_event(item[0], item[1], float(t)))
    return out


def _expected_indexes(state: State) -> dict[str, dict[tuple[str, ...], set[tuple[str, str]]]]:
    expected: dict[str, dict[tuple[str, ...], set[tuple[str, str]]]] = {}
    for kind, specs in INDEXES.items():
        for key, obj in state.of_kind(kind).items():
            for name, fn in specs:
                index_key = fn(obj)
                if index_key is not None:
                    expected.setdefault(name, {}).setdefault(index_key, set()).add(key)
    return expected


def _actual_indexes(state: State) -> dict[str, dict[tuple[str, ...], set[tuple[str, str]]]]:
    out: dict[str, dict[tuple[str, ...], set[tuple[str, str]]]] = {}
    for name, index in state.indexes.items():
        buckets = {k: set(v) for k, v in index.items()}
        assert all(buckets.values()), f"empty bucket left in {name}"
        if buckets:
            out[name] = buckets
    return out


def _values_are_the_objects(state: State) -> None:
    """A valued index maps each member to the very object in the state; the others map it to None."""
    for kind, specs in INDEXES.items():
        objects = state.of_kind(kind)
        for name, _ in specs:
            for bucket in state.indexes.get(name, {}).values():
                for member, value in bucket.items():
                    if name in VALUED:
                        assert value is objects[member], (name, member)
                    else:
                        assert value is None, (name, member)


@settings(max_examples=200, deadline=None)
@given(events)
def test_indexes_match_a_rebuild_from_scratch(spec: list[Any]) -> None:
    evs = _to_events(spec)
    state = fold(evs)
    assert _actual_indexes(state) == _expected_indexes(state)
    _values_are_the_objects(state)
    from grove.reducers.reduce import fold_one_by_one

    _values_are_the_objects(fold_one_by_one(evs))


@settings(max_examples=100, deadline=None)
@given(events)
def test_folding_twice_gives_equal_states(spec: list[Any]) -> None:
    evs = _to_events(spec)
    a, b = fold(evs), fold(evs)
    assert a.revision == b.revision and a.now == b.now
    assert dict(a.objects.items()) == dict(b.objects.items())
    assert _actual_indexes(a) == _actual_indexes(b)


@settings(max_examples=200, deadline=None)
@given(events)
def test_batch_fold_equals_reducing_one_event_at_a_time(spec: list[Any]) -> None:
    from grove.reducers.reduce import fold_one_by_one

    evs = _to_events(spec)
    evs.insert(len(evs) // 2, Applied(99.0, "Widget", {"metadata": {"name": "w"}}))  # forces a flush mid-batch
    batch, reference = fold(evs), fold_one_by_one(evs)
    assert (batch.revision, batch.now, batch.first_at) == (reference.revision, reference.now, reference.first_at)
    assert dict(batch.objects.items()) == dict(reference.objects.items())
    assert _actual_indexes(batch) == _actual_indexes(reference)
    assert dict(batch.problems.items()).keys() == dict(reference.problems.items()).keys()

"""Metrics samples live as long as their pod: the reducer forgets a deleted pod's samples, in both folds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from grove.events.model import Applied, Event, Listed, MetricsSampled, Removed
from grove.reducers.batch import fold as batch_fold
from grove.reducers.metrics import MAX_SAMPLES
from grove.reducers.reduce import fold_one_by_one
from grove.reducers.state import State

FOLDS: dict[str, Callable[[Iterable[Event]], State]] = {"one by one": fold_one_by_one, "batch": batch_fold}


def _pod(name: str, uid: str | None = None, phase: str = "Running") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "uid": uid or f"uid-{name}"}, "status": {"phase": phase}}


def _sample(t: float, pod: str, source: str = "vllm") -> MetricsSampled:
    return MetricsSampled(t, "ns", pod, source, {"running": t})


def _held(state: State) -> dict[str, dict[str, list[float]]]:
    return {pod: {s: [e.at for e in v] for s, v in sources.items()} for (_, pod), sources in state.metrics.items()}


@pytest.mark.parametrize("how", FOLDS)
def test_a_deleted_pod_forgets_its_samples(how: str) -> None:
    events: list[Event] = [
        Listed(0.0, "Pod", (_pod("a"), _pod("b"))),
        _sample(1.0, "a"),
        _sample(1.0, "a", "dcgm"),
        _sample(1.0, "b"),
        Applied(2.0, "Pod", _pod("a", phase="Succeeded")),  # an update of the same pod keeps them
    ]
    state = FOLDS[how](events)
    assert _held(state) == {"a": {"vllm": [1.0], "dcgm": [1.0]}, "b": {"vllm": [1.0]}}
    state = FOLDS[how]([Removed(3.0, "Pod", _pod("a")), _sample(4.0, "a")], state)  # a late scrape is not kept
    assert _held(state) == {"b": {"vllm": [1.0]}}


@pytest.mark.parametrize("how", FOLDS)
def test_a_pod_gone_from_a_list_or_recreated_under_its_name_forgets_its_samples(how: str) -> None:
    events: list[Event] = [
        Listed(0.0, "Pod", (_pod("a"), _pod("b"), _pod("c"))),
        _sample(1.0, "a"),
        _sample(1.0, "b"),
        _sample(1.0, "c"),
        Listed(2.0, "Pod", (_pod("a"), _pod("b", uid="uid-b-again"), _pod("c"))),  # b is another pod now
        _sample(3.0, "b"),
        Removed(4.0, "Pod", _pod("c")),
        Applied(5.0, "Pod", _pod("c", uid="uid-c-again")),  # removed and applied again in one run
        Listed(6.0, "Pod", (_pod("b", uid="uid-b-again"), _pod("c", uid="uid-c-again"))),  # a is gone
    ]
    assert _held(FOLDS[how](events)) == {"b": {"vllm": [3.0]}}


@pytest.mark.parametrize("how", FOLDS)
def test_samples_alone_are_kept_until_their_pod_is_removed(how: str) -> None:
    """With no pods known (a stream of samples alone), samples are kept; a removal still takes them."""
    state = FOLDS[how]([_sample(1.0, "a"), _sample(1.0, "b"), MetricsSampled(1.0, "ns", "", "dcgm", {}, "no exporter")])
    assert set(_held(state)) == {"a", "b", ""}
    state = FOLDS[how]([Removed(2.0, "Pod", _pod("a"))], state)
    assert set(_held(state)) == {"b", ""}


def test_a_long_session_with_pods_coming_and_going_stays_bounded() -> None:
    state = batch_fold([Listed(0.0, "Pod", ())])
    t = 0.0
    for generation in range(50):
        names = [f"p{generation}-{i}" for i in range(10)]
        state = batch_fold([Applied(t, "Pod", _pod(n)) for n in names], state)
        for _ in range(MAX_SAMPLES + 5):
            t += 5.0
            state = batch_fold([_sample(t, n) for n in names], state)
        state = batch_fold([Removed(t, "Pod", _pod(n)) for n in names[:-1]], state)  # one survivor per generation
    assert len(state.metrics) == 50
    assert all(len(sources["vllm"]) == MAX_SAMPLES for sources in state.metrics.values())

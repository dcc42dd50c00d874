"""The fold's journal (reducers/journal.py) and the hierarchies kept by it: a PodCliqueSet's hierarchy is built again
only when something it read changed, and what is kept equals a fresh build, whatever the events and the order the
states are derived in."""

from __future__ import annotations

import copy
import gc
import random
from pathlib import Path
from typing import Any

import pytest

from grove.events import kinds
from grove.events.model import Applied, Compacted, Event, KubeObject, Listed, Removed
from grove.events.recordings.reader import Recording
from grove.reducers import batch, journal
from grove.reducers import fields as f
from grove.reducers.derive import hierarchy, rollout
from grove.reducers.journal import Journal, changes_between, changes_since, record
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state
from grove.simulate.synthetic import synthetic_events

ROOT = Path(__file__).resolve().parents[2]

GROVE_KINDS = (kinds.POD, kinds.PODCLIQUE, kinds.PODGANG, kinds.PODCLIQUESCALINGGROUP, kinds.PODCLIQUESET)


def _entry(name: str) -> journal.Entry:
    return (kinds.NODE, ("", name), None, None)


def test_changes_since_walks_back_to_the_state_seen() -> None:
    a = record(None, (_entry("a"),))
    b = record(a, (_entry("b"),))
    c = record(b, (_entry("c"), _entry("d")))
    assert changes_since(c, a) == [_entry("c"), _entry("d"), _entry("b")]
    assert changes_since(c, c) == []
    assert changes_since(a, c) is None  # a state further on is no ancestor
    assert changes_since(c, None) is None and changes_since(None, a) is None
    other = record(a, (_entry("x"),))  # another branch from a
    assert changes_since(other, b) is None
    assert changes_since(other, a) == [_entry("x")]


def test_changes_between_two_states_of_a_line_go_either_way() -> None:
    a = record(None, (_entry("a"),))
    b = record(a, (_entry("b"),))
    c = record(b, (_entry("c"),))
    assert changes_between(c, a) == changes_between(a, c) == [_entry("c"), _entry("b")]
    assert changes_between(record(a, (_entry("x"),)), c) is None  # another branch


def test_a_step_that_did_not_say_what_it_changed_is_unknown() -> None:
    a = record(None, (_entry("a"),))
    unknown = record(a, None)
    after = record(unknown, (_entry("b"),))
    assert changes_since(after, a) is None
    assert changes_since(after, unknown) == [_entry("b")]


def test_a_segment_holds_its_predecessor_weakly() -> None:
    nodes: list[Journal] = [record(None, (_entry("0"),))]
    for i in range(1, journal.SEGMENT + 1):
        nodes.append(record(nodes[-1], (_entry(str(i)),)))
    last = nodes[-1]
    assert last.parent is None and last.before is not None  # a new segment began
    assert changes_since(last, nodes[-2]) == [_entry(str(journal.SEGMENT))]
    assert changes_since(last, nodes[0]) is None  # beyond the segment: unknown
    seen = nodes[-2]
    del nodes
    gc.collect()
    assert changes_since(last, seen) == [_entry(str(journal.SEGMENT))]  # the consumer holds what it saw
    del seen
    gc.collect()
    assert last.before is not None and last.before() is None  # nothing else held the previous segment


def test_the_fold_journals_each_change_and_keeps_the_node_when_objects_stay() -> None:
    events = list(synthetic_events(8, 2, 24, 40, seed=3))
    state = empty_state()
    for event in events[:-20]:
        before = state
        state = reduce(state, event)
        changes = changes_since(state.journal, before.journal)
        if isinstance(event, Listed):
            continue
        if state.objects is before.objects and state.indexes is before.indexes:
            assert state.journal is before.journal
            continue
        assert isinstance(event, Applied | Removed)
        assert changes is not None and [(kind, key) for kind, key, *_ in changes] == [
            (event.kind, (f.namespace(event.object), f.name(event.object)))
        ]
    folded = batch.fold(events[-20:], state)
    changes = changes_since(folded.journal, state.journal)
    assert changes is not None
    journaled = {(kind, key) for kind, key, *_ in changes}
    named = {
        (e.kind, (f.namespace(e.object), f.name(e.object))) for e in events[-20:] if isinstance(e, Applied | Removed)
    }
    written = {
        (e.kind, (f.namespace(e.object), f.name(e.object)))
        for e in events[-20:]
        if isinstance(e, Applied) and e.object is not state.get(e.kind, f.namespace(e.object), f.name(e.object))
    }
    assert written and written <= journaled <= named


# ------------------------------------------------------------------------------------ hierarchies kept by it


def _hierarchies(state: State) -> list[object]:
    """Each workload's hierarchy and rollout (kept while its hierarchy is the same object)."""
    names = hierarchy.pcs_names(state)
    return [
        *(hierarchy.build_pcs(state, ns, name) for ns, name in names),
        *(rollout.rollout_for(state, ns, name) for ns, name in names),
    ]


def _fresh(state: State) -> list[object]:
    """Built in a lineage of its own: nothing carried over from any other state."""
    return _hierarchies(state.branched())


def _relabelled(obj: KubeObject, label: str, value: str | None) -> KubeObject:
    labels = dict(obj["metadata"].get("labels") or {})
    if value is None:
        labels.pop(label, None)
    else:
        labels[label] = value
    return {**obj, "metadata": {**obj["metadata"], "labels": labels}}


class _Changes:
    """Random changes to a Grove cluster's state: the odd ones (objects relabelled into other workloads or onto
    cliques and gangs that do not exist, owners dropped, PodGangs listing other cliques, objects gone and back,
    relists) beside ordinary status writes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.removed: list[tuple[str, KubeObject]] = []

    def names(self, state: State, kind: str, namespace: str) -> list[str]:
        return [*sorted(name for ns, name in state.of_kind(kind) if ns == namespace), "ghost", "ghost-0"]

    def event(self, state: State) -> Event:
        rng = self.rng
        at = state.now + 0.25
        roll = rng.random()
        present = [kind for kind in GROVE_KINDS if state.of_kind(kind)]
        if (roll < 0.08 or not present) and self.removed:
            kind, obj = self.removed.pop(rng.randrange(len(self.removed)))
            return Applied(at, kind, obj)
        if not present:
            return Listed(at, kinds.POD, ())
        kind = rng.choice(present)
        obj = rng.choice([obj for _, obj in sorted(state.of_kind(kind).items())])  # in the same order in any run
        ns = f.namespace(obj)
        if roll < 0.16:
            self.removed.append((kind, obj))
            return Removed(at, kind, obj)
        if roll < 0.22:
            return self.relist(state, at, kind)
        pick = rng.random()
        if pick < 0.2:  # part-of another workload (or none): a pod of another PCS's clique makes an orphan
            value = rng.choice([*self.names(state, kinds.PODCLIQUESET, ns), None])
            return Applied(at, kind, _relabelled(obj, f.PART_OF, value))
        if pick < 0.3:  # no owners: found by labels only (or not at all)
            return Applied(at, kind, {**obj, "metadata": {**obj["metadata"], "ownerReferences": []}})
        if kind == kinds.POD and pick < 0.55:
            label = rng.choice((f.PODCLIQUE_LABEL, f.PODGANG_LABEL, f.PCS_REPLICA_INDEX, f.PCSG_LABEL))
            choices = {
                f.PODCLIQUE_LABEL: self.names(state, kinds.PODCLIQUE, ns),
                f.PODGANG_LABEL: [*self.names(state, kinds.PODGANG, ns), None],
                f.PCS_REPLICA_INDEX: ["0", "1", "7", None],
                f.PCSG_LABEL: [*self.names(state, kinds.PODCLIQUESCALINGGROUP, ns), None],
            }[label]
            return Applied(at, kind, _relabelled(obj, label, rng.choice(choices)))
        if kind == kinds.PODCLIQUE and pick < 0.55:
            label = rng.choice((f.PCSG_LABEL, f.PODGANG_LABEL, f.BASE_PODGANG, f.PCS_REPLICA_INDEX))
            choices = {
                f.PCSG_LABEL: [*self.names(state, kinds.PODCLIQUESCALINGGROUP, ns), None],
                f.PODGANG_LABEL: [*self.names(state, kinds.PODGANG, ns), None],
                f.BASE_PODGANG: [*self.names(state, kinds.PODGANG, ns), None],
                f.PCS_REPLICA_INDEX: ["0", "1", "3", None],
            }[label]
            return Applied(at, kind, _relabelled(obj, label, rng.choice(choices)))
        if kind == kinds.PODGANG and pick < 0.55:  # lists other cliques (or fewer) as its PodGroups
            cliques = self.names(state, kinds.PODCLIQUE, ns)
            groups = [
                {"name": rng.choice(cliques), "minReplicas": rng.randrange(3), "podReferences": []}
                for _ in range(rng.randrange(3))
            ]
            return Applied(at, kind, {**obj, "spec": {**(obj.get("spec") or {}), "podgroups": groups}})
        if kind == kinds.PODCLIQUESET and pick < 0.55:
            spec = copy.deepcopy(obj.get("spec") or {})
            spec["replicas"] = rng.randrange(4)
            return Applied(at, kind, {**obj, "spec": spec})
        # a status write: the same keys, a new object (a rolling update's progress now and then)
        status = {**(obj.get("status") or {}), "observedGeneration": rng.randrange(1000)}
        if rng.random() < 0.3:
            ended = rng.choice((None, "2026-11-01T10:00:00Z"))
            status["updateProgress"] = {"updateStartedAt": "2026-11-01T09:30:00Z", "updateEndedAt": ended}
            status["currentPodCliqueSetGenerationHash"] = rng.choice(("a", "b"))
        return Applied(at, kind, {**obj, "status": status})

    def relist(self, state: State, at: float, kind: str) -> Listed:
        """The kind listed again (all namespaces or one), a few objects gone and a few written."""
        rng = self.rng
        namespace = rng.choice([None, *sorted({ns for ns, _ in state.of_kind(kind)})])
        objects = []
        for (ns, _), obj in sorted(state.of_kind(kind).items()):
            if namespace is not None and ns != namespace:
                continue
            roll = rng.random()
            if roll < 0.1:
                self.removed.append((kind, obj))
                continue
            objects.append({**obj, "status": {**(obj.get("status") or {}), "relisted": True}} if roll < 0.2 else obj)
        return Listed(at, kind, tuple(objects), namespace)


def _start(source: str, seed: int) -> State:
    state = empty_state()
    if source == "synthetic":
        events: list[Event] = list(synthetic_events(48, 10, 240, 200, seed=seed))
    else:
        events = list(Recording(ROOT / "replays" / f"{source}.jsonl").events())
    for event in events:
        state = reduce(state, event)
    return state


@pytest.mark.parametrize(
    ("source", "seed"), [("synthetic", 3), ("synthetic", 8), ("multi-tenant", 5), ("disagg-fragmented", 6)]
)
def test_hierarchies_kept_by_the_journal_equal_fresh_ones(
    source: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random changes folded one by one, in batches and as compacted runs; states derived now and then (the journal
    spans several steps), an earlier state derived again after a later one, and previews branched off and folded
    beside the live line: each hierarchy equals one built afresh, and most are kept as they were."""
    rng = random.Random(seed)
    changes = _Changes(rng)
    state = _start(source, seed)
    past: list[State] = [state]
    _hierarchies(state)
    inputs_checked = [0]
    check_inputs = hierarchy._pcs_inputs

    def counted(*args: Any) -> tuple[object, ...]:
        inputs_checked[0] += 1
        return check_inputs(*args)

    monkeypatch.setattr(hierarchy, "_pcs_inputs", counted)
    asked = checked = rechecked = 0
    for _ in range(400):
        roll = rng.random()
        if roll < 0.7:
            state = reduce(state, changes.event(state))
        elif roll < 0.85:
            run: list[Event] = []
            for _ in range(rng.randrange(1, 6)):
                run.append(changes.event(state if not run else batch.fold(run, state)))
            state = batch.fold(run, state)
        else:
            event = changes.event(state)
            if isinstance(event, Applied | Removed):
                key = (f.namespace(event.object), f.name(event.object))
                event = Compacted(event.at, {event.kind: {key: event.object if isinstance(event, Applied) else None}})
            state = reduce(state, event)
        past.append(state)
        if rng.random() < 0.4:
            continue
        inputs_checked[0] = 0
        carried = _hierarchies(state)
        asked += len(carried) // 2
        rechecked += inputs_checked[0]
        assert carried == _fresh(state)
        fresh_state = state.branched()
        assert hierarchy._pod_cliques_part_of(state) == hierarchy._pod_cliques_part_of(fresh_state)
        checked += 1
        if rng.random() < 0.1:  # an earlier state of the same line, derived after a later one (a timeline)
            earlier = rng.choice(past[-12:])
            assert _hierarchies(earlier) == _fresh(earlier)
        if rng.random() < 0.15:  # a preview: its own line from here, folded and derived beside the live one
            branch = state.branched()
            for _ in range(rng.randrange(1, 4)):
                branch = reduce(branch, changes.event(branch))
                assert _hierarchies(branch) == _fresh(branch)
            assert _hierarchies(state) == _fresh(state)
    assert checked > 150
    if len(hierarchy.pcs_names(past[0])) >= 10:  # a change touches one workload: most are kept
        assert rechecked * 3 < asked, "the journal kept too few hierarchies: it is not being used"


def test_hierarchies_kept_across_threads_equal_fresh_ones() -> None:
    """Two threads deriving states of one line (the feed's and a build-ahead's), one of them a step behind."""
    import threading

    rng = random.Random(21)
    changes = _Changes(rng)
    state = _start("synthetic", 21)
    states = [state]
    for _ in range(120):
        states.append(reduce(states[-1], changes.event(states[-1])))
    failures: list[Any] = []

    def derive(order: list[State]) -> None:
        for s in order:
            got = _hierarchies(s)
            if got != _fresh(s):
                failures.append(s.revision)

    behind = [states[max(0, i - 1)] for i in range(len(states))]
    threads = [threading.Thread(target=derive, args=(order,)) for order in (states, behind)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures

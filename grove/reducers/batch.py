"""Folding many events at once: the same state as ``reduce`` applied one event at a time, built once.

A replay or a one-shot command needs only the state after the last event. A run of applies and removals therefore
only remembers the latest version of each object (last write wins, a plain dict write per event); when the run ends,
the survivors are written into the persistent maps and indexes in one pass, so an object changed a hundred times
is indexed once. Anything else (lists, source health, clock, odd input) ends the run and goes through ``reduce``
itself. A property test checks both paths give the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from immutables import Map

from grove.events import kinds
from grove.events.model import Applied, Compacted, Event, KubeObject, Removed
from grove.reducers.indexes import INDEX_KEYS, VALUED_POSITIONS
from grove.reducers.journal import SEGMENT, Entry, record
from grove.reducers.metrics import recreated, without_pods
from grove.reducers.reduce import reduce
from grove.reducers.state import IndexKey, ObjKey, State, empty_state

_EMPTY: Map[Any, Any] = Map()

Latest = dict[str, dict[ObjKey, KubeObject | None]]
"""kind -> key -> the newest version seen in the run (None: removed)."""

_Runs = dict[str, tuple[bool, dict[ObjKey, KubeObject | None]]]


class _Buckets:
    """Open mutations of index buckets, created on first touch."""

    def __init__(self, base: State) -> None:
        self.base = base
        self.open: dict[tuple[str, IndexKey], Any] = {}

    def __call__(self, index: str, key: IndexKey) -> Any:
        mutation = self.open.get((index, key))
        if mutation is None:
            bucket = self.base.indexes.get(index, _EMPTY).get(key, _EMPTY)
            mutation = self.open[(index, key)] = bucket.mutate()
        return mutation

    def finish(self) -> Map[str, Any]:
        by_index: dict[str, Any] = {}
        for (index_name, key), mutation in self.open.items():
            index = by_index.get(index_name)
            if index is None:
                index = by_index[index_name] = self.base.indexes.get(index_name, _EMPTY).mutate()
            bucket = mutation.finish()
            if len(bucket):
                index[key] = bucket
            else:
                index.pop(key, None)
        indexes = self.base.indexes.mutate()
        for index_name, index in by_index.items():
            finished = index.finish()
            if len(finished):
                indexes[index_name] = finished
            else:
                indexes.pop(index_name, None)
        return indexes.finish()


JOURNALED = SEGMENT // 4  # a run that changed more objects journals its changes as unknown


def _write_kind(
    base_map: Map[ObjKey, KubeObject],
    kind: str,
    latest: dict[ObjKey, KubeObject | None],
    buckets: _Buckets,
    entries: list[Entry] | None,
) -> Map[ObjKey, KubeObject]:
    """The kind's map with the run's changes; the indexes' changes go to ``buckets``, what changed to ``entries``
    (None: not journaled)."""
    mutation = base_map.mutate()
    written = {key: new for key, new in latest.items() if new is not None}
    mutation.update(written)
    for key, new in latest.items():
        if new is None:
            mutation.pop(key, None)
    spec = INDEX_KEYS.get(kind)
    if spec is None:
        if entries is not None:
            entries.extend((kind, key, None, None) for key in latest)
        return mutation.finish()
    names, keys_of = spec
    valued = VALUED_POSITIONS[kind]
    get_old = base_map.get
    for key, new in latest.items():
        old = get_old(key)
        if old is new:
            continue
        old_keys = keys_of(old) if old is not None else None
        new_keys = keys_of(new) if new is not None else None
        if entries is not None:
            entries.append((kind, key, old_keys, new_keys))
        if old_keys == new_keys and not (valued and new is not None):
            continue
        for i, index_name in enumerate(names):
            old_key = old_keys[i] if old_keys is not None else None
            new_key = new_keys[i] if new_keys is not None else None
            if old_key == new_key and (new_key is None or i not in valued):
                continue
            if old_key is not None and old_key != new_key:
                buckets(index_name, old_key).pop(key, None)
            if new_key is not None:
                buckets(index_name, new_key)[key] = new if i in valued else None
    return mutation.finish()


def _freeze(
    base: State, latest: Latest, revision: int, now: float, first_at: float | None, removed_pods: set[ObjKey]
) -> State:
    """The state after a run: ``base`` with each object's latest version, indexes updated once per object; the
    samples of pods removed in the run (or re-created under their name) go with them."""
    metrics = base.metrics
    if metrics:
        old_pods = base.objects.get(kinds.POD, _EMPTY)
        for key, new in latest.get(kinds.POD, {}).items():
            if key in metrics and (new is None or recreated(old_pods.get(key), new)):
                removed_pods.add(key)
        metrics = without_pods(metrics, removed_pods)
    removed_pods.clear()
    objects = base.objects.mutate()
    buckets = _Buckets(base)
    entries: list[Entry] | None = [] if sum(map(len, latest.values())) <= JOURNALED else None
    for kind, changed in latest.items():
        kind_map = _write_kind(base.objects.get(kind, _EMPTY), kind, changed, buckets, entries)
        if len(kind_map):
            objects[kind] = kind_map
        else:
            objects.pop(kind, None)
    return State(
        revision,
        now,
        objects.finish(),
        buckets.finish(),
        base.sources,
        base.listed,
        base.problems,
        first_at,
        {},
        metrics,
        base.lineage,
        record(base.journal, tuple(entries) if entries is not None else None),
    )


def fold(events: Iterable[Event], state: State | None = None) -> State:
    """Fold a finite sequence of events (a replay) into one state, as ``reduce`` would one by one."""
    current = state if state is not None else empty_state()
    # kind -> (namespaced, the run's latest versions of that kind); one lookup per event finds both
    runs: _Runs = {kind: (info.namespaced, {}) for kind, info in kinds.KINDS.items()}
    run_start = current.revision
    revision, now, first_at = current.revision, current.now, current.first_at
    pod_run = runs[kinds.POD][1]
    removed_pods: set[ObjKey] = set()  # pods removed in the run, even if applied again since: their samples go
    for event in events:
        typ = type(event)
        if typ is Applied or typ is Removed:
            run = runs.get(event.kind)  # type: ignore[union-attr]
            if run is not None:
                scoped, changed = run
                obj = event.object  # type: ignore[union-attr]
                # key_of, inlined for the common well-formed case (anything else goes to reduce below)
                try:
                    meta = obj["metadata"]
                    name = meta["name"]
                    ns = meta.get("namespace", "")
                except (KeyError, TypeError, AttributeError, IndexError):
                    name = ns = None
                if type(name) is str and name and type(ns) is str and (ns or not scoped):
                    if typ is Applied:
                        changed[(ns if scoped else "", name)] = obj
                    else:
                        changed[(ns if scoped else "", name)] = None
                        if changed is pod_run:
                            removed_pods.add((ns, name))
                    revision += 1
                    at = event.at
                    if at > now:
                        now = at
                    if first_at is None:
                        first_at = at
                    continue
        elif typ is Compacted and all(kind in runs for kind in event.changes):  # type: ignore[union-attr]
            for kind, changes in event.changes.items():  # type: ignore[union-attr]
                runs[kind][1].update(changes)
                revision += len(changes)
            now = max(now, event.at)
            first_at = event.at if first_at is None else first_at
            continue
        # Anything else ends the run (an empty run changes nothing): the reference reducer takes the event.
        if revision != run_start:
            current = _freeze(current, _taken(runs), revision, now, first_at, removed_pods)
            pod_run = runs[kinds.POD][1]
        current = reduce(current, event)
        revision, now, first_at = current.revision, current.now, current.first_at
        run_start = revision
    if revision == run_start:
        return current
    return _freeze(current, _taken(runs), revision, now, first_at, removed_pods)


def _taken(runs: _Runs) -> Latest:
    """The run's changes by kind; the next run starts with empty dicts."""
    latest: Latest = {}
    for kind, (scoped, changed) in runs.items():
        if changed:
            latest[kind] = changed
            runs[kind] = (scoped, {})
    return latest

"""``reduce(state, event) -> state``: the one pure fold of the event stream.

Never does I/O, never reads the clock, never raises on odd input: a malformed object or an unknown kind becomes a
``Problem`` in the state and the stream goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from immutables import Map

from grove.events import kinds
from grove.events.model import (
    Applied,
    ClockAdvanced,
    Compacted,
    Event,
    KubeObject,
    Listed,
    MetricsSampled,
    Removed,
    SourceHealthChanged,
)
from grove.reducers.indexes import INDEX_KEYS, VALUED_POSITIONS
from grove.reducers.journal import SEGMENT, Entry, Keys, record
from grove.reducers.metrics import keeps_sample, recreated, with_sample, without_pods
from grove.reducers.state import IndexKey, ObjKey, Problem, SourceState, State, empty_state

_EMPTY: Map[Any, Any] = Map()
_MAX_PROBLEMS = 500


_NAMESPACED = {kind: info.namespaced for kind, info in kinds.KINDS.items()}


def key_of(kind: str, obj: Any) -> ObjKey | str:
    """The object's key, or a reason it has none."""
    try:  # the common case, without ABC checks
        meta = obj["metadata"]
        name = meta["name"]
        ns = meta.get("namespace", "")
        if type(name) is str and name and type(ns) is str and (ns or not _NAMESPACED[kind]):
            return (ns if _NAMESPACED[kind] else "", name)
    except (KeyError, TypeError, AttributeError, IndexError):
        pass
    return _why_no_key(kind, obj)


def _why_no_key(kind: str, obj: Any) -> ObjKey | str:
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return "object is not a JSON object"
    meta = obj.get("metadata")
    if type(meta) is not dict and not isinstance(meta, Mapping):
        return "object has no metadata"
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return "object has no metadata.name"
    ns = meta.get("namespace", "")
    if not isinstance(ns, str):
        return "metadata.namespace is not a string"
    info = kinds.KINDS[kind]
    if info.namespaced and not ns:
        return "namespaced object without metadata.namespace"
    return (ns if info.namespaced else "", name)


def _with_problem(state: State, at: float, kind: str, subject: str, reason: str) -> State:
    problems = state.problems
    key = f"{kind}:{subject}:{reason}"
    if len(problems) >= _MAX_PROBLEMS and key not in problems:
        return _bump(state, at)
    return _replace(state, at, problems=problems.set(key, Problem(at, kind, subject, reason)))


def _replace(state: State, at: float, **changes: Any) -> State:
    return State(
        revision=state.revision + 1,
        now=at if at > state.now else state.now,
        objects=changes.get("objects", state.objects),
        indexes=changes.get("indexes", state.indexes),
        sources=changes.get("sources", state.sources),
        listed=changes.get("listed", state.listed),
        problems=changes.get("problems", state.problems),
        first_at=state.first_at if state.first_at is not None else at,
        memo={},
        metrics=changes.get("metrics", state.metrics),
        lineage=state.lineage,
        journal=changes.get("journal", state.journal),
    )


def _bump(state: State, at: float) -> State:
    return _replace(state, at)


# ----------------------------------------------------------------------------------------------------- indexes


def _index_add(
    index: Map[IndexKey, Map[ObjKey, KubeObject | None]], key: IndexKey, member: ObjKey, value: KubeObject | None
) -> Any:
    bucket = index.get(key, _EMPTY)
    return index.set(key, bucket.set(member, value))


def _index_remove(index: Map[IndexKey, Map[ObjKey, KubeObject | None]], key: IndexKey, member: ObjKey) -> Any:
    bucket = index.get(key)
    if bucket is None or member not in bucket:
        return index
    bucket = bucket.delete(member)
    return index.set(key, bucket) if len(bucket) else index.delete(key)


def index_keys(kind: str, obj: KubeObject | None) -> Keys | None:
    """The object's key in each index its kind feeds (None: no object, or a kind that feeds none)."""
    spec = INDEX_KEYS.get(kind)
    return spec[1](obj) if spec is not None and obj is not None else None


def _reindex(
    indexes: Map[str, Any],
    kind: str,
    member: ObjKey,
    old: KubeObject | None,
    new: KubeObject | None,
    old_keys: Keys | None,
    new_keys: Keys | None,
) -> Map[str, Any]:
    """``indexes`` with the member moved from the buckets of ``old_keys`` to those of ``new_keys`` (both from
    ``index_keys``, which the caller also journals)."""
    spec = INDEX_KEYS.get(kind)
    if spec is None:
        return indexes
    names = spec[0]
    valued = VALUED_POSITIONS[kind]
    if old_keys == new_keys:  # the usual update: no bucket changes, but a valued one holds the new object
        if new_keys is None or new is old:
            return indexes
        for i in valued:
            if (key := new_keys[i]) is not None:
                index = indexes.get(names[i], _EMPTY)
                indexes = indexes.set(names[i], _index_add(index, key, member, new))
        return indexes
    for i, index_name in enumerate(names):
        old_key = old_keys[i] if old_keys is not None else None
        new_key = new_keys[i] if new_keys is not None else None
        if old_key == new_key and (new_key is None or i not in valued):
            continue
        index = indexes.get(index_name, _EMPTY)
        if old_key is not None and old_key != new_key:
            index = _index_remove(index, old_key, member)
        if new_key is not None:
            index = _index_add(index, new_key, member, new if i in valued else None)
        indexes = indexes.set(index_name, index)
    return indexes


# ---------------------------------------------------------------------------------------------------- handlers


def _with_kind(objects: Map[str, Any], kind: str, kind_map: Map[ObjKey, KubeObject]) -> Map[str, Any]:
    """``objects`` with the kind's map replaced; a kind with no objects has no entry (one shape for one content)."""
    return objects.set(kind, kind_map) if len(kind_map) else objects.delete(kind) if kind in objects else objects


_Target = tuple[ObjKey, Map[ObjKey, KubeObject], KubeObject | None]


def _target(state: State, event: Applied | Removed) -> _Target | State:
    """The object's key, its kind's map and what the map holds under the key; or, for an unknown kind or an object
    without a key, the state with that problem noted."""
    kind = event.kind
    if kind not in kinds.KINDS:
        return _with_problem(state, event.at, kind, "*", f"unknown kind {kind!r} ignored")
    key = key_of(kind, event.object)
    if isinstance(key, str):
        return _with_problem(state, event.at, kind, "?", key)
    kind_map: Map[ObjKey, KubeObject] = state.objects.get(kind, _EMPTY)
    return key, kind_map, kind_map.get(key)


def _apply(state: State, event: Applied) -> State:
    target = _target(state, event)
    if isinstance(target, State):
        return target
    key, kind_map, old = target
    kind = event.kind
    at = event.at
    new = event.object
    spec = INDEX_KEYS.get(kind)
    if spec is None:
        old_keys = new_keys = None
    else:
        keys_of = spec[1]
        old_keys = keys_of(old) if old is not None else None
        new_keys = keys_of(new)
    return State(
        state.revision + 1,
        at if at > state.now else state.now,
        state.objects.set(kind, kind_map.set(key, new)),
        _reindex(state.indexes, kind, key, old, new, old_keys, new_keys),
        state.sources,
        state.listed,
        state.problems,
        state.first_at if state.first_at is not None else at,
        {},
        without_pods(state.metrics, (key,)) if kind == kinds.POD and recreated(old, new) else state.metrics,
        state.lineage,
        record(state.journal, ((kind, key, old_keys, new_keys),)),
    )


def _remove(state: State, event: Removed) -> State:
    target = _target(state, event)
    if isinstance(target, State):
        return target
    key, kind_map, old = target
    kind = event.kind
    if old is None:  # samples of a pod never seen (no pods listed yet) go all the same
        if kind == kinds.POD and key in state.metrics:
            return _replace(state, event.at, metrics=without_pods(state.metrics, (key,)))
        return _bump(state, event.at)
    old_keys = index_keys(kind, old)
    return _replace(
        state,
        event.at,
        objects=_with_kind(state.objects, kind, kind_map.delete(key)),
        indexes=_reindex(state.indexes, kind, key, old, None, old_keys, None),
        metrics=without_pods(state.metrics, (key,)) if kind == kinds.POD else state.metrics,
        journal=record(state.journal, ((kind, key, old_keys, None),)),
    )


def _listed(state: State, event: Listed) -> State:
    """Replace every object of the kind inside the listed scope; objects that are gone leave the indexes too."""
    kind = event.kind
    if kind not in kinds.KINDS:
        return _with_problem(state, event.at, kind, "*", f"unknown kind {kind!r} ignored")
    scope = event.namespace
    old_map: Map[ObjKey, KubeObject] = state.objects.get(kind, _EMPTY)
    new_objects: dict[ObjKey, KubeObject] = {}
    problems = state.problems
    for obj in event.objects:
        key = key_of(kind, obj)
        if isinstance(key, str):
            if len(problems) < _MAX_PROBLEMS:
                problems = problems.set(f"{kind}:?:{key}", Problem(event.at, kind, "?", key))
            continue
        new_objects[key] = obj
    indexes = state.indexes
    gone: list[ObjKey] = []  # pods whose samples go with them
    pods = kind == kinds.POD and bool(state.metrics)
    entries: list[Entry] = []  # what the list changed, for the journal (a long list: unknown)
    journaled = SEGMENT // 4
    with old_map.mutate() as kind_map:
        for key, old in old_map.items():
            if (scope is None or key[0] == scope) and key not in new_objects:
                del kind_map[key]
                old_keys = index_keys(kind, old)
                indexes = _reindex(indexes, kind, key, old, None, old_keys, None)
                if len(entries) <= journaled:
                    entries.append((kind, key, old_keys, None))
                if pods:
                    gone.append(key)
        for key, obj in new_objects.items():
            previous = old_map.get(key)
            if previous is obj:
                continue
            kind_map[key] = obj
            old_keys, new_keys = index_keys(kind, previous), index_keys(kind, obj)
            indexes = _reindex(indexes, kind, key, previous, obj, old_keys, new_keys)
            if len(entries) <= journaled:
                entries.append((kind, key, old_keys, new_keys))
            if pods and recreated(previous, obj):
                gone.append(key)
        finished = kind_map.finish()
    return _replace(
        state,
        event.at,
        objects=_with_kind(state.objects, kind, finished),
        indexes=indexes,
        listed=state.listed | {kind},
        problems=problems,
        metrics=without_pods(state.metrics, gone),
        journal=record(state.journal, tuple(entries) if len(entries) <= journaled else None),
    )


def _source(state: State, event: SourceHealthChanged) -> State:
    return _replace(
        state,
        event.at,
        sources=state.sources.set(event.kind, SourceState(event.status, event.message, event.at, event.since)),
    )


def _clock(state: State, event: ClockAdvanced) -> State:
    return _bump(state, event.at)


def _compacted(state: State, event: Compacted) -> State:
    """Each change in turn, as the applies and removals it stands for (``batch.fold`` takes them in one pass)."""
    for kind, changes in event.changes.items():
        for (namespace, name), obj in changes.items():
            if obj is not None:
                state = _apply(state, Applied(event.at, kind, obj))
            else:
                metadata = {"name": name, "namespace": namespace} if namespace else {"name": name}
                state = _remove(state, Removed(event.at, kind, {"metadata": metadata}))
    return state


def _sampled(state: State, event: MetricsSampled) -> State:
    """The sample kept with its pod's others, unless the pod is not in the state (reducers/metrics.py)."""
    if not keeps_sample(state.objects.get(kinds.POD), kinds.POD in state.listed, event):
        return _bump(state, event.at)
    return _replace(state, event.at, metrics=with_sample(state.metrics, event))


_HANDLERS: dict[type, Callable[[State, Any], State]] = {
    Applied: _apply,
    Removed: _remove,
    Listed: _listed,
    SourceHealthChanged: _source,
    ClockAdvanced: _clock,
    Compacted: _compacted,
    MetricsSampled: _sampled,
}


def reduce(state: State, event: Event) -> State:
    """Fold one event into the state (an unknown event type leaves it unchanged)."""
    handler = _HANDLERS.get(type(event))
    return handler(state, event) if handler is not None else state


def fold_one_by_one(events: Iterable[Event], state: State | None = None) -> State:
    """The reference fold: ``reduce`` applied to each event in turn."""
    current = state if state is not None else empty_state()
    for event in events:
        current = reduce(current, event)
    return current

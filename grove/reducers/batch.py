"""Folding many events at once with transient maps: the same state as ``reduce`` applied one event at a time.

A replay or a one-shot command needs only the state after the last event. Instead of building a new persistent
map per event, applies and removals are written into ``immutables`` mutations (in place, never touching the input
state) and frozen into one ``State`` when the run of applies/removals ends. Anything else (lists, source health,
clock, odd input) goes through ``reduce`` itself. A property test checks both paths give the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from immutables import Map

from grove.events import kinds
from grove.events.model import Applied, Event, Removed
from grove.reducers.indexes import INDEX_KEYS
from grove.reducers.reduce import key_of, reduce
from grove.reducers.state import IndexKey, ObjKey, State, empty_state

_EMPTY: Map[Any, Any] = Map()


class _Transient:
    """Open mutations over one state; ``freeze`` turns them into the next immutable state."""

    def __init__(self, base: State) -> None:
        self.base = base
        self.objects: dict[str, Any] = {}  # kind -> MapMutation
        self.buckets: dict[tuple[str, IndexKey], Any] = {}  # (index, key) -> MapMutation of members
        # Index keys of objects written in this batch: the old object's keys need not be recomputed (reading an
        # object written long ago is mostly cache misses).
        self.keys: dict[tuple[str, ObjKey], Any] = {}
        self.revision = base.revision
        self.now = base.now
        self.first_at = base.first_at

    def _kind_map(self, kind: str) -> Any:
        mutation = self.objects.get(kind)
        if mutation is None:
            mutation = self.objects[kind] = self.base.objects.get(kind, _EMPTY).mutate()
        return mutation

    def _bucket(self, index: str, key: IndexKey) -> Any:
        mutation = self.buckets.get((index, key))
        if mutation is None:
            mutation = self.buckets[(index, key)] = self.base.indexes.get(index, _EMPTY).get(key, _EMPTY).mutate()
        return mutation

    def _reindex(self, kind: str, member: ObjKey, old: Any, new: Any) -> None:
        spec = INDEX_KEYS.get(kind)
        if spec is None:
            return
        names, keys_of = spec
        cache_key = (kind, member)
        if old is None:
            old_keys = None
        else:
            old_keys = self.keys.get(cache_key)
            if old_keys is None:
                old_keys = keys_of(old)
        new_keys = keys_of(new) if new is not None else None
        self.keys[cache_key] = new_keys
        if old_keys == new_keys:
            return
        for i, index_name in enumerate(names):
            old_key = old_keys[i] if old_keys is not None else None
            new_key = new_keys[i] if new_keys is not None else None
            if old_key == new_key:
                continue
            if old_key is not None:
                self._bucket(index_name, old_key).pop(member, None)
            if new_key is not None:
                self._bucket(index_name, new_key)[member] = None

    def take(self, event: Applied | Removed) -> bool:
        """Apply the event; False when it needs ``reduce`` (unknown kind, malformed object)."""
        kind = event.kind
        if kind not in kinds.KINDS:
            return False
        key = key_of(kind, event.object)
        if isinstance(key, str):
            return False
        open_map = self.objects.get(kind)
        old = (open_map if open_map is not None else self.base.objects.get(kind, _EMPTY)).get(key)
        if type(event) is Applied:
            self._kind_map(kind)[key] = event.object
            self._reindex(kind, key, old, event.object)
        elif old is not None:  # removing what is not there changes nothing but the revision, as in reduce
            del self._kind_map(kind)[key]
            self._reindex(kind, key, old, None)
        self.revision += 1
        if event.at > self.now:
            self.now = event.at
        if self.first_at is None:
            self.first_at = event.at
        return True

    def freeze(self) -> State:
        base = self.base
        objects = base.objects.mutate()
        for kind, mutation in self.objects.items():
            objects[kind] = mutation.finish()
        by_index: dict[str, Any] = {}
        for (index_name, key), mutation in self.buckets.items():
            index = by_index.get(index_name)
            if index is None:
                index = by_index[index_name] = base.indexes.get(index_name, _EMPTY).mutate()
            bucket = mutation.finish()
            if len(bucket):
                index[key] = bucket
            else:
                index.pop(key, None)
        indexes = base.indexes.mutate()
        for index_name, index in by_index.items():
            finished = index.finish()
            if len(finished):
                indexes[index_name] = finished
            else:
                indexes.pop(index_name, None)
        return State(
            self.revision,
            self.now,
            objects.finish(),
            indexes.finish(),
            base.sources,
            base.listed,
            base.problems,
            self.first_at,
            {},
        )


def fold(events: Iterable[Event], state: State | None = None) -> State:
    """Fold a finite sequence of events (a replay) into one state, as ``reduce`` would one by one."""
    current = state if state is not None else empty_state()
    transient: _Transient | None = None
    for event in events:
        typ = type(event)
        if typ is Applied or typ is Removed:
            if transient is None:
                transient = _Transient(current)
            if transient.take(event):  # type: ignore[arg-type]
                continue
        if transient is not None:
            current = transient.freeze()
            transient = None
        current = reduce(current, event)
    return transient.freeze() if transient is not None else current

"""Derivations carried over from one state to the next while their inputs are the very same objects.

The state is persistent: an object, an index bucket or a kind's map that did not change is the same Python object in
the next state. A derivation of one workload (its hierarchy, its placement) or of one node (its GPU accounting) can
therefore be reused when every input it read is identical (``is``), which is how a stream of pod updates recomputes
only what the update touched. Inputs are held by reference, so an identity can never be reused by another object.

Entries that depend on a state's other members are keyed by its ``lineage`` first (``State.branched``): a preview
forks the live state and folds predicted events from it, and with its own lineage its entries sit beside the live
feed's instead of replacing them, so the live feed's next state still finds what it carried. Caches whose only
input is the object they derive from (a clique's values, a PodClique's pod groups) need no lineage: the same object
gives the same value in any line of states.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_ALL: weakref.WeakSet[CarryOver[Any]] = weakref.WeakSet()


class CarryOver(Generic[T]):
    """Results by key, each valid while its inputs are identical to the ones it was computed from."""

    def __init__(self, max_entries: int = 4096, lru: bool = False) -> None:
        self._entries: dict[Hashable, tuple[Sequence[object], tuple[object, ...], T]] = {}
        self._max = max_entries
        self._lru = lru  # a hit counts as recently computed (entries looked up often but rarely computed stay)
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(
        self, key: Hashable, inputs: Sequence[object], compute: Callable[[], T], values: tuple[object, ...] = ()
    ) -> T:
        """The value for ``key`` computed from ``inputs`` (compared by identity) and ``values`` (small values made
        afresh each time, such as an age text, compared with ``==``)."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None:
            old = hit[0]
            if len(old) == len(inputs) and all(map(operator.is_, old, inputs)) and hit[1] == values:
                if self._lru:
                    with self._lock:
                        if self._entries.get(key) is hit:
                            del self._entries[key]
                            self._entries[key] = hit
                return hit[2]
        value = compute()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (inputs, values, value)
            if len(self._entries) > self._max:  # the least recently computed go, an eighth at a time (amortised)
                for stale in list(self._entries)[: len(self._entries) - self._max + self._max // 8]:
                    del self._entries[stale]
        return value

    def previous(self, key: Hashable) -> T | None:
        """The last value computed for the key, whatever its inputs were."""
        with self._lock:
            hit = self._entries.get(key)
        return hit[2] if hit is not None else None

    def previous_inputs(self, key: Hashable) -> Sequence[object] | None:
        """The inputs the last value for the key was computed from (to work out what changed since)."""
        with self._lock:
            hit = self._entries.get(key)
        return hit[0] if hit is not None else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    """Forget every carried value (tests that compare carried derivations with fresh ones)."""
    for cache in list(_ALL):
        cache.clear()

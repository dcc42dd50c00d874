"""Values read from one object, kept by the object's identity (objects inside events are never mutated).

Derivations run once per state revision over every pod (and every Event, every Node); an object that did not change
is the same object in the new state, so what is read from it alone is read once. A one-shot read computes these on
each list's thread while the next page downloads (``warming``). Two generations bound the memory: when the current
one outgrows twice the values carried over from the previous one (the live set), the previous one is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from grove.events.model import KubeObject

T = TypeVar("T")


class ByIdentity(Generic[T]):
    """``read(obj)`` for each object, computed once per object."""

    MIN_GENERATION = 16_384

    def __init__(self, read: Callable[[KubeObject], T]) -> None:
        self._read = read
        self.current: dict[int, tuple[KubeObject, T]] = {}
        self.previous: dict[int, tuple[KubeObject, T]] = {}
        self.carried = 0

    def get(self, obj: KubeObject) -> T:
        key = id(obj)
        hit = self.current.get(key)
        if hit is None:
            hit = self.previous.get(key)
            if hit is not None and hit[0] is obj:
                self.current[key] = hit
                self.carried += 1
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._read(obj)
        if len(self.current) >= max(self.MIN_GENERATION, 2 * self.carried):
            self.previous, self.current, self.carried = self.current, {}, 0
        self.current[key] = (obj, value)
        return value

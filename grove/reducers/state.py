"""The immutable state every view is derived from.

Persistent maps (``immutables.Map``) inside one frozen root. The root has a revision counter and ``eq=False``: comparing
two 50k-entry maps on every update would cost milliseconds, and derivations memoise on the revision instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeAlias, TypeVar

import attrs
from immutables import Map

from grove.events.model import KubeObject, SourceStatus
from grove.reducers.derivation import Derivation
from grove.reducers.journal import Journal

ObjKey: TypeAlias = tuple[str, str]
"""(namespace, name); namespace is "" for cluster-scoped objects."""

IndexKey: TypeAlias = tuple[str, ...]

MetricsKey: TypeAlias = tuple[str, str, str]
"""(namespace, pod, source) of a pod's metrics samples."""

T = TypeVar("T")

_EMPTY_MAP: Map[Any, Any] = Map()


@attrs.frozen(slots=True)
class SourceState:
    """What the state knows about the source of one kind."""

    status: SourceStatus
    message: str
    at: float
    since: float | None = None


@attrs.frozen(slots=True)
class Problem:
    """Something odd in the input that was set aside instead of raised."""

    at: float
    kind: str
    subject: str
    reason: str


_LINEAGES = itertools.count(1)  # 0 is the line a source's own states form


class State(NamedTuple):
    """The root of the state. A NamedTuple: immutable, and the cheapest record to create once per event.

    Equality is identity: comparing two 50k-entry maps on every update would cost milliseconds. ``memo`` caches
    derivations of this very state (see ``memoised``); it is the one mutable member and holds no input.
    """

    revision: int
    now: float
    objects: Map[str, Map[ObjKey, KubeObject]]
    indexes: Map[str, Map[IndexKey, Map[ObjKey, KubeObject | None]]]  # member -> object in a VALUED index
    sources: Map[str, SourceState]
    listed: frozenset[str]
    problems: Map[str, Problem]
    first_at: float | None
    memo: dict[tuple[Derivation, str], tuple[Any, Any]]
    metrics: Map[ObjKey, Any] = _EMPTY_MAP  # (namespace, pod) -> source -> scraped samples (reducers/metrics.py)
    lineage: int = 0  # which line of states this one descends from: a preview's fork gets its own (``branched``)
    journal: Journal | None = None  # what the step that made this state changed (reducers/journal.py); None: unknown

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def branched(self) -> State:
        """This state as the start of a line of its own (a preview's predicted states descend from it): derivations
        carried over between states (reducers/carryover.py) key their entries by lineage, so folding a preview
        never overwrites what the live feed carries from one state to the next."""
        return self._replace(lineage=next(_LINEAGES), memo={})

    # ------------------------------------------------------------------ reading

    def of_kind(self, kind: str) -> Map[ObjKey, KubeObject]:
        return self.objects.get(kind, _EMPTY_MAP)

    def get(self, kind: str, namespace: str, name: str) -> KubeObject | None:
        return self.of_kind(kind).get((namespace, name))

    def indexed(self, index: str, key: IndexKey) -> Map[ObjKey, KubeObject | None]:
        return self.indexes.get(index, _EMPTY_MAP).get(key, _EMPTY_MAP)

    def iter_kind(self, kind: str, namespace: str | None = None) -> Iterator[KubeObject]:
        for (ns, _), obj in self.of_kind(kind).items():
            if namespace is None or ns == namespace:
                yield obj

    def count(self, kind: str) -> int:
        return len(self.of_kind(kind))

    def memoised(self, derivation: Derivation, detail: str, depends_on: object, compute: Callable[[], T]) -> T:
        """Cache a derivation on this state; ``detail`` tells its calls apart (e.g. ``ns/name``), ``depends_on`` is
        what the value was computed from (usually the revision)."""
        key = (derivation, detail)
        hit = self.memo.get(key)
        if hit is not None and hit[0] == depends_on:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        self.memo[key] = (depends_on, value)
        return value

    def namespaces(self) -> tuple[str, ...]:
        seen: set[str] = set()
        for kind_map in self.objects.values():
            for ns, _ in kind_map:
                if ns:
                    seen.add(ns)
        return tuple(sorted(seen))


def empty_state() -> State:
    return State(
        revision=0,
        now=0.0,
        objects=Map(),
        indexes=Map(),
        sources=Map(),
        listed=frozenset(),
        problems=Map(),
        first_at=None,
        memo={},
        metrics=Map(),
    )


def source_summary(state: State) -> Mapping[str, SourceState]:
    return dict(state.sources.items())

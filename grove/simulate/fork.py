"""A simulated cluster forked from a live state: the same objects, the clock at the state's time, recording from the
first change on (the state itself is the starting point, so nothing is listed again)."""

from __future__ import annotations

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.state import State
from grove.simulate.cluster import Cluster


def fork_seed(seed: int, newest_rv: int) -> int:
    """The fork's random seed: ``seed`` mixed with the state's newest resourceVersion, so a preview of a state that
    was itself simulated from ``seed`` (a bundled recording, a test) does not replay that state's uids and names."""
    return (seed * 1_000_003) ^ (newest_rv * 2_654_435_761) & 0xFFFF_FFFF_FFFF


def fork_cluster(state: State, *, seed: int = 11) -> Cluster:
    """A ``Cluster`` holding every object of ``state``; uids and suffixes come from ``seed`` and the state (see
    ``fork_seed``; a generated name that is taken is drawn again), resourceVersions continue after the newest one in
    the state. No clock ticks: a preview's events are only its changes."""
    newest = 0
    for kind_map in state.objects.values():
        try:
            rvs = [obj["metadata"]["resourceVersion"] for obj in kind_map.values()]  # well-formed objects
        except (KeyError, TypeError, IndexError):
            rvs = [f.get(obj, "metadata", "resourceVersion") for obj in kind_map.values()]
        newest = max(newest, max(map(int, [rv for rv in rvs if isinstance(rv, str) and rv.isdigit()]), default=0))
    c = Cluster(start=state.now, seed=fork_seed(seed, newest), first_rv=newest, tick=0.0)
    for kind in kinds.ALL_KINDS:
        c.store[kind] = dict(state.of_kind(kind).items())  # type: ignore[arg-type]
    for index, (_, name) in enumerate(sorted(state.of_kind(kinds.NODE)), start=1):
        c.register_node(name, index)
    c.recording = True
    return c

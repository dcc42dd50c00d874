"""The simulator reads pods and free GPUs incrementally (a PodClique's pods brought up to date from the pods written
since, sums of free GPUs moved by the ledger's changes): after every round of a rolling update and of a scale-out
they must equal what reading everything afresh gives (the pods, their views and the PodClique status counts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.state import State
from grove.simulate.engine import Simulation
from grove.simulate.intent import ChangeTemplate, Intent, ScaleSet
from grove.simulate.live_workload import pod_view
from grove.simulate.pod_states import is_terminating
from grove.simulate.policies import apply_intent
from grove.simulate.statuses import pod_counts
from tests.simulate.small_workloads import NAME, NAMESPACE, Shape, new_image_template, running_state, shapes

PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fresh_pods(sim: Simulation, clique: str, *, live: bool) -> list[Mapping[str, Any]]:
    pods = [
        p
        for (ns, _), p in sim.c.store[kinds.POD].items()
        if ns == NAMESPACE and f.label(p, f.PODCLIQUE_LABEL) == clique and not (live and is_terminating(p))
    ]
    return sorted(pods, key=lambda p: (f.integer(f.label(p, f.POD_INDEX), -1), f.name(p)))


class _Checked(Simulation):
    """A simulation that compares the incremental reads with fresh ones after every round."""

    def __init__(self, state: State) -> None:
        super().__init__(state, pod_start=30.0)
        self.rounds = 0
        self.start_free = {n: self.ledger.free(n) for n in self.ledger.slots}

    def round(self) -> None:
        super().round()
        self.rounds += 1
        wl = self.workload(NAMESPACE, NAME)
        for clique in sorted(wl.pods_by_clique):
            for live in (True, False):
                fresh = _fresh_pods(self, clique, live=live)
                assert [id(p) for p in wl.pods(clique, live=live)] == [id(p) for p in fresh]
                assert list(wl.pod_views(clique, live=live)) == [pod_view(p) for p in fresh]
            assert wl.pod_names(clique) == tuple(f.name(p) for p in _fresh_pods(self, clique, live=True))
            pclq = self.c.store[kinds.PODCLIQUE].get((NAMESPACE, clique))
            if pclq is not None:
                target = wl.target_hash(pclq)
                fresh_counts = [pod_counts(p, target) for p in _fresh_pods(self, clique, live=False)]
                expected = tuple(sum(c) for c in zip(*fresh_counts, strict=True)) if fresh_counts else (0,) * 7
                assert wl.clique_counts(clique, target) == expected
        moved: dict[str, int] = {}
        for node, delta in self.ledger.changes:
            moved[node] = moved.get(node, 0) + delta
        assert all(self.ledger.free(n) == self.start_free[n] + moved.get(n, 0) for n in self.ledger.slots)


def _simulate(state: State, intent: Intent) -> _Checked:
    sim = _Checked(state.branched())
    sim.workload(NAMESPACE, NAME)
    apply_intent(sim, intent)
    sim.run()
    return sim


@PROPERTY
@given(shapes())
def test_a_rolling_update_reads_the_same_pods_as_a_fresh_read(shape: Shape) -> None:
    state = running_state(shape)
    sim = _simulate(state, ChangeTemplate(NAMESPACE, NAME, new_image_template(state)))
    assert sim.rounds > 1
    if shape.total_gpus():
        assert sim.ledger.changes  # GPU pods were bound and released


@PROPERTY
@given(shapes(headroom=True))
def test_a_scale_out_reads_the_same_pods_as_a_fresh_read(shape: Shape) -> None:
    state = running_state(shape)
    sim = _simulate(state, ScaleSet(NAMESPACE, NAME, shape.spec.replicas + 1))
    assert sim.rounds > 1

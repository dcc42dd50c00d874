"""The simulator reads pods and free GPUs incrementally (a PodClique's pods brought up to date from the pods written
since, sums of free GPUs moved by the ledger's changes): after every round of a rolling update and of a scale-out
they must equal what reading everything afresh gives (the pods, their views and the PodClique status counts, what the
scheduler reads of each clique and a gang's peers, a rolling pass's reading of a clique, the free GPUs per domain)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.state import State
from grove.simulate.engine import Simulation
from grove.simulate.intent import ChangeTemplate, Intent, ScaleSet
from grove.simulate.live_workload import LiveWorkload, PodView, pod_view
from grove.simulate.pod_states import is_terminating
from grove.simulate.policies import TemplateRollout, apply_intent
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
            live_pods = _fresh_pods(self, clique, live=True)
            assert wl.pod_names(clique) == tuple(f.name(p) for p in live_pods)
            self._check_scheduling(wl, clique, live_pods)
            pclq = self.c.store[kinds.PODCLIQUE].get((NAMESPACE, clique))
            if pclq is not None:
                target = wl.target_hash(pclq)
                fresh_counts = [pod_counts(p, target) for p in _fresh_pods(self, clique, live=False)]
                expected = tuple(sum(c) for c in zip(*fresh_counts, strict=True)) if fresh_counts else (0,) * 7
                assert wl.clique_counts(clique, target) == expected
        assert wl.terminating() == any(is_terminating(p) for p in self.c.store[kinds.POD].values())
        self._check_peers(wl)
        self._check_rollouts(wl)
        self._check_domains()
        moved: dict[str, int] = {}
        for node, delta in self.ledger.changes:
            moved[node] = moved.get(node, 0) + delta
        assert all(self.ledger.free(n) == self.start_free[n] + moved.get(n, 0) for n in self.ledger.slots)

    def _check_scheduling(self, wl: LiveWorkload, clique: str, live_pods: list[Mapping[str, Any]]) -> None:
        """The per-gang reading of a clique the scheduler keeps, its pod indices and sorted names, as read afresh."""
        bound: dict[str, list[str]] = {}
        waiting: dict[str, list[int]] = {}
        for p in live_pods:
            view = pod_view(p)
            if view.node:
                bound.setdefault(view.gang, []).append(view.node)
            elif not view.gated:
                waiting.setdefault(view.gang, []).append(id(p))
        kept_bound, kept_waiting = wl.scheduling(clique)
        assert kept_bound == bound
        assert {gang: [id(p) for p in pods] for gang, pods in kept_waiting.items()} == waiting
        assert wl.used_indices(clique) == {f.integer(f.label(p, f.POD_INDEX), -1) for p in live_pods}
        assert wl._sorted_names(clique) == tuple(sorted(f.name(p) for p in live_pods))

    def _check_peers(self, wl: LiveWorkload) -> None:
        """A gang's peers (nodes of its bound pods, clique then pod order, each once) as read afresh."""
        cliques = [(clique, wl.scheduling(clique)) for clique in sorted(wl.pods_by_clique)]
        for gang in {view.gang for clique in wl.pods_by_clique for view in wl.pod_views(clique)}:
            fresh = [
                pod_view(p).node
                for clique in sorted(wl.pods_by_clique)
                for p in _fresh_pods(self, clique, live=True)
                if pod_view(p).node and pod_view(p).gang == gang
            ]
            assert self._peers(wl, gang, cliques) == tuple(dict.fromkeys(fresh))

    def _check_rollouts(self, wl: LiveWorkload) -> None:
        """A rolling pass's reading of a standalone clique (old pods Ready or not, Ready new pods) as read afresh."""
        for rollout in (c for c in self.controllers if isinstance(c, TemplateRollout)):
            for clique in sorted(rollout._rolling_seen):
                pclq = self.c.store[kinds.PODCLIQUE].get((NAMESPACE, clique))
                if pclq is None:
                    continue
                target = wl.target_hash(pclq)
                views = [pod_view(p) for p in _fresh_pods(self, clique, live=True)]
                kept = rollout._rolling(clique, target)
                old = [v for v in views if v.template_hash != target]
                assert list(kept.old_ready) == [v for v in old if v.ready]
                assert list(kept.old_unready) == [v for v in old if not v.ready]
                assert kept.new_ready == sum(1 for v in views if v.template_hash == target and v.ready)
                assert kept.names == tuple(v.name for v in views)

    def _check_domains(self) -> None:
        """The free GPUs the scheduler keeps per domain group, brought up to date, as summed afresh."""
        free = self.ledger.free_by_node()
        for (_, key), grouping in list(self.scheduler._groups.items()):
            self.scheduler._domains(grouping.nodes, key, (), free)
            assert grouping.sums == {v: sum(self.ledger.free(s.name) for s in ns) for v, ns in grouping.groups.items()}


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


class _Pods:
    """What ``TemplateRollout._rolling`` reads of a workload: a clique's live pod views and their names."""

    def __init__(self) -> None:
        self.views: tuple[PodView, ...] = ()

    def pod_views(self, clique: str) -> tuple[PodView, ...]:
        return self.views

    def pod_names(self, clique: str) -> tuple[str, ...]:
        return tuple(v.name for v in self.views)


def _view(name: str, template_hash: str, *, ready: bool) -> PodView:
    return PodView({}, name, f"uid-{name}", template_hash, "gang", "node-1", False, ready, False)


def test_a_rolling_pass_reads_again_when_an_old_pod_changes_in_place() -> None:
    """The kept reading moves only the Ready count while the pods written again are new ones; an old pod written
    again (Ready → not Ready, the same name and place) makes it read the pods afresh."""
    pods = _Pods()
    rollout = TemplateRollout.__new__(TemplateRollout)
    rollout.wl = pods  # type: ignore[assignment]
    rollout._rolling_seen = {}
    steps = [
        (_view("a", "old", ready=True), _view("b", "old", ready=True), _view("c", "new", ready=False)),
        (_view("a", "old", ready=True), _view("b", "old", ready=True), _view("c", "new", ready=True)),
        (_view("a", "old", ready=False), _view("b", "old", ready=True), _view("c", "new", ready=True)),
        (_view("a", "old", ready=False), _view("b", "new", ready=False), _view("c", "new", ready=False)),
    ]
    for views in steps:
        pods.views = views
        kept = rollout._rolling("clique", "new")
        assert kept.old_ready == tuple(v for v in views if v.template_hash == "old" and v.ready)
        assert kept.old_unready == tuple(v for v in views if v.template_hash == "old" and not v.ready)
        assert kept.new_ready == sum(1 for v in views if v.template_hash == "new" and v.ready)

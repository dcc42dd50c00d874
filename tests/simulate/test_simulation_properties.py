"""Properties of the simulator on small generated workloads (hypothesis): what Grove guarantees must hold for every
shape, not only for the bundled recordings.

Grove's rules the assertions stand on (ai-dynamo/grove main):
- operator/internal/controller/podclique/components/pod/rollingupdate.go: a standalone PodClique deletes its next
  Ready old pod unless ``status.readyReplicas < spec.minAvailable`` — so, from all Ready, it goes down to
  minAvailable − 1 at most, one pod at a time;
- operator/internal/controller/podcliquescalinggroup/components/podclique/rollingupdate.go: a scaling group replaces
  its next available replica unless ``status.availableReplicas < spec.minAvailable`` (minAvailable − 1 at most);
- operator/internal/controller/podcliquescalinggroup/components/podclique/sync.go (computePCSGReplicasToDelete):
  scale-in removes replica indices ``spec.replicas … existing-1``;
- docs/grove-model.md (PodGangs): a base PodGang ``<pcs>-<i>`` per PCS replica holding PCSG replicas
  ``0 … minAvailable-1``, one scaled PodGang ``<pcs>-<i>-<sg>-<k>`` (k = index − minAvailable) per further PCSG replica.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grove.commands.source import fold_recording
from grove.events import kinds
from grove.events.model import Applied
from grove.events.recordings.reader import Recording
from grove.reducers import fields as f
from grove.reducers.batch import fold
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from grove.simulate.intent import ChangeTemplate, ContinueUpdate, ScaleGroup, ScaleSet
from grove.simulate.preview import Preview, preview, write_preview_recording
from grove.simulate.spec import Clique, ScalingGroup, WorkloadSpec
from tests.simulate.small_workloads import (
    NAME,
    NAMESPACE,
    NEW_IMAGE,
    Shape,
    by_clique,
    live,
    new_image_template,
    pods_of,
    ready,
    running_state,
    shapes,
)

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POD_START = 30.0


def _states(result: Preview) -> Iterator[State]:
    """The state after each instant of the preview (all events of one timestamp folded)."""
    current = result.initial_state
    events = result.events
    for i, event in enumerate(events):
        current = reduce(current, event)
        if i + 1 == len(events) or events[i + 1].at != event.at:
            yield current


def _min_available(state: State, kind: str, name: str) -> int:
    obj = state.get(kind, NAMESPACE, name)
    assert obj is not None, name
    return f.integer(f.get(obj, "spec", "minAvailable"), 1)


def _group_available(state: State, pcsg: str, spec_cliques: dict[str, list[str]]) -> int:
    """PCSG replicas whose every PodClique has at least its minAvailable Ready pods (Grove's availableReplicas)."""
    pods = by_clique(pods_of(state))
    available = 0
    for members in spec_cliques.values():
        if all(sum(map(ready, pods.get(c, []))) >= _min_available(state, kinds.PODCLIQUE, c) for c in members):
            available += 1
    return available


def _group_members(state: State) -> dict[str, dict[str, list[str]]]:
    """PCSG name → PCSG replica index → its PodClique names."""
    out: dict[str, dict[str, list[str]]] = {}
    for pclq in state.iter_kind(kinds.PODCLIQUE, NAMESPACE):
        group = f.label(pclq, f.PCSG_LABEL)
        if group:
            out.setdefault(group, {}).setdefault(f.text(f.label(pclq, f.PCSG_REPLICA_INDEX)), []).append(f.name(pclq))
    return out


def _expected_gangs(spec: WorkloadSpec, replicas: int, group_replicas: dict[str, int]) -> set[str]:
    gangs: set[str] = set()
    for i in range(replicas):
        gangs.add(f"{NAME}-{i}")
        for g in spec.groups:
            count = group_replicas.get(f"{NAME}-{i}-{g.name}", g.replicas)
            gangs.update(f"{NAME}-{i}-{g.name}-{k}" for k in range(count - g.min_available))
    return gangs


def _gangs(state: State) -> set[str]:
    return {f.name(g) for g in state.iter_kind(kinds.PODGANG, NAMESPACE) if f.label(g, f.PART_OF) == NAME}


def _assert_gang_membership(state: State) -> None:
    """Each pod's PodGang label names a PodGang that exists; pods of a scaled gang name their base gang."""
    gangs = _gangs(state)
    for pod in pods_of(state):
        gang = f.text(f.label(pod, f.PODGANG_LABEL))
        assert gang in gangs, f"{f.name(pod)} in missing gang {gang}"
        replica = f.text(f.label(pod, f.PCS_REPLICA_INDEX))
        base = f"{NAME}-{replica}"
        assert f.label(pod, f.BASE_PODGANG) == (None if gang == base else base), f.name(pod)


# ------------------------------------------------------------------------------------------------ rolling recreate


@PROPERTY
@given(shapes())
def test_a_rolling_recreate_updates_every_pod_and_keeps_the_count(shape: Shape) -> None:
    state = running_state(shape)
    before = {c: len(p) for c, p in by_clique(pods_of(state)).items()}
    assert all(ready(p) for p in pods_of(state))
    result = preview(state, [ChangeTemplate(NAMESPACE, NAME, new_image_template(state))], pod_start=POD_START)
    after = pods_of(result.final_state)
    assert {c: len(p) for c, p in by_clique(after).items()} == before
    assert all(live(p) and ready(p) for p in after)
    assert all(c["image"] == NEW_IMAGE for p in after for c in p["spec"]["containers"])
    old = {f.name(p) for p in pods_of(state)}
    assert not old & {f.name(p) for p in after}  # every pod was recreated, none renamed onto an old name
    progress = f.mapping(f.get(result.final_state.get(kinds.PODCLIQUESET, NAMESPACE, NAME), "status", "updateProgress"))
    assert progress.get("updateEndedAt") and "currentlyUpdating" not in progress
    assert result.steps[-1].main.available_replicas == shape.spec.replicas


@PROPERTY
@given(shapes())
def test_a_rolling_recreate_never_goes_below_what_grove_allows(shape: Shape) -> None:
    """From all Ready: a standalone clique keeps ≥ minAvailable − 1 Ready pods and loses one at a time; a scaling
    group keeps ≥ minAvailable − 1 available replicas; one PCS replica is disturbed at a time."""
    state = running_state(shape)
    result = preview(state, [ChangeTemplate(NAMESPACE, NAME, new_image_template(state))], pod_start=POD_START)
    groups = _group_members(state)
    standalone = [f.name(p) for p in state.iter_kind(kinds.PODCLIQUE, NAMESPACE) if not f.label(p, f.PCSG_LABEL)]
    for step in _states(result):
        pods = by_clique(pods_of(step))
        disturbed: set[str] = set()
        for clique in standalone:
            members = pods.get(clique, [])
            want = f.integer(f.get(step.get(kinds.PODCLIQUE, NAMESPACE, clique), "spec", "replicas"))
            up = sum(map(ready, members))
            assert up >= _min_available(step, kinds.PODCLIQUE, clique) - 1, (clique, step.now)
            assert up >= want - 1, (clique, step.now)  # one Ready pod replaced at a time
            if up < want:
                disturbed.add(clique.split("-")[1])
        for pcsg, members in groups.items():
            available = _group_available(step, pcsg, members)
            assert available >= _min_available(step, kinds.PODCLIQUESCALINGGROUP, pcsg) - 1, (pcsg, step.now)
            if available < len(members):
                disturbed.add(pcsg.split("-")[1])
        assert len(disturbed) <= 1, (disturbed, step.now)


@PROPERTY
@given(shapes(), st.data())
def test_the_last_step_equals_folding_the_preview_recording(shape: Shape, data: st.DataObject) -> None:
    state = running_state(shape)
    intents = data.draw(
        st.sampled_from(
            [
                [ChangeTemplate(NAMESPACE, NAME, new_image_template(state))],
                [ScaleSet(NAMESPACE, NAME, shape.spec.replicas % 3 + 1)],
            ]
        )
    )
    result = preview(state, intents, pod_start=POD_START)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preview.jsonl"
        write_preview_recording(result, str(out), context="props", command="kubectl grove preview")
        replayed = fold(Recording(str(out)).events())
    for kind in (kinds.POD, kinds.PODCLIQUE, kinds.PODCLIQUESCALINGGROUP, kinds.PODCLIQUESET, kinds.PODGANG):
        assert dict(replayed.of_kind(kind).items()) == dict(result.final_state.of_kind(kind).items()), kind


# ------------------------------------------------------------------------------------------------------- scaling


@PROPERTY
@given(shapes(groups=1, headroom=True), st.data())
def test_scaling_a_group_creates_and_removes_the_right_gangs(shape: Shape, data: st.DataObject) -> None:
    state = running_state(shape)
    group = shape.spec.groups[0]
    replica = data.draw(st.integers(0, shape.spec.replicas - 1))
    pcsg = f"{NAME}-{replica}-{group.name}"
    want = data.draw(st.integers(group.min_available, group.replicas + 2).filter(lambda n: n != group.replicas))
    result = preview(state, [ScaleGroup(NAMESPACE, pcsg, want)], pod_start=POD_START)
    final = result.final_state
    assert _gangs(final) == _expected_gangs(shape.spec, shape.spec.replicas, {pcsg: want})
    indices = {int(i) for i in _group_members(final)[pcsg]}
    assert indices == set(range(want))  # scale-in removes the highest indices, scale-out adds the next ones
    for index, members in _group_members(final)[pcsg].items():
        assert len(members) == len(group.cliques), index
    pods = by_clique(pods_of(final))
    for members in _group_members(final)[pcsg].values():
        for clique in members:
            spec_replicas = shape.spec.clique(clique.rsplit("-", 1)[1]).replicas
            assert len(pods.get(clique, [])) == spec_replicas and all(map(ready, pods[clique])), clique
    untouched = {c: {f.name(p) for p in ps} for c, ps in by_clique(pods_of(state)).items() if not c.startswith(pcsg)}
    assert {c: {f.name(p) for p in ps} for c, ps in pods.items() if not c.startswith(pcsg)} == untouched
    _assert_gang_membership(final)


@PROPERTY
@given(shapes(headroom=True), st.integers(1, 3))
def test_scaling_the_set_creates_and_removes_whole_replicas(shape: Shape, want: int) -> None:
    state = running_state(shape)
    result = preview(state, [ScaleSet(NAMESPACE, NAME, want)], pod_start=POD_START)
    final = result.final_state
    assert _gangs(final) == _expected_gangs(shape.spec, want, {})
    replicas = {f.text(f.label(p, f.PCS_REPLICA_INDEX)) for p in pods_of(final)}
    assert replicas == {str(i) for i in range(want)}
    expected_pods = sum(c.replicas for c in shape.spec.standalone) + sum(
        g.replicas * shape.spec.clique(c).replicas for g in shape.spec.groups for c in g.cliques
    )
    assert len(pods_of(final)) == want * expected_pods
    assert all(ready(p) for p in pods_of(final))
    kept = {f.name(p) for p in pods_of(state) if int(f.text(f.label(p, f.PCS_REPLICA_INDEX))) < want}
    assert kept <= {f.name(p) for p in pods_of(final)}  # surviving replicas are not touched
    _assert_gang_membership(final)


def _ready_condition(pod: Mapping[str, Any]) -> bool:
    """Ready as Grove counts ``status.readyReplicas``: the pod's Ready condition, terminating or not
    (CategorizePodsByConditionType in operator/internal/utils/kubernetes/pod.go; reconcilestatus.go mutateReplicas)."""
    return f.get(f.condition(pod, "Ready"), "status") == "True"


def _replica_available(state: State, pods: dict[str, list[Mapping[str, Any]]], cliques: list[str]) -> bool:
    """A PCSG replica is available when each of its PodCliques has minAvailable Ready pods (as Grove counts them)."""
    return all(
        sum(map(_ready_condition, pods.get(c, []))) >= _min_available(state, kinds.PODCLIQUE, c) for c in cliques
    )


def _deletions(result: Preview) -> Iterator[tuple[State, Mapping[str, Any]]]:
    """Each pod deletion of the preview with the state just before it."""
    current = result.initial_state
    for event in result.events:
        if isinstance(event, Applied) and event.kind == kinds.POD and not live(event.object):
            old = current.get(kinds.POD, f.namespace(event.object), f.name(event.object))
            if old is not None and live(old):
                yield current, old
        current = reduce(current, event)


GROUP_AT_ITS_MINIMUM = Shape(  # a scaling group of 2 replicas, minAvailable 2, one replica crash-looping
    WorkloadSpec(
        name=NAME,
        namespace=NAMESPACE,
        cliques=(Clique("frontend", 1, role="frontend"), Clique("decode0", 2, role="decode0", min_available=1)),
        groups=(ScalingGroup("workers0", ("decode0",), replicas=2, min_available=2),),
    ),
    nodes=1,
    seed=7,
    crashing=((f"{NAME}-0-workers0-1-decode0", 0), (f"{NAME}-0-workers0-1-decode0", 1)),
)


@PROPERTY
@given(shapes(crashes=True))
@example(GROUP_AT_ITS_MINIMUM)
def test_ready_pods_and_available_replicas_go_only_when_grove_lets_them(shape: Shape) -> None:
    """With crash-looping pods at the start: a Ready old pod of a standalone clique is deleted only while the clique
    has ≥ minAvailable Ready pods; an available scaling-group replica is replaced only while the group has
    ≥ minAvailable available replicas (crash-looping old pods and unavailable replicas go at once). Ready is counted
    as Grove does, so a terminating pod that is still Ready counts: with a crashed pod's replacement Ready, Grove's
    isCurrentPodUpdateComplete (count of new Ready pods ≥ selected) lets the next pod go while the last one is still
    terminating, and the clique can have fewer live Ready pods than minAvailable for a few seconds."""
    state = running_state(shape)
    result = preview(state, [ChangeTemplate(NAMESPACE, NAME, new_image_template(state))], pod_start=POD_START)
    for before, pod in _deletions(result):
        clique = f.text(f.label(pod, f.PODCLIQUE_LABEL))
        pods = by_clique(p for p in pods_of(before))
        minimum = _min_available(before, kinds.PODCLIQUE, clique)
        pcsg = f.label(pod, f.PCSG_LABEL)
        if not pcsg:
            if _ready_condition(pod):
                assert sum(map(_ready_condition, pods[clique])) >= minimum, (f.name(pod), before.now)
            continue
        replicas = _group_members(before)[pcsg]
        index = f.text(f.label(pod, f.PCSG_REPLICA_INDEX))
        if _replica_available(before, pods, replicas[index]):
            up = sum(1 for cliques in replicas.values() if _replica_available(before, pods, cliques))
            group_min = _min_available(before, kinds.PODCLIQUESCALINGGROUP, pcsg)
            assert up >= group_min, (pcsg, index, up, before.now)
    assert all(live(p) and ready(p) for p in pods_of(result.final_state))


@PROPERTY
@given(st.booleans().flatmap(lambda crashes: shapes(crashes=crashes)), st.data())
def test_continuing_an_update_from_any_step_ends_where_the_whole_update_ends(shape: Shape, data: st.DataObject) -> None:
    """``ContinueUpdate`` (rollout status's estimate) from a step in the middle of a simulated update: every pod ends
    updated, the counts and gangs are those of the whole update, and the rest takes no longer than the whole."""
    state = running_state(shape)
    whole = preview(state, [ChangeTemplate(NAMESPACE, NAME, new_image_template(state))], pod_start=POD_START)
    inside = [s.at for s in whole.steps if 0.0 < s.at < whole.duration]
    if not inside:
        return
    at = data.draw(st.sampled_from(inside))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preview.jsonl"
        write_preview_recording(whole, str(out), context="props", command="kubectl grove update")
        mid = fold_recording(Recording(str(out)), at)
    rest = preview(mid, [ContinueUpdate(NAMESPACE, NAME)], pod_start=POD_START)
    after = pods_of(rest.final_state)
    expected = {c: len(p) for c, p in by_clique(pods_of(whole.final_state)).items()}
    assert {c: len(p) for c, p in by_clique(after).items()} == expected
    assert all(live(p) and ready(p) for p in after)
    assert all(c["image"] == NEW_IMAGE for p in after for c in p["spec"]["containers"])
    assert _gangs(rest.final_state) == _gangs(whole.final_state)
    progress = f.mapping(f.get(rest.final_state.get(kinds.PODCLIQUESET, NAMESPACE, NAME), "status", "updateProgress"))
    assert progress.get("updateEndedAt") and "currentlyUpdating" not in progress
    assert rest.duration <= whole.duration - at + 2 * POD_START

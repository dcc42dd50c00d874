"""Rolling-update progress of a PodCliqueSet and its children (docs/grove-model.md, Rolling updates).

Grove has no revision history, pause or rollback. RollingRecreate updates one PCS replica at a time; OnDelete only
records hashes. A child is converged when its ``currentPodCliqueSetGenerationHash`` equals the PCS
``currentGenerationHash``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.hierarchy import PcsNode, build_pcs
from grove.reducers.state import State

ROLLOUT = derivation(
    "rollout", reads_clock=False, about="a PodCliqueSet's rolling update: replica updating, pods updated per clique"
)


@attrs.frozen
class ReplicaUpdate:
    index: int
    started: float | None
    ended: float | None


@attrs.frozen
class ChildUpdate:
    kind: str
    name: str
    label: str
    updated: int  # pods (PCLQ) or replicas (PCSG) on the target
    total: int
    converged: bool
    in_progress: bool
    selected: str | None  # the pod (PCLQ) or replica index (PCSG) being replaced now
    completed: tuple[str, ...]


@attrs.frozen
class Rollout:
    namespace: str
    name: str
    strategy: str
    generation_hash: str | None
    in_progress: bool
    started: float | None
    ended: float | None
    updated_replicas: int
    replicas: int
    updated_cliques: int
    total_cliques: int
    updated_groups: int
    total_groups: int
    currently_updating: tuple[ReplicaUpdate, ...]
    children: tuple[ChildUpdate, ...]
    outdated_pods: int


def rollout_for(state: State, namespace: str, name: str) -> Rollout | None:
    """None when no update was ever recorded on the PCS (``status.updateProgress`` is nil until the first one)."""
    return state.memoised(ROLLOUT, f"{namespace}/{name}", state.revision, lambda: _carried(state, namespace, name))


_CARRIED: CarryOver[Rollout] = CarryOver()


def _carried(state: State, namespace: str, name: str) -> Rollout | None:
    """Kept from an earlier state of the lineage while the PCS object, its hierarchy (the same object while its
    cliques are: see ``hierarchy.build_pcs``) and its scaling groups' objects are the same."""
    obj = state.get(kinds.PODCLIQUESET, namespace, name)
    if obj is None:
        return None
    progress = f.mapping(f.get(obj, "status", "updateProgress"))
    if not progress:
        return None
    pcs = build_pcs(state, namespace, name)
    groups = (state.get(kinds.PODCLIQUESCALINGGROUP, namespace, g.name) for r in pcs.replica_nodes for g in r.groups)
    return _CARRIED.get(
        (state.lineage, namespace, name), (obj, pcs, *groups), lambda: _rollout(state, obj, progress, pcs)
    )


def _rollout(state: State, obj: KubeObject, progress: Mapping[str, Any], pcs: PcsNode) -> Rollout:
    namespace, name = pcs.namespace, pcs.name
    target = pcs.generation_hash
    children: list[ChildUpdate] = []
    for replica in pcs.replica_nodes:
        for clique in replica.cliques:
            raw = state.get(kinds.PODCLIQUE, namespace, clique.name)
            children.append(
                _child(
                    kinds.PODCLIQUE,
                    clique.name,
                    clique.clique,
                    raw,
                    target,
                    clique.updated,
                    clique.replicas,
                    "readyPodsSelectedToUpdate",
                )
            )
        for group in replica.groups:
            raw = state.get(kinds.PODCLIQUESCALINGGROUP, namespace, group.name)
            children.append(
                _child(
                    kinds.PODCLIQUESCALINGGROUP,
                    group.name,
                    group.group,
                    raw,
                    target,
                    group.updated,
                    group.replicas,
                    "readyReplicaIndicesSelectedToUpdate",
                )
            )
    current = tuple(
        ReplicaUpdate(
            f.integer(f.mapping(item).get("replicaIndex")),
            f.timestamp(f.mapping(item).get("updateStartedAt")),
            f.timestamp(f.mapping(item).get("updateEndedAt")),
        )
        for item in f.seq(progress.get("currentlyUpdating"))
    )
    return Rollout(
        namespace=namespace,
        name=name,
        strategy=pcs.strategy,
        generation_hash=target,
        in_progress=progress.get("updateEndedAt") is None,
        started=f.timestamp(progress.get("updateStartedAt")),
        ended=f.timestamp(progress.get("updateEndedAt")),
        updated_replicas=pcs.updated,
        replicas=pcs.replicas,
        updated_cliques=f.integer(progress.get("updatedPodCliquesCount")),
        total_cliques=f.integer(progress.get("totalPodCliquesCount")),
        updated_groups=f.integer(progress.get("updatedPodCliqueScalingGroupsCount")),
        total_groups=f.integer(progress.get("totalPodCliqueScalingGroupsCount")),
        currently_updating=current,
        children=tuple(children),
        outdated_pods=sum(1 for p in pcs.pods() if p.outdated and not p.facts.finished),
    )


def _child(
    kind: str, name: str, label: str, raw: object, target: str | None, updated: int, total: int, selected_field: str
) -> ChildUpdate:
    status = f.mapping(f.get(raw, "status"))
    progress = f.mapping(status.get("updateProgress"))
    selected = f.mapping(progress.get(selected_field))
    current = selected.get("current")
    status_updated = status.get("updatedReplicas")
    return ChildUpdate(
        kind=kind,
        name=name,
        label=label,
        updated=f.integer(status_updated, updated) if status_updated is not None else updated,
        total=total,
        converged=bool(target) and f.text(status.get("currentPodCliqueSetGenerationHash")) == target,
        in_progress=bool(progress) and progress.get("updateEndedAt") is None,
        selected=str(current) if current is not None else None,
        completed=tuple(str(c) for c in f.seq(selected.get("completed"))),
    )

"""The children Grove creates for a PodCliqueSet replica: PodCliques, pods and PodGangs (docs/grove-model.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.reducers.fields import (
    BASE_PODGANG,
    COMPONENT,
    MANAGED_BY,
    PART_OF,
    PCS_REPLICA_INDEX,
    PCSG_LABEL,
    PCSG_REPLICA_INDEX,
    POD_INDEX,
    POD_TEMPLATE_HASH,
    PODCLIQUE_LABEL,
    PODGANG_LABEL,
    TOPOLOGY_NAME_ANNOTATION,
)
from grove.simulate.builders import object_meta, owner_ref, pod_spec
from grove.simulate.names import APP_NAME, GROVE_GROUP, KAI, OPERATOR, SCHEDULER_GROUP, SCHEDULER_NAME, Obj
from grove.simulate.pod_states import gated_status
from grove.simulate.spec import Clique, Pack, ScalingGroup, WorkloadSpec, pcs_spec, pod_spec_template, template_hash

# ------------------------------------------------------------------------------------------------------ workload


@attrs.frozen
class Member:
    """One PodClique a PCS replica is expected to have, and the gang it belongs to."""

    pclq: str
    clique: Clique
    replica: int
    group: ScalingGroup | None
    sg_name: str | None  # the PCSG's full name
    sg_index: int | None
    gang: str
    base_gang: str

    @property
    def scaled(self) -> bool:
        return self.gang != self.base_gang


def members_of(spec: WorkloadSpec, i: int, group_replicas: Mapping[str, int] | None = None) -> list[Member]:
    """The PodCliques of PCS replica ``i`` in PodGang order: standalone ones, then PCSG replicas."""
    base = f"{spec.name}-{i}"
    out = [Member(f"{base}-{c.name}", c, i, None, None, None, base, base) for c in spec.standalone]
    for g in spec.groups:
        sg = f"{base}-{g.name}"
        replicas = group_replicas.get(sg, g.replicas) if group_replicas is not None else g.replicas
        for k in range(replicas):
            gang = base if k < g.min_available else f"{sg}-{k - g.min_available}"
            for cname in g.cliques:
                out.append(Member(f"{sg}-{k}-{cname}", spec.clique(cname), i, g, sg, k, gang, base))
    return out


def pcs_object(spec: WorkloadSpec, *, uid: str, created: float) -> Obj:
    """The PodCliqueSet as the user created it (no finalizer, no status yet)."""
    return {
        "apiVersion": GROVE_GROUP,
        "kind": "PodCliqueSet",
        "metadata": object_meta(spec.name, uid, created, namespace=spec.namespace, generation=1, labels=spec.labels),
        "spec": pcs_spec(spec),
    }


def pclq_labels(spec: WorkloadSpec, m: Member, tpl_hash: str) -> Obj:
    """A PodClique's labels: the clique template's plus Grove's (docs/grove-model.md)."""
    labels: Obj = dict(m.clique.labels)
    labels.update(
        {
            MANAGED_BY: OPERATOR,
            PART_OF: spec.name,
            COMPONENT: "pcsg-podclique" if m.group else "pcs-podclique",
            APP_NAME: m.pclq,
            PCS_REPLICA_INDEX: str(m.replica),
            PODGANG_LABEL: m.gang,
            POD_TEMPLATE_HASH: tpl_hash,
        }
    )
    if m.group is not None and m.sg_name is not None:
        labels[PCSG_LABEL] = m.sg_name
        labels[PCSG_REPLICA_INDEX] = str(m.sg_index)
        if m.scaled:
            labels[BASE_PODGANG] = m.base_gang
    return labels


def pclq_object(spec: WorkloadSpec, m: Member, *, uid: str, created: float, owner: Obj) -> Obj:
    """A PodClique as its controller (PCS or PCSG) creates it; ``owner`` is its controller reference."""
    c = m.clique
    pclq_spec: Obj = {
        "roleName": c.role_name,
        "podSpec": pod_spec_template(c),
        "replicas": c.replicas,
        "minAvailable": c.minimum,
    }
    if c.max_replicas is not None and m.group is None:
        pclq_spec["autoScalingConfig"] = {"minReplicas": c.replicas, "maxReplicas": c.max_replicas}
    return {
        "apiVersion": GROVE_GROUP,
        "kind": "PodClique",
        "metadata": object_meta(
            m.pclq,
            uid,
            created,
            namespace=spec.namespace,
            generation=1,
            labels=pclq_labels(spec, m, template_hash(spec, c.name)),
            annotations=c.annotations,
            owner=owner,
            finalizers=["grove.io/podclique.grove.io"],
        ),
        "spec": pclq_spec,
    }


def grove_pod(
    spec: WorkloadSpec, m: Member, pclq: Mapping[str, Any], *, index: int, name: str, uid: str, created: float
) -> Obj:
    """A pod as the PodClique controller creates it: gated, labelled, owned, with hostname/subdomain and env."""
    labels: Obj = {MANAGED_BY: OPERATOR, PART_OF: spec.name}
    labels.update(pclq["metadata"]["labels"])
    labels.update(
        {PODCLIQUE_LABEL: m.pclq, PCS_REPLICA_INDEX: str(m.replica), PODGANG_LABEL: m.gang, POD_INDEX: str(index)}
    )
    annotations: Obj = dict(pclq["metadata"].get("annotations", {}))
    if spec.scheduler == KAI:
        labels["kai.scheduler/subgroup-name"] = m.pclq
        annotations["kai.scheduler/skip-podgrouper"] = "true"
        annotations["pod-group-name"] = m.gang
    subdomain = f"{spec.name}-{m.replica}"
    env: list[Obj] = [
        {"name": "GROVE_PCS_NAME", "value": spec.name},
        {"name": "GROVE_PCS_INDEX", "value": str(m.replica)},
        {"name": "GROVE_PCLQ_NAME", "value": m.pclq},
        {"name": "GROVE_HEADLESS_SERVICE", "value": f"{subdomain}.{spec.namespace}.svc.cluster.local"},
        {"name": "GROVE_PCLQ_POD_INDEX", "value": str(index)},
    ]
    if m.group is not None:
        pods_per_replica = sum(spec.clique(c).replicas for c in m.group.cliques)
        env += [
            {"name": "GROVE_PCSG_NAME", "value": str(m.sg_name)},
            {"name": "GROVE_PCSG_INDEX", "value": str(m.sg_index)},
            {"name": "GROVE_PCSG_TEMPLATE_NUM_PODS", "value": str(pods_per_replica)},
        ]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": object_meta(
            name,
            uid,
            created,
            namespace=spec.namespace,
            generate_name=f"{m.pclq}-",
            generation=1,
            labels=labels,
            annotations=annotations,
            owner=owner_ref(pclq),
        ),
        "spec": pod_spec(
            pclq["spec"]["podSpec"],
            env=env,
            hostname=f"{m.pclq}-{index}",
            subdomain=subdomain,
            gated=True,
            priority_class=spec.priority_class,
        ),
        "status": gated_status(pclq["spec"]["podSpec"], created),
    }


def translate(pack: Pack | None, levels: Mapping[str, str]) -> Obj | None:
    """A workload constraint as node label keys (``levels``: domain → key); domains the binding lacks are dropped."""
    if pack is None:
        return None
    out: Obj = {}
    if pack.required and pack.required in levels:
        out["required"] = levels[pack.required]
    if pack.preferred and pack.preferred in levels:
        out["preferred"] = levels[pack.preferred]
    return {"packConstraint": out} if out else None


def gang_spec(
    spec: WorkloadSpec,
    i: int,
    gang: str,
    members: Sequence[Member],
    refs: Mapping[str, Sequence[str]],
    levels: Mapping[str, str],
) -> Obj:
    """``PodGang.spec``: one podgroup per PodClique (``refs``: PodClique → its pod names) and the translated packs."""
    groups: list[Obj] = []
    for m in members:
        group: Obj = {
            "name": m.pclq,
            "podReferences": [{"namespace": spec.namespace, "name": n} for n in sorted(refs.get(m.pclq, ()))],
            "minReplicas": m.clique.minimum,
        }
        clique_keys = translate(m.clique.pack, levels)
        if clique_keys:
            group["topologyConstraint"] = clique_keys
        groups.append(group)
    out: Obj = {"podgroups": groups}
    if spec.priority_class:
        out["priorityClassName"] = spec.priority_class
    if gang == f"{spec.name}-{i}":
        keys = translate(spec.pack, levels)
        configs: list[Obj] = []
        for g in spec.groups:
            g_keys = translate(g.pack, levels)
            if g_keys is None:
                continue
            sg = f"{spec.name}-{i}-{g.name}"
            for k in range(g.min_available):
                configs.append(
                    {
                        "name": f"{sg}-{k}",
                        "podGroupNames": [f"{sg}-{k}-{c}" for c in g.cliques],
                        "topologyConstraint": g_keys,
                    }
                )
        if configs:
            out["topologyConstraintGroupConfigs"] = configs
    else:  # a scaled gang: its PCSG's constraint, else the PCS's
        group_of = members[0].group
        keys = translate(group_of.pack if group_of and group_of.pack else spec.pack, levels)
    if keys:
        out["topologyConstraint"] = keys
    return out


def podgang_object(spec: WorkloadSpec, gang: str, gspec: Obj, *, uid: str, created: float, owner: Obj) -> Obj:
    """A PodGang as the PCS controller creates it (status is written separately)."""
    labels: Obj = {k: v for k, v in spec.labels.items() if not k.startswith("grove.io/")}
    labels.update({MANAGED_BY: OPERATOR, PART_OF: spec.name, COMPONENT: "podgang", SCHEDULER_NAME: spec.scheduler})
    annotations: Obj = {}
    if spec.packs:
        annotations[TOPOLOGY_NAME_ANNOTATION] = spec.packs[0].topology
    if spec.scheduler == KAI:
        annotations["kai.scheduler/skip-podgrouper"] = "true"
    return {
        "apiVersion": SCHEDULER_GROUP,
        "kind": "PodGang",
        "metadata": object_meta(
            gang,
            uid,
            created,
            namespace=spec.namespace,
            generation=1,
            labels=labels,
            annotations=annotations,
            owner=owner,
        ),
        "spec": gspec,
    }

"""A deployment plan: what a PodCliqueSet is meant to look like, taken from what it looks like now.

Per role (a clique template, named by its ``spec.roleName``): the images, the replicas (each PCS replica's PodClique
``spec.replicas``, and for a scaling-group member its PodCliqueScalingGroup's), the GPUs per pod (counted like the
scheduler) and the containers' requests and limits; for the whole PCS: its replicas, the topology binding and pack
constraints the template names, which domains each gang occupies at its pack level ("1 rack per gang") and the
placement score, which becomes the target. A plan is plain data (``plan_document``/``plan_from_document``), kept as
a ControllerRevision or a YAML file by the command; here it is only built, read and rendered.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.derive.placement import placement_for
from grove.reducers.derive.pods import gpu_request
from grove.reducers.derive.topology import UNKNOWN
from grove.reducers.state import State

API_VERSION = "kubectl-grove/v1"
KIND = "DeploymentPlan"


class PlanError(ValueError):
    """A plan document that cannot be read (what is wrong, in one line)."""


@attrs.frozen
class ContainerPlan:
    name: str
    image: str
    requests: Mapping[str, str]
    limits: Mapping[str, str]


@attrs.frozen
class RolePlan:
    clique: str  # the clique template's name
    role: str  # its spec.roleName (the template name when unset)
    group: str | None  # the scaling group it belongs to
    replicas: tuple[int, ...]  # pods of its PodClique, per PCS replica
    group_replicas: tuple[int, ...]  # a member's: the scaling group's replicas, per PCS replica (() standalone)
    gpus_per_pod: int
    containers: tuple[ContainerPlan, ...]


@attrs.frozen
class GangPlan:
    name: str
    base: bool
    level: str  # the domain (binding level name) its occupancy is counted at, e.g. "rack"; "host" without a binding
    domains: tuple[str, ...]  # the domains of that level its scheduled pods occupy


@attrs.frozen
class Plan:
    name: str  # "" until stored
    namespace: str
    pcs: str
    created: float
    replicas: int
    binding: str | None
    constraints: Mapping[str, Mapping[str, str]]  # "podCliqueSet" | "group/G" | "clique/C" -> required/preferred
    roles: tuple[RolePlan, ...]
    gangs: tuple[GangPlan, ...]
    score: float | None  # the placement score when the plan was taken: the target

    def role_label(self, role: RolePlan) -> str:
        """The role's name as the user says it; the template's when two templates share a roleName."""
        shared = sum(1 for r in self.roles if r.role == role.role) > 1
        return f"{role.role}({role.clique})" if shared else role.role


# ------------------------------------------------------------------------------------------------ from a state


def plan_of(state: State, pcs: KubeObject, name: str = "") -> Plan:
    """The plan that describes ``pcs`` as it is in ``state`` now."""
    namespace, pcs_name = f.namespace(pcs), f.name(pcs)
    template = f.mapping(f.get(pcs, "spec", "template"))
    replicas = f.integer(f.get(pcs, "spec", "replicas"), 1)
    placement = placement_for(state, namespace, pcs_name)
    return Plan(
        name=name,
        namespace=namespace,
        pcs=pcs_name,
        created=float(int(state.now)),  # whole seconds, as the document keeps it
        replicas=replicas,
        binding=placement.topology.binding,
        constraints=_constraints(template),
        roles=tuple(_roles(state, namespace, pcs_name, template, replicas)),
        gangs=tuple(
            GangPlan(
                g.name,
                g.base,
                g.score_domain,
                tuple(
                    s.value
                    for spread in g.spreads
                    if spread.domain == g.score_domain
                    for s in spread.shares
                    if s.pods and s.value != UNKNOWN
                ),
            )
            for g in placement.gangs
        ),
        score=None if placement.score is None else round(placement.score, 4),
    )


def _constraints(template: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}

    def add(subject: str, raw: Any) -> None:
        tc = f.mapping(raw)
        pack = f.mapping(tc.get("pack"))
        entry = {
            "required": f.text(pack.get("required")) or f.text(tc.get("packDomain")),
            "preferred": f.text(pack.get("preferred")),
        }
        entry = {k: v for k, v in entry.items() if v}
        if entry:
            out[subject] = entry

    add("podCliqueSet", template.get("topologyConstraint"))
    for group in f.seq(template.get("podCliqueScalingGroups")):
        add(f"group/{f.text(f.mapping(group).get('name'))}", f.mapping(group).get("topologyConstraint"))
    for clique in f.seq(template.get("cliques")):
        add(f"clique/{f.text(f.mapping(clique).get('name'))}", f.mapping(clique).get("topologyConstraint"))
    return out


def _roles(state: State, namespace: str, pcs: str, template: Mapping[str, Any], replicas: int) -> list[RolePlan]:
    groups = {f.text(f.mapping(g).get("name")): f.mapping(g) for g in f.seq(template.get("podCliqueScalingGroups"))}
    group_of = {str(c): name for name, g in groups.items() for c in f.seq(g.get("cliqueNames"))}
    out = []
    for raw in f.seq(template.get("cliques")):
        clique = f.mapping(raw)
        cname = f.text(clique.get("name"))
        spec = f.mapping(clique.get("spec"))
        group = group_of.get(cname)
        template_replicas = f.integer(spec.get("replicas"), 1)
        if group is None:
            counts = tuple(
                _spec_replicas(state, kinds.PODCLIQUE, namespace, f"{pcs}-{i}-{cname}", template_replicas)
                for i in range(replicas)
            )
            group_counts: tuple[int, ...] = ()
        else:
            counts = (template_replicas,) * replicas
            group_default = f.integer(groups[group].get("replicas"), 1)
            group_counts = tuple(
                _spec_replicas(state, kinds.PODCLIQUESCALINGGROUP, namespace, f"{pcs}-{i}-{group}", group_default)
                for i in range(replicas)
            )
        pod_spec = f.mapping(spec.get("podSpec"))
        out.append(
            RolePlan(
                clique=cname,
                role=f.text(spec.get("roleName")) or cname,
                group=group,
                replicas=counts,
                group_replicas=group_counts,
                gpus_per_pod=gpu_request({"spec": pod_spec}),
                containers=tuple(_container(c) for c in f.seq(pod_spec.get("containers"))),
            )
        )
    return out


def _spec_replicas(state: State, kind: str, namespace: str, name: str, default: int) -> int:
    """The object's ``spec.replicas`` (what ``/scale`` sets), the template's when Grove has not made it yet."""
    obj = state.get(kind, namespace, name)
    return default if obj is None else f.integer(f.get(obj, "spec", "replicas"), default)


def _container(raw: Any) -> ContainerPlan:
    c = f.mapping(raw)
    resources = f.mapping(c.get("resources"))
    return ContainerPlan(
        name=f.text(c.get("name")),
        image=f.text(c.get("image")),
        requests={str(k): str(v) for k, v in f.mapping(resources.get("requests")).items()},
        limits={str(k): str(v) for k, v in f.mapping(resources.get("limits")).items()},
    )


# ------------------------------------------------------------------------------------------------ as data


def when_text(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) if seconds else ""


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as a YAML/JSON document (its schema is in docs/output.md, "DeploymentPlan")."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": plan.name,
            "namespace": plan.namespace,
            "podCliqueSet": plan.pcs,
            "created": when_text(plan.created),
        },
        "spec": {
            "replicas": plan.replicas,
            "topology": {
                "binding": plan.binding,
                "constraints": {k: dict(v) for k, v in plan.constraints.items()},
            },
            "roles": [
                {
                    "clique": r.clique,
                    "role": r.role,
                    "scalingGroup": r.group,
                    "replicas": list(r.replicas),
                    "scalingGroupReplicas": list(r.group_replicas),
                    "gpusPerPod": r.gpus_per_pod,
                    "containers": [
                        {"name": c.name, "image": c.image, "requests": dict(c.requests), "limits": dict(c.limits)}
                        for c in r.containers
                    ],
                }
                for r in plan.roles
            ],
            "placement": {
                "score": None if plan.score is None else round(plan.score, 4),
                "gangs": [
                    {"name": g.name, "base": g.base, "level": g.level, "domains": list(g.domains)} for g in plan.gangs
                ],
            },
        },
    }


def plan_from_document(doc: Any, source: str) -> Plan:
    """Read a plan document; ``PlanError`` naming ``source`` and the first thing wrong."""
    if not isinstance(doc, Mapping) or doc.get("kind") != KIND or doc.get("apiVersion") != API_VERSION:
        raise PlanError(f"{source} is not a kubectl-grove plan (expected apiVersion {API_VERSION}, kind {KIND})")
    try:
        meta, spec = _need(doc, "metadata", Mapping), _need(doc, "spec", Mapping)
        topology = _need(spec, "topology", Mapping)
        placement = _need(spec, "placement", Mapping)
        score = placement.get("score")
        if score is not None and not isinstance(score, int | float):
            raise PlanError("spec.placement.score is not a number")
        return Plan(
            name=str(meta.get("name") or ""),
            namespace=str(_need(meta, "namespace", str)),
            pcs=str(_need(meta, "podCliqueSet", str)),
            created=f.timestamp(meta.get("created")) or 0.0,
            replicas=_need(spec, "replicas", int),
            binding=topology.get("binding") if isinstance(topology.get("binding"), str) else None,
            constraints={
                str(k): {str(a): str(b) for a, b in f.mapping(v).items()}
                for k, v in f.mapping(topology.get("constraints")).items()
            },
            roles=tuple(_role_from(r) for r in _need(spec, "roles", list)),
            gangs=tuple(
                GangPlan(
                    str(_need(g, "name", str)),
                    bool(g.get("base")),
                    str(g.get("level") or ""),
                    tuple(str(d) for d in f.seq(g.get("domains"))),
                )
                for g in _need(placement, "gangs", list)
            ),
            score=None if score is None else float(score),
        )
    except PlanError as exc:
        raise PlanError(f"{source}: {exc}") from None


def _need(obj: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(obj, Mapping):
        raise PlanError(f"expected a mapping holding {key!r}")
    value = obj.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise PlanError(f"{key!r} is missing or not a {getattr(kind, '__name__', 'value')}")
    return value


def _counts(value: Any, key: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise PlanError(f"{key!r} must be a list of integers")
    return tuple(value)


def _role_from(raw: Any) -> RolePlan:
    clique = str(_need(raw, "clique", str))
    group = raw.get("scalingGroup")
    return RolePlan(
        clique=clique,
        role=str(raw.get("role") or clique),
        group=group if isinstance(group, str) and group else None,
        replicas=_counts(raw.get("replicas"), "replicas"),
        group_replicas=_counts(raw.get("scalingGroupReplicas") or [], "scalingGroupReplicas"),
        gpus_per_pod=int(raw.get("gpusPerPod") or 0),
        containers=tuple(
            ContainerPlan(
                str(_need(c, "name", str)),
                str(c.get("image") or ""),
                {str(k): str(v) for k, v in f.mapping(c.get("requests")).items()},
                {str(k): str(v) for k, v in f.mapping(c.get("limits")).items()},
            )
            for c in f.seq(raw.get("containers"))
        ),
    )


# ------------------------------------------------------------------------------------------------ summaries


def counts_text(counts: Sequence[int]) -> str:
    """``(4, 4)`` → "4"; ``(4, 3)`` → "4,3" (per PCS replica, shown only when they differ)."""
    if not counts:
        return "-"
    return str(counts[0]) if len(set(counts)) == 1 else ",".join(str(c) for c in counts)


def domains_per_gang(plan: Plan) -> dict[tuple[str, str], int]:
    """(base | scaled, level) → the most domains of that level any scheduled gang of that kind occupies:
    {("base", "block"): 1, ("scaled", "rack"): 1} reads "base gangs in 1 block each, scaled gangs in 1 rack each"."""
    out: dict[tuple[str, str], int] = {}
    for g in plan.gangs:
        if g.domains:
            key = ("base" if g.base else "scaled", g.level)
            out[key] = max(out.get(key, 0), len(g.domains))
    return out


def per_gang_text(per_gang: Mapping[tuple[str, str], int]) -> str:
    return ", ".join(f"{kind} gangs in {n} {level}{'s' if n != 1 else ''} each" for (kind, level), n in
                     per_gang.items()) or "no gang scheduled on visible nodes"  # fmt: skip


def show_lines(plan: Plan) -> list[str]:
    """``plan show``: the plan in a few lines."""
    title = f"Plan {plan.name or '(not stored)'}: PodCliqueSet {plan.namespace}/{plan.pcs}"
    lines = [title, "━" * len(title)]
    if plan.created:
        lines.append(f"  taken:       {when_text(plan.created)}")
    lines.append(f"  replicas:    {plan.replicas}")
    for role in plan.roles:
        images = ", ".join(f"{c.name}={c.image}" for c in role.containers) or "-"
        scale = (
            f"{counts_text(role.replicas)} pods × {counts_text(role.group_replicas)} replicas of group {role.group}"
            if role.group
            else f"{counts_text(role.replicas)} pods"
        )
        lines.append(f"  {plan.role_label(role)}: {scale}, {role.gpus_per_pod} GPU(s)/pod, {images}")
    lines.append(f"  binding:     {plan.binding or '(none)'}")
    for subject, pack in plan.constraints.items():
        lines.append(f"  pack:        {subject}: " + ", ".join(f"{k} {v}" for k, v in pack.items()))
    lines.append(f"  placement:   {len(plan.gangs)} gang(s); {per_gang_text(domains_per_gang(plan))}")
    lines.append(f"  score:       {'-' if plan.score is None else f'{plan.score:.2f}'} (the target)")
    return lines

"""What the user's words name in a PodCliqueSet: a role (``spec.roleName`` of a clique template) is either a
standalone clique — one PodClique per PCS replica, ``<pcs>-<i>-<clique>`` — or a member of a scaling group, whose
unit of scale is the PodCliqueScalingGroup ``<pcs>-<i>-<group>`` carrying all of the group's roles (docs/grove-model.md:
the hierarchy, and scaling). A scaling-group member PodClique is never scaled on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.commands.errors import UsageError, UserError
from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.state import State


@attrs.frozen
class CliqueTemplate:
    name: str
    role: str
    group: str | None  # the scaling group it belongs to
    autoscale: str = ""


def autoscale_range(config: Any) -> str:
    """``autoScalingConfig`` (clique) / ``scaleConfig`` (scaling group) as "min..max", "" when unset."""
    config = f.mapping(config)
    if not config:
        return ""
    return f"{f.integer(config.get('minReplicas'), 1)}..{f.integer(config.get('maxReplicas'))}"


def group_autoscale(pcs: KubeObject, group: str) -> str:
    for g in f.seq(template_of(pcs).get("podCliqueScalingGroups")):
        if f.text(f.mapping(g).get("name")) == group:
            return autoscale_range(f.mapping(g).get("scaleConfig"))
    return ""


@attrs.frozen
class ScaleTarget:
    """One object whose ``/scale`` changes."""

    kind: str
    name: str
    current: int
    target: int
    resource_version: str
    roles: tuple[str, ...]  # the roles that scale with it
    autoscale: str = ""  # Grove's autoscaling range on it ("1..4"): the HPA Grove makes overrides the count


def template_of(pcs: KubeObject) -> Mapping[str, Any]:
    return f.mapping(f.get(pcs, "spec", "template"))


def clique_templates(pcs: KubeObject) -> list[CliqueTemplate]:
    template = template_of(pcs)
    group_of = {
        str(name): f.text(f.mapping(g).get("name"))
        for g in f.seq(template.get("podCliqueScalingGroups"))
        for name in f.seq(f.mapping(g).get("cliqueNames"))
    }
    out = []
    for clique in f.seq(template.get("cliques")):
        name = f.text(f.mapping(clique).get("name"))
        role = f.text(f.get(clique, "spec", "roleName")) or name
        autoscale = autoscale_range(f.get(clique, "spec", "autoScalingConfig"))
        out.append(CliqueTemplate(name, role, group_of.get(name), autoscale))
    return out


def role_group(pcs: KubeObject, role: str) -> str | None:
    """The scaling group a role belongs to (None: standalone, or no such role)."""
    return next((c.group for c in clique_templates(pcs) if c.role == role), None)


def group_names(pcs: KubeObject) -> list[str]:
    return [f.text(f.mapping(g).get("name")) for g in f.seq(template_of(pcs).get("podCliqueScalingGroups"))]


def roles_of_group(pcs: KubeObject, group: str) -> tuple[str, ...]:
    return tuple(c.role for c in clique_templates(pcs) if c.group == group)


def pcs_replicas(pcs: KubeObject) -> int:
    return f.integer(f.get(pcs, "spec", "replicas"), 1)


def replica_indices(pcs: KubeObject, replica: int | None) -> list[int]:
    count = pcs_replicas(pcs)
    if replica is None:
        return list(range(count))
    if not 0 <= replica < count:
        raise UsageError(f"--replica {replica}: {f.name(pcs)} has replicas 0..{count - 1}")
    return [replica]


def parse_assignment(text: str, flag: str) -> tuple[str, int]:
    """``decode=8`` → ("decode", 8)."""
    name, sep, value = text.partition("=")
    try:
        count = int(value)
    except ValueError:
        count = -1
    if not sep or not name or count < 0:
        raise UsageError(f"{flag} {text!r}: expected NAME=COUNT with COUNT ≥ 0 (e.g. {flag} decode=8)")
    return name, count


def _scale_target(
    state: State, kind: str, namespace: str, name: str, target: int, roles: Sequence[str], autoscale: str
) -> ScaleTarget:
    obj = state.get(kind, namespace, name)
    if obj is None:
        raise UserError(f'{kind} "{name}" not found in namespace "{namespace}" (Grove has not created it yet?)')
    return ScaleTarget(
        kind,
        name,
        f.integer(f.get(obj, "spec", "replicas")),
        target,
        str(f.get(obj, "metadata", "resourceVersion") or ""),
        tuple(roles),
        autoscale,
    )


def role_targets(state: State, pcs: KubeObject, role: str, count: int, replica: int | None) -> list[ScaleTarget]:
    """The objects whose ``/scale`` sets ``role`` to ``count``: its standalone PodCliques, or its scaling groups."""
    cliques = [c for c in clique_templates(pcs) if c.role == role or (c.name == role and not c.role)]
    if not cliques:
        known = ", ".join(sorted({c.role for c in clique_templates(pcs)}))
        raise UserError(f'role "{role}" is not in PodCliqueSet {f.name(pcs)} (its roles: {known})')
    clique = cliques[0]
    if clique.group is not None:
        return group_targets(state, pcs, clique.group, count, replica)
    namespace, name = f.namespace(pcs), f.name(pcs)
    return [
        _scale_target(
            state, kinds.PODCLIQUE, namespace, f"{name}-{i}-{clique.name}", count, (clique.role,), clique.autoscale
        )
        for i in replica_indices(pcs, replica)
    ]


def group_targets(state: State, pcs: KubeObject, group: str, count: int, replica: int | None) -> list[ScaleTarget]:
    if group not in group_names(pcs):
        known = ", ".join(group_names(pcs)) or "none"
        raise UserError(f'scaling group "{group}" is not in PodCliqueSet {f.name(pcs)} (its scaling groups: {known})')
    namespace, name = f.namespace(pcs), f.name(pcs)
    roles = roles_of_group(pcs, group)
    autoscale = group_autoscale(pcs, group)
    return [
        _scale_target(state, kinds.PODCLIQUESCALINGGROUP, namespace, f"{name}-{i}-{group}", count, roles, autoscale)
        for i in replica_indices(pcs, replica)
    ]


def set_target(pcs: KubeObject, count: int) -> ScaleTarget:
    roles = tuple(c.role for c in clique_templates(pcs))
    rv = str(f.get(pcs, "metadata", "resourceVersion") or "")
    return ScaleTarget(kinds.PODCLIQUESET, f.name(pcs), pcs_replicas(pcs), count, rv, roles)


def refuse_group_member(clique: KubeObject) -> None:
    """A PodClique that belongs to a scaling group: one clear refusal."""
    group = f.label(clique, f.PCSG_LABEL)
    if group:
        pcs = f.label(clique, f.PART_OF) or "PCS"
        index = f.label(clique, f.PCS_REPLICA_INDEX)
        template = group[len(f"{pcs}-{index}-") :] if group.startswith(f"{pcs}-{index}-") else group
        raise UserError(
            f"PodClique {f.name(clique)} is a member of scaling group {group}: Grove scales the group, never its "
            f"member cliques (kubectl grove scale {pcs} --group {template}=COUNT --replica {index or 0})"
        )


def object_target(state: State, kind: str, obj: KubeObject, count: int) -> ScaleTarget:
    """One PCSG or standalone PCLQ named directly (``pcsg/NAME``, ``pclq/NAME``)."""
    namespace, name = f.namespace(obj), f.name(obj)
    pcs = state.get(kinds.PODCLIQUESET, namespace, f.label(obj, f.PART_OF) or "")
    index = f.label(obj, f.PCS_REPLICA_INDEX)
    template = name[len(f"{f.name(pcs)}-{index}-") :] if pcs is not None and index is not None else name
    if kind == kinds.PODCLIQUESCALINGGROUP:
        roles = roles_of_group(pcs, template) if pcs is not None else ()
        autoscale = group_autoscale(pcs, template) if pcs is not None else ""
    else:
        roles = (f.text(f.get(obj, "spec", "roleName")),)
        autoscale = autoscale_range(f.get(obj, "spec", "autoScalingConfig"))
    return _scale_target(state, kind, namespace, name, count, roles, autoscale)

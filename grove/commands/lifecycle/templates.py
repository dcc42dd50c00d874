"""Changes of a PodCliqueSet's ``spec.template``: a new image, a restart annotation, a whole template (undo, apply);
the field diff they make, the pods they touch per role, and the change that writes them (a merge patch with the
resourceVersion read as precondition, recorded as a revision).

Why a restart is an annotation: Grove's pod-template hash (``ComputePCLQPodTemplateHash`` in the operator) hashes a
clique template's labels, annotations and podSpec (plus the priority class). A new ``kubectl-grove.io/restartedAt``
annotation on a clique template therefore changes its hash, and Grove replaces that clique's pods with its own
RollingRecreate order and safety (one ready pod at a time, MinAvailableBreached held Unknown while updating), exactly
like ``kubectl rollout restart`` does for a Deployment. Nothing has to delete pods from the plugin.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from grove.commands.errors import UserError
from grove.commands.lifecycle.flow import Change, Write
from grove.commands.lifecycle.revisions import TemplateChange
from grove.commands.lifecycle.targeting import clique_templates, template_of
from grove.events import kinds
from grove.events.kinds import KINDS
from grove.events.kube.merge import merge_patch
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.derive.hierarchy import build_pcs
from grove.reducers.state import State
from grove.simulate.intent import ChangeTemplate

RESTARTED_AT = "kubectl-grove.io/restartedAt"


@attrs.frozen
class FieldChange:
    path: str
    before: Any
    after: Any


def field_diff(before: Any, after: Any, path: str = "spec.template") -> list[FieldChange]:
    """Leaf differences, with list indices (``spec.template.cliques[0].spec.podSpec.containers[0].image``)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            out.extend(field_diff(before.get(key), after.get(key), f"{path}.{key}"))
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = []
        for i in range(max(len(before), len(after))):
            out.extend(field_diff(before[i] if i < len(before) else None, after[i] if i < len(after) else None,
                                  f"{path}[{i}]"))  # fmt: skip
        return out
    return [] if before == after else [FieldChange(path, before, after)]


def diff_lines(changes: Iterable[FieldChange]) -> list[str]:
    out = []
    for change in changes:
        out.append(f"{change.path}:")
        if change.before is not None:
            out.append(f"  - {_show(change.before)}")
        if change.after is not None:
            out.append(f"  + {_show(change.after)}")
    return out


def _show(value: Any) -> str:
    if isinstance(value, Mapping | list):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def _selected(pcs: KubeObject, role: str | None) -> list[int]:
    """Indexes of the clique templates of ``role`` (all when None)."""
    cliques = clique_templates(pcs)
    if role is None:
        return list(range(len(cliques)))
    chosen = [i for i, c in enumerate(cliques) if c.role == role]
    if not chosen:
        known = ", ".join(sorted({c.role for c in cliques}))
        raise UserError(f'role "{role}" is not in PodCliqueSet {f.name(pcs)} (its roles: {known})')
    return chosen


def with_image(pcs: KubeObject, image: str, role: str | None, container: str | None) -> dict[str, Any]:
    """The template with ``image`` in the matching containers (of ``role``'s cliques, named ``container``)."""
    template = copy.deepcopy(dict(template_of(pcs)))
    matched = 0
    for index in _selected(pcs, role):
        for entry in f.seq(f.get(template["cliques"][index], "spec", "podSpec", "containers")):
            if container is None or entry.get("name") == container:
                entry["image"] = image
                matched += 1
    if not matched:
        where = f" of role {role}" if role else ""
        raise UserError(f'no container named "{container}" in the cliques{where} of {f.name(pcs)}')
    return template


def with_restart(pcs: KubeObject, role: str | None, stamp: str) -> dict[str, Any]:
    """The template with a new ``kubectl-grove.io/restartedAt`` annotation on the selected clique templates."""
    template = copy.deepcopy(dict(template_of(pcs)))
    for index in _selected(pcs, role):
        clique = template["cliques"][index]
        clique["annotations"] = {**(clique.get("annotations") or {}), RESTARTED_AT: stamp}
    return template


def pods_per_role(state: State, pcs: KubeObject, roles: Iterable[str]) -> dict[str, int]:
    """Pods now running each role (what a template change of those roles replaces)."""
    wanted = set(roles)
    counts: dict[str, int] = dict.fromkeys(sorted(wanted), 0)
    for pod in build_pcs(state, f.namespace(pcs), f.name(pcs)).pods():
        if pod.role in wanted and not pod.facts.finished:
            counts[pod.role] += 1
    return counts


def changed_roles(pcs: KubeObject, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Roles whose clique template (labels, annotations, podSpec: what the pod-template hash covers) changed."""
    old = {f.text(f.mapping(c).get("name")): c for c in f.seq(before.get("cliques"))}
    roles = []
    for clique in f.seq(after.get("cliques")):
        name = f.text(f.mapping(clique).get("name"))
        previous = f.mapping(old.get(name))
        hashed = ("labels", "annotations")
        if any(previous.get(k) != f.mapping(clique).get(k) for k in hashed) or f.get(
            previous, "spec", "podSpec"
        ) != f.get(clique, "spec", "podSpec"):
            roles.append(f.text(f.get(clique, "spec", "roleName")) or name)
    return roles


def template_change(
    state: State, pcs: KubeObject, after: Mapping[str, Any], title: str, *, nothing: str = "no change"
) -> Change:
    """The change that writes template ``after`` onto the PCS: field diff, affected pods, preview intent, write."""
    before = template_of(pcs)
    diff = field_diff(before, after)
    if not diff:
        return Change(title, (), (), (), nothing=f"nothing to do: {nothing}")
    namespace, name = f.namespace(pcs), f.name(pcs)
    roles = changed_roles(pcs, before, after)
    counts = pods_per_role(state, pcs, roles)
    total = sum(counts.values())
    lines = diff_lines(diff)
    if roles:
        per_role = ", ".join(f"{n} {r}" for r, n in counts.items())
        strategy = f.text(f.get(pcs, "spec", "updateStrategy", "type")) or "RollingRecreate"
        lines.append(f"affected pods: {total} ({per_role}); Grove replaces them by {strategy}")
    else:
        lines.append("no pod template changes: Grove replaces no pods")
    patch = {"spec": {"template": merge_patch(before, after)}}
    rv = str(f.get(pcs, "metadata", "resourceVersion") or "")
    info = KINDS[kinds.PODCLIQUESET]

    def send(writer: Any, dry_run: bool) -> Any:
        return writer.merge_patch(info, namespace, name, patch, resource_version=rv, dry_run=dry_run)

    revision = TemplateChange(
        namespace,
        name,
        f.text(f.get(pcs, "metadata", "uid")),
        f.integer(f.get(pcs, "metadata", "generation"), 1),
        dict(before),
        dict(after),
    )
    write = Write(f"PodCliqueSet {name} spec.template (merge patch, resourceVersion {rv})", send)
    intent = ChangeTemplate(namespace, name, dict(after))
    return Change(title, tuple(lines), (intent,), (write,), template=revision)

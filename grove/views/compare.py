"""A plan against what runs (or against another plan): field by field, the topology, and what to run about it.

A configuration field differs when its value differs. The topology differs when a gang occupies more domains of its
pack level than the plan allowed (fewer is not a difference: it is the plan, met better), when the binding or a pack
constraint changed, or when the placement score fell below the plan's target (by more than 0.005). Recommendations
are commands that exist: ``scale`` for replicas, ``update`` for images, ``fit``/``topology`` for placement, ``apply``
for the rest of the template.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.views.plan import ContainerPlan, Plan, RolePlan, counts_text, domains_per_gang, per_gang_text, when_text

CONFIG = "configuration"
TOPOLOGY = "topology"
SCORE_SLACK = 0.005
NOT_JUDGED = (
    "no pod of this workload is on a node that can be seen (not scheduled, or nodes are not readable: placement "
    "needs list on nodes)"
)


@attrs.frozen
class Difference:
    section: str  # CONFIG | TOPOLOGY
    field: str
    planned: str
    actual: str
    same: bool
    note: str = ""  # why it matters, e.g. "fragmentation"
    judged: bool = True  # False: it cannot be told here (then it does not count as a difference)


@attrs.frozen
class Comparison:
    planned: Plan
    actual: Plan
    fields: tuple[Difference, ...]
    recommendations: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return any(not d.same for d in self.fields)

    def section(self, name: str) -> tuple[Difference, ...]:
        return tuple(d for d in self.fields if d.section == name)


def compare(planned: Plan, actual: Plan) -> Comparison:
    fields: list[Difference] = []
    advice: list[str] = []
    _config(planned, actual, fields, advice)
    _topology(planned, actual, fields, advice)
    unique = tuple(dict.fromkeys(advice))
    return Comparison(planned, actual, tuple(fields), unique)


def _cmd(plan: Plan, *words: str) -> str:
    return "kubectl grove " + " ".join(shlex.quote(w) for w in (words[0], plan.pcs, "-n", plan.namespace, *words[1:]))


def _field(out: list[Difference], section: str, name: str, planned: object, actual: object, note: str = "") -> bool:
    same = planned == actual
    out.append(Difference(section, name, str(planned), str(actual), same, "" if same else note))
    return same


# ------------------------------------------------------------------------------------------------ configuration


def _config(planned: Plan, actual: Plan, out: list[Difference], advice: list[str]) -> None:
    if not _field(out, CONFIG, "replicas", planned.replicas, actual.replicas):
        advice.append(
            "PodCliqueSet replicas differ from the plan. Run: "
            + _cmd(actual, "scale", "--replicas", str(planned.replicas))
        )
    now = {r.clique: r for r in actual.roles}
    groups_done: set[str] = set()
    template_drift: list[str] = []
    for role in planned.roles:
        label = planned.role_label(role)
        current = now.pop(role.clique, None)
        if current is None:
            _field(out, CONFIG, label, "present", "absent", "role removed")
            template_drift.append(label)
            continue
        _role(planned, actual, role, current, label, out, advice, template_drift, groups_done)
    for extra in now.values():
        label = actual.role_label(extra)
        _field(out, CONFIG, label, "absent", "present", "role not in the plan")
        template_drift.append(label)
    if template_drift:
        advice.append(
            f"{', '.join(dict.fromkeys(template_drift))}: the template differs from the plan; change it with "
            f"kubectl grove apply -f PCS.yaml (see {_cmd(actual, 'rollout', 'history')} for who changed what)"
        )


def _role(
    planned: Plan,
    actual: Plan,
    role: RolePlan,
    current: RolePlan,
    label: str,
    out: list[Difference],
    advice: list[str],
    template_drift: list[str],
    groups_done: set[str],
) -> None:
    shown = min(len(role.replicas), len(current.replicas))  # PCS replicas that exist in both
    if role.group is None:
        if not _field(out, CONFIG, f"{label}.replicas", counts_text(role.replicas[:shown] or role.replicas),
                      counts_text(current.replicas[:shown] or current.replicas)):  # fmt: skip
            advice.extend(_scale_advice(actual, "--role", role.role, role.replicas[:shown], current.replicas[:shown]))
    else:
        if not _field(out, CONFIG, f"{label}.replicas", counts_text(role.replicas), counts_text(current.replicas)):
            template_drift.append(label)
        if role.group not in groups_done:
            groups_done.add(role.group)
            wanted, now = role.group_replicas[:shown], current.group_replicas[:shown]
            if not _field(out, CONFIG, f"group {role.group}.replicas", counts_text(wanted or role.group_replicas),
                          counts_text(now or current.group_replicas)):  # fmt: skip
                advice.extend(_scale_advice(actual, "--group", role.group, wanted, now))
    if not _field(out, CONFIG, f"{label}.gpusPerPod", role.gpus_per_pod, current.gpus_per_pod):
        template_drift.append(label)
    containers = {c.name: c for c in current.containers}
    single = len(role.containers) == 1 and len(current.containers) == 1
    for container in role.containers:
        prefix = label if single else f"{label}.{container.name}"
        mine = containers.pop(container.name, None)
        if mine is None:
            _field(out, CONFIG, f"{label}.{container.name}", "present", "absent", "container removed")
            template_drift.append(label)
            continue
        if not _field(out, CONFIG, f"{prefix}.image", container.image, mine.image, "image drift"):
            words = ["update", "--role", role.role] + ([] if single else ["--container", container.name])
            advice.append(f"Image drift on {label}. Run: {_cmd(actual, *words, '--image', container.image)}")
        if not _field(out, CONFIG, f"{prefix}.resources", _resources(container), _resources(mine)):
            template_drift.append(label)
    for extra in containers:
        _field(out, CONFIG, f"{label}.{extra}", "absent", "present", "container not in the plan")
        template_drift.append(label)


def _scale_advice(actual: Plan, flag: str, what: str, wanted: Sequence[int], now: Sequence[int]) -> list[str]:
    if not wanted:
        return []
    unit = "pods" if flag == "--role" else "replicas"
    if len(set(wanted)) == 1:
        return [
            f"{what} has {counts_text(now)} {unit}, the plan {wanted[0]}. Run: "
            + _cmd(actual, "scale", flag, f"{what}={wanted[0]}")
        ]
    return [
        f"{what} of PCS replica {i} has {n} {unit}, the plan {w}. Run: "
        + _cmd(actual, "scale", flag, f"{what}={w}", "--replica", str(i))
        for i, (w, n) in enumerate(zip(wanted, now, strict=False))
        if w != n
    ]


def _resources(container: ContainerPlan) -> str:
    def part(name: str, values: Mapping[str, str]) -> str:
        return f"{name} " + " ".join(f"{k}={v}" for k, v in sorted(values.items())) if values else ""

    text = "; ".join(p for p in (part("requests", container.requests), part("limits", container.limits)) if p)
    return text or "(none)"


# ------------------------------------------------------------------------------------------------ topology


def _topology(planned: Plan, actual: Plan, out: list[Difference], advice: list[str]) -> None:
    template = _field(out, TOPOLOGY, "binding", planned.binding or "(none)", actual.binding or "(none)")
    for subject in sorted({*planned.constraints, *actual.constraints}):
        template &= _field(out, TOPOLOGY, f"pack {subject}", _pack(planned.constraints.get(subject)),
                           _pack(actual.constraints.get(subject)))  # fmt: skip
    if not template:
        advice.append(
            "The topology constraints differ from the plan: they are part of the template; change them with "
            "kubectl grove apply -f PCS.yaml"
        )
    per_plan, per_now = domains_per_gang(planned), domains_per_gang(actual)
    if per_plan and not per_now:
        # no gang of this workload is on a node that can be seen (nodes not readable, or nothing scheduled yet):
        # where the gangs are, and the score, cannot be told
        out.append(Difference(TOPOLOGY, "placement", per_gang_text(per_plan), "cannot be judged", True,
                              NOT_JUDGED, judged=False))  # fmt: skip
        return
    fragmented = False
    for key in dict.fromkeys([*per_plan, *per_now]):
        kind, level = key
        allowed, most = per_plan.get(key), per_now.get(key)
        spread = allowed is not None and most is not None and most > allowed
        fragmented |= spread
        out.append(Difference(TOPOLOGY, f"{kind} gangs: {level}s each", str(allowed or "-"), str(most or "-"),
                              not spread, "fragmentation" if spread else ""))  # fmt: skip
    planned_gangs = {g.name: g for g in planned.gangs}
    for gang in actual.gangs:
        before = planned_gangs.pop(gang.name, None)
        planned_limit = per_plan.get(("base" if gang.base else "scaled", gang.level))
        limit = len(before.domains) if before is not None and before.domains else planned_limit
        spread = limit is not None and len(gang.domains) > limit
        out.append(
            Difference(
                TOPOLOGY,
                f"gang {gang.name}",
                (", ".join(before.domains) or "(not scheduled)") if before is not None else "(not in the plan)",
                ", ".join(gang.domains) or "(not scheduled)",
                not spread,
                f"spans {len(gang.domains)} {gang.level}s" if spread else "",
            )
        )
    for gone in planned_gangs.values():
        out.append(Difference(TOPOLOGY, f"gang {gone.name}", ", ".join(gone.domains) or "-", "(gone)", True))
    target, score = planned.score, actual.score
    below = target is not None and (score is None or score < target - SCORE_SLACK)
    out.append(
        Difference(
            TOPOLOGY, "placementScore", _score(target), _score(score), not below, "below target" if below else ""
        )
    )
    if fragmented or below:
        advice.append(
            f"Placement is worse than planned. See where the gangs are: {_cmd(actual, 'topology')}; whether they "
            f"can be packed now: {_cmd(actual, 'fit')}"
        )


def _pack(pack: Mapping[str, str] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(pack.items())) if pack else "(none)"


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.2f}"


# ------------------------------------------------------------------------------------------------ rendering


def _row(d: Difference, width: int) -> str:
    head = f"  {(d.field + ':').ljust(width)} "
    if not d.judged:
        return f"{head}{d.planned} (plan); actual {d.actual}  ? {d.note}"
    if d.same and d.planned == d.actual and len(d.planned) > 24:
        return f"{head}{d.planned}  ✓ (plan = actual)"  # a long value once
    note = f" {d.note}" if d.note else ""
    sign, mark = ("=", "✓") if d.same else ("≠", "⚠")
    return f"{head}{d.planned} (plan) {sign} {d.actual} (actual)  {mark}{note}"


def compare_lines(comparison: Comparison, *, verbose: bool) -> list[str]:
    """``compare``: the differences (every field with ``verbose``), the topology, the recommendations."""
    planned = comparison.planned
    title = f"Plan vs Actual: {planned.pcs}"
    lines = [title, "━" * len(title)]
    taken = f", taken {when_text(planned.created)}" if planned.created else ""
    lines.append(f"  plan: {planned.name or '(file)'}{taken}")
    config = comparison.section(CONFIG)
    topology = [d for d in comparison.section(TOPOLOGY) if verbose or not d.field.startswith("gang ") or not d.same]
    width = max((len(d.field) + 1 for d in comparison.fields), default=10)
    lines += ["", "Configuration Differences:"]
    shown = [d for d in config if verbose or not d.same]
    lines += [_row(d, width) for d in shown]
    matching = sum(1 for d in config if d.same)
    if not verbose and matching:
        lines.append(f"  ({matching} field(s) match the plan; --verbose lists them)" if shown else
                     f"  none: all {matching} field(s) match the plan")  # fmt: skip
    lines += ["", "Topology Analysis:"]
    lines += [_row(d, width) for d in topology]
    lines += ["", "Recommendation:"]
    lines += [f"  → {r}" for r in comparison.recommendations] or ["  none: what runs matches the plan"]
    return lines


def diff_lines(comparison: Comparison, before: str, after: str) -> list[str]:
    """``plan diff``: only what changed, as ``field: old → new``."""
    changed = [d for d in comparison.fields if d.planned != d.actual]
    if not changed:
        return [f"{before} and {after} are the same"]
    width = max(len(d.field) + 1 for d in changed)
    return [f"{before} → {after}:"] + [f"  {(d.field + ':').ljust(width)} {d.planned} → {d.actual}" for d in changed]


def comparison_document(comparison: Comparison) -> dict[str, Any]:
    """``compare -o json|yaml`` (schema: docs/output.md, "PlanComparison")."""
    return {
        "apiVersion": "kubectl-grove/v1",
        "kind": "PlanComparison",
        "podCliqueSet": comparison.actual.pcs,
        "namespace": comparison.actual.namespace,
        "plan": comparison.planned.name,
        "differs": comparison.differs,
        "fields": [
            {
                "section": d.section,
                "field": d.field,
                "planned": d.planned,
                "actual": d.actual,
                "same": d.same,
                "note": d.note,
                "judged": d.judged,
            }
            for d in comparison.fields
        ],
        "recommendations": list(comparison.recommendations),
    }

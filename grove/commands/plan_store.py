"""Where plans are kept: ControllerRevisions in the cluster, or YAML files for people who keep plans in git.

A stored plan is an ``apps/v1`` ControllerRevision named ``<pcs>-plan-<name>`` in the PCS's namespace, owned by the
PCS (garbage-collected with it), labelled as kubectl-grove's, as a plan (``kubectl-grove.io/kind: plan``, which
keeps plans out of ``rollout history``) and with its name (``kubectl-grove.io/plan``). The API server refuses any
change of a ControllerRevision's ``data``, so a stored plan cannot be edited; a name is taken once (409
AlreadyExists). ``revision`` numbers plans of one PCS in the order they were stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from grove.commands.errors import UsageError, UserError
from grove.events.kube.errors import Conflict
from grove.events.kube.writing import Writer
from grove.reducers import fields as f
from grove.views.plan import Plan, PlanError, plan_document, plan_from_document

OURS = "kubectl-grove"
KIND_LABEL = "kubectl-grove.io/kind"
PLAN_LABEL = "kubectl-grove.io/plan"
PLAN = "plan"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@attrs.frozen
class StoredPlan:
    number: int
    object_name: str  # the ControllerRevision's
    plan: Plan


def is_plan(obj: Mapping[str, Any]) -> bool:
    return f.label(obj, KIND_LABEL) == PLAN


def selector(pcs: str | None) -> str:
    base = f"{f.MANAGED_BY}={OURS},{KIND_LABEL}={PLAN}"
    return f"{base},{f.PART_OF}={pcs}" if pcs else base


def object_name(pcs: str, name: str) -> str:
    return f"{pcs}-plan-{name}"


def check_name(name: str, pcs: str) -> None:
    if not _NAME.match(name) or len(object_name(pcs, name)) > 253:
        raise UsageError(
            f"--name {name!r}: use lowercase letters, digits and '-' (it becomes part of the object's name)"
        )


def _owned(obj: Mapping[str, Any], uid: str) -> bool:
    owners = f.seq(f.get(obj, "metadata", "ownerReferences"))
    return not uid or any(f.mapping(o).get("uid") == uid for o in owners)


def parse_stored(obj: Mapping[str, Any]) -> StoredPlan:
    name = f.text(f.get(obj, "metadata", "name"))
    try:
        plan = plan_from_document(f.mapping(obj.get("data")), f"ControllerRevision {name}")
    except PlanError as exc:
        raise UserError(str(exc)) from None
    return StoredPlan(f.integer(obj.get("revision")), name, plan)


def list_plans(writer: Writer, namespace: str, pcs: str | None, uid: str = "") -> list[StoredPlan]:
    """Plans of ``pcs`` (the ones this very object owns when ``uid`` is given), or of every PCS; oldest first."""
    items = [i for i in writer.list_revisions(namespace, selector(pcs)) if is_plan(i) and _owned(i, uid)]
    plans = [parse_stored(i) for i in items]
    return sorted(plans, key=lambda p: (p.plan.pcs, p.number))


def store(writer: Writer, plan: Plan, uid: str, existing: list[StoredPlan]) -> StoredPlan:
    """Create the plan's ControllerRevision; a taken name ends in one line."""
    number = max((p.number for p in existing), default=0) + 1
    body = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": object_name(plan.pcs, plan.name),
            "namespace": plan.namespace,
            "labels": {f.MANAGED_BY: OURS, f.PART_OF: plan.pcs, KIND_LABEL: PLAN, PLAN_LABEL: plan.name},
            "ownerReferences": [
                {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "name": plan.pcs, "uid": uid}
            ],
        },
        "revision": number,
        "data": plan_document(plan),
    }
    try:
        created = writer.create_revision(body)
    except Conflict as exc:
        if exc.reason == "AlreadyExists":
            raise UserError(
                f"plan {plan.name!r} of {plan.pcs} already exists and plans cannot be changed: choose another "
                f"--name (kubectl grove plan list {plan.pcs} -n {plan.namespace} shows the names taken)"
            ) from None
        raise
    return StoredPlan(number, f.text(f.get(created, "metadata", "name")) or object_name(plan.pcs, plan.name), plan)


def pick(plans: list[StoredPlan], ref: str | None, pcs: str) -> StoredPlan:
    """The plan named ``ref`` (its name, or its number), else the newest."""
    if not plans:
        raise UserError(f"{pcs} has no stored plan (store one: kubectl grove plan store {pcs})")
    if ref is None:
        return plans[-1]
    for p in plans:
        if p.plan.name == ref or str(p.number) == ref:
            return p
    known = ", ".join(p.plan.name for p in plans)
    raise UserError(f"plan {ref!r} of {pcs} not found (its plans: {known})")


def read_file(path: str) -> Plan:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UserError(f"{path} is not valid YAML{where}: fix it or store the plan again") from None
    try:
        return plan_from_document(doc, path)
    except PlanError as exc:
        raise UserError(str(exc)) from None


def write_file(path: str, plan: Plan) -> None:
    """Write the plan as YAML, whole or not at all (a temporary file renamed into place)."""
    import os
    import tempfile

    import yaml

    text = yaml.safe_dump(plan_document(plan), sort_keys=False, default_flow_style=False, allow_unicode=True)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".plan-", suffix=".yaml", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None

"""Revisions of a PodCliqueSet's template, kept by the plugin (Grove keeps none it exposes).

Every template change the plugin makes (update, apply, undo, restart) is stored as an ``apps/v1`` ControllerRevision
in the PCS's namespace: owned by the PCS (garbage-collected with it), labelled ``app.kubernetes.io/managed-by:
kubectl-grove`` and ``app.kubernetes.io/part-of: PCS``, with the command line as ``kubernetes.io/change-cause``.
``data`` holds the template before and after, and the annotations the PCS generation before and after, so
``history`` can tell where someone else changed the PCS (generation moved or template differs with no revision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.commands.plan_store import is_plan
from grove.events.kube.errors import ApiError, TransportError
from grove.events.kube.writing import Writer
from grove.reducers import fields as f

OURS = "kubectl-grove"
CHANGE_CAUSE = "kubernetes.io/change-cause"
GENERATION_BEFORE = "kubectl-grove.io/generation-before"
GENERATION_AFTER = "kubectl-grove.io/generation"


@attrs.frozen
class TemplateChange:
    """A change of ``spec.template`` (and maybe ``spec.updateStrategy``) the plugin is about to write."""

    namespace: str
    pcs: str
    uid: str
    generation: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@attrs.frozen
class Revision:
    number: int
    name: str
    cause: str
    created: str
    generation_before: int
    generation_after: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def selector(pcs: str) -> str:
    return f"{f.MANAGED_BY}={OURS},{f.PART_OF}={pcs}"


def revision_body(change: TemplateChange, number: int, generation_after: int, cause: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "generateName": f"{change.pcs}-",
            "namespace": change.namespace,
            "labels": {f.MANAGED_BY: OURS, f.PART_OF: change.pcs},
            "annotations": {
                CHANGE_CAUSE: cause,
                GENERATION_BEFORE: str(change.generation),
                GENERATION_AFTER: str(generation_after),
            },
            "ownerReferences": [
                {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "name": change.pcs, "uid": change.uid}
            ],
        },
        "revision": number,
        "data": {"before": {"template": dict(change.before)}, "after": {"template": dict(change.after)}},
    }


def parse_revision(obj: Mapping[str, Any]) -> Revision:
    annotations = f.mapping(f.get(obj, "metadata", "annotations"))
    data = f.mapping(obj.get("data"))
    return Revision(
        number=f.integer(obj.get("revision")),
        name=f.text(f.get(obj, "metadata", "name")),
        cause=f.text(annotations.get(CHANGE_CAUSE)),
        created=f.text(f.get(obj, "metadata", "creationTimestamp")),
        generation_before=f.integer(annotations.get(GENERATION_BEFORE)),
        generation_after=f.integer(annotations.get(GENERATION_AFTER)),
        before=f.mapping(f.get(data, "before", "template")),
        after=f.mapping(f.get(data, "after", "template")),
    )


def load_revisions(writer: Writer, namespace: str, pcs: str, uid: str) -> list[Revision]:
    """This PCS's revisions (the ones owned by this very object, not a deleted namesake's), oldest first."""
    items = writer.list_revisions(namespace, selector(pcs))
    owned = [
        i
        for i in items
        if not is_plan(i)  # plans share these labels; they are not template changes
        and (not uid or any(f.mapping(o).get("uid") == uid for o in f.seq(f.get(i, "metadata", "ownerReferences"))))
    ]
    return sorted((parse_revision(i) for i in owned), key=lambda r: r.number)


def record_revision(writer: Writer, change: TemplateChange, answer: Any, cause: str) -> str:
    """Store the revision of a change just written; the line to show (it never fails the command)."""
    generation_after = f.integer(f.get(answer, "metadata", "generation")) or change.generation
    try:
        existing = load_revisions(writer, change.namespace, change.pcs, change.uid)
        number = (existing[-1].number if existing else 0) + 1
        created = writer.create_revision(revision_body(change, number, generation_after, cause))
    except (ApiError, TransportError) as exc:
        return (
            f"revision not recorded ({exc.message}): `rollout history` will show this change as made outside "
            "kubectl-grove"
        )
    return f"revision {number} recorded (ControllerRevision {f.text(f.get(created, 'metadata', 'name'))})"


# ------------------------------------------------------------------------------------------------------ history


@attrs.frozen
class HistoryEntry:
    """A revision, or a change found between revisions that none of them records."""

    revision: Revision | None
    note: str  # for a gap: what moved


def history(revisions: Sequence[Revision], template: Mapping[str, Any], generation: int) -> list[HistoryEntry]:
    """Revisions in order, with a gap entry wherever the PCS changed without one."""
    entries: list[HistoryEntry] = []
    previous: Revision | None = None
    for revision in revisions:
        if previous is not None:
            gap = _gap(previous.after, previous.generation_after, revision.before, revision.generation_before)
            if gap:
                entries.append(HistoryEntry(None, gap))
        entries.append(HistoryEntry(revision, ""))
        previous = revision
    if previous is not None:
        gap = _gap(previous.after, previous.generation_after, template, generation)
        if gap:
            entries.append(HistoryEntry(None, gap + " (since the last revision)"))
    return entries


def _gap(before: Mapping[str, Any], generation_before: int, after: Mapping[str, Any], generation_after: int) -> str:
    if dict(before) != dict(after):
        return (
            f"template changed outside kubectl-grove (generation {generation_before} → {generation_after}), no revision"
        )
    if generation_before and generation_after and generation_before != generation_after:
        return (
            f"spec changed without a template change (generation {generation_before} → {generation_after}: "
            "replicas or other fields)"
        )
    return ""

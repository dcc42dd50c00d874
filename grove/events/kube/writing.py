"""Writes to the API server: the ``/scale`` subresource, merge and JSON patches with a resourceVersion precondition,
server-side apply, and the few objects the plugin keeps beside a workload (ControllerRevisions); HPAs are read here
too, because a write has to know whether one will undo it.

Every write takes ``dry_run``: the server validates and answers as if it wrote (``dryRun=All``), and stores nothing.
Nothing here retries a write: a 409 is the caller's to explain (re-read, preview again, ask again).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import orjson

from grove.events.kinds import KindInfo
from grove.events.kube.http import Http, resource_path

FIELD_MANAGER = "kubectl-grove"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"  # JSON is YAML: the body is sent as JSON
REVISIONS_API = "/apis/apps/v1"
HPA_API = "/apis/autoscaling/v2"
ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@attrs.frozen
class Scale:
    """An ``autoscaling/v1`` Scale: the object's desired replicas, what it has, and the resourceVersion read."""

    name: str
    namespace: str
    replicas: int
    status_replicas: int
    selector: str
    resource_version: str

    @classmethod
    def from_body(cls, body: Any) -> Scale:
        meta = body.get("metadata") or {} if isinstance(body, dict) else {}
        spec = body.get("spec") or {} if isinstance(body, dict) else {}
        status = body.get("status") or {} if isinstance(body, dict) else {}
        return cls(
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
            replicas=int(spec.get("replicas") or 0),
            status_replicas=int(status.get("replicas") or 0),
            selector=str(status.get("selector") or ""),
            resource_version=str(meta.get("resourceVersion") or ""),
        )


def object_path(info: KindInfo, namespace: str, name: str, subresource: str | None = None) -> str:
    """The URL path of one object (or one of its subresources)."""
    path = f"{resource_path(info, namespace)}/{urllib.parse.quote(name, safe='')}"
    return f"{path}/{subresource}" if subresource else path


def _namespaced(api: str, namespace: str, plural: str) -> str:
    return f"{api}/namespaces/{urllib.parse.quote(namespace, safe='')}/{plural}"


def _query(dry_run: bool, *, force: bool = False) -> dict[str, str | int]:
    """``fieldManager`` on every write; ``dryRun=All`` for a rehearsal; ``force`` for apply only."""
    query: dict[str, str | int] = {"fieldManager": FIELD_MANAGER}
    if dry_run:
        query["dryRun"] = "All"
    if force:
        query["force"] = "true"
    return query


class Writer:
    """The write verbs over one ``Http`` (which the caller owns and closes)."""

    def __init__(self, http: Http) -> None:
        self.http = http

    # -------------------------------------------------------------------------------------------- reads

    def get(self, info: KindInfo, namespace: str, name: str) -> dict[str, Any]:
        body = self.http.get_json(object_path(info, namespace, name))
        return body if isinstance(body, dict) else {}

    def get_scale(self, info: KindInfo, namespace: str, name: str) -> Scale:
        return Scale.from_body(self.http.get_json(object_path(info, namespace, name, "scale")))

    def list_revisions(self, namespace: str, label_selector: str) -> list[dict[str, Any]]:
        """ControllerRevisions (``apps/v1``) matching a label selector."""
        body = self.http.get_json(
            _namespaced(REVISIONS_API, namespace, "controllerrevisions"), {"labelSelector": label_selector}
        )
        return [i for i in (body.get("items") or ()) if isinstance(i, dict)] if isinstance(body, dict) else []

    def get_revision(self, namespace: str, name: str) -> dict[str, Any]:
        """One ControllerRevision by name (``NotFound`` when there is none)."""
        path = f"{_namespaced(REVISIONS_API, namespace, 'controllerrevisions')}/{urllib.parse.quote(name, safe='')}"
        body = self.http.get_json(path)
        return body if isinstance(body, dict) else {}

    def list_hpas(self, namespace: str) -> list[dict[str, Any]]:
        """HorizontalPodAutoscalers (``autoscaling/v2``) of a namespace."""
        body = self.http.get_json(_namespaced(HPA_API, namespace, "horizontalpodautoscalers"))
        return [i for i in (body.get("items") or ()) if isinstance(i, dict)] if isinstance(body, dict) else []

    def can_i(self, verb: str, group: str, resource: str, namespace: str) -> tuple[bool, str]:
        """A SelfSubjectAccessReview: may this user ``verb`` the ``resource``? (allowed, the authorizer's reason)."""
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {"namespace": namespace, "verb": verb, "group": group, "resource": resource}
            },
        }
        answer = self.http.send_json("POST", ACCESS_REVIEWS, orjson.dumps(body))
        status = answer.get("status") if isinstance(answer, dict) else None
        status = status if isinstance(status, dict) else {}
        return bool(status.get("allowed")), str(status.get("reason") or "")

    # -------------------------------------------------------------------------------------------- writes

    def put_scale(
        self, info: KindInfo, namespace: str, name: str, replicas: int, resource_version: str, *, dry_run: bool
    ) -> Scale:
        """Replace the Scale with ``replicas``; the resourceVersion read is the precondition (409 when it moved)."""
        body = {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": resource_version},
            "spec": {"replicas": replicas},
        }
        answer = self.http.send_json(
            "PUT", object_path(info, namespace, name, "scale"), orjson.dumps(body), query=_query(dry_run)
        )
        return Scale.from_body(answer)

    def merge_patch(
        self,
        info: KindInfo,
        namespace: str,
        name: str,
        patch: Mapping[str, Any],
        *,
        resource_version: str,
        dry_run: bool,
    ) -> dict[str, Any]:
        """An RFC 7386 merge patch carrying ``metadata.resourceVersion``: the server refuses it (409) when it moved."""
        meta = dict(patch.get("metadata") or {})
        meta["resourceVersion"] = resource_version
        body = {**patch, "metadata": meta}
        answer = self.http.send_json(
            "PATCH",
            object_path(info, namespace, name),
            orjson.dumps(body),
            query=_query(dry_run),
            content_type=MERGE_PATCH,
        )
        return answer if isinstance(answer, dict) else {}

    def json_patch(
        self,
        info: KindInfo,
        namespace: str,
        name: str,
        operations: Sequence[Mapping[str, Any]],
        *,
        resource_version: str,
        dry_run: bool,
    ) -> dict[str, Any]:
        """An RFC 6902 patch led by a ``test`` of the resourceVersion (a moved object fails it: 422, not 409)."""
        ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}, *operations]
        answer = self.http.send_json(
            "PATCH",
            object_path(info, namespace, name),
            orjson.dumps(ops),
            query=_query(dry_run),
            content_type=JSON_PATCH,
        )
        return answer if isinstance(answer, dict) else {}

    def apply(self, info: KindInfo, obj: Mapping[str, Any], *, force: bool, dry_run: bool) -> dict[str, Any]:
        """Server-side apply as field manager ``kubectl-grove``; ``force`` takes fields other managers own."""
        meta = obj.get("metadata") or {}
        answer = self.http.send_json(
            "PATCH",
            object_path(info, str(meta.get("namespace") or ""), str(meta.get("name") or "")),
            orjson.dumps(obj),
            query=_query(dry_run, force=force),
            content_type=APPLY_PATCH,
        )
        return answer if isinstance(answer, dict) else {}

    def create_revision(self, revision: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """POST a ControllerRevision (its namespace from its metadata)."""
        namespace = str((revision.get("metadata") or {}).get("namespace") or "")
        answer = self.http.send_json(
            "POST",
            _namespaced(REVISIONS_API, namespace, "controllerrevisions"),
            orjson.dumps(revision),
            query=_query(dry_run),
        )
        return answer if isinstance(answer, dict) else {}

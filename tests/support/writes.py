"""The loopback API server's write endpoints, shaped like a real kube-apiserver's answers (``k8s-wire/writes/``).

- ``GET|PUT|PATCH …/{podcliquesets,podcliquescalinggroups,podcliques}/NAME/scale``: an ``autoscaling/v1`` Scale;
  a PUT's ``metadata.resourceVersion`` is a precondition (409 ``Conflict`` when the object moved).
- ``PATCH …/NAME`` with ``application/merge-patch+json`` (``metadata.resourceVersion`` in the patch is a
  precondition), ``application/json-patch+json`` (``test`` failures are a bare 422, as a real server answers) and
  ``application/apply-patch+yaml`` (server-side apply: fields owned by another manager with another value are
  conflicts, 409 with a cause per field, unless ``force=true``).
- ``GET|POST /apis/apps/v1/namespaces/NS/controllerrevisions`` (``generateName``, label selectors) and
  ``GET /apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers``.
- ``POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews``: allowed unless the resource is in ``forbidden``.
- ``dryRun=All`` answers as if written and stores nothing; validation failures are 422 with the field path;
  ``forbidden`` answers an RBAC-style 403 per resource (``podcliquesets/scale``, ``controllerrevisions``, …).

Writes that are not dry runs go through ``KubeServer.put``, so watches see them. Every write is kept in ``writes``
(method, path, query, content type, decoded body) for tests to check what the server received.
"""

from __future__ import annotations

import copy
import random
import string
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from grove.events.kinds import KINDS, KindInfo
from grove.events.kube.merge import apply_merge_patch

if TYPE_CHECKING:
    from tests.support.kube_server import KubeServer

ObjKey = tuple[str, str]
SCALABLE = {"podcliquesets", "podcliquescalinggroups", "podcliques"}
VERBS = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create", "DELETE": "delete"}


@attrs.frozen
class Write:
    """One write the server received."""

    method: str
    path: str
    query: Mapping[str, str]
    content_type: str
    body: Any

    @property
    def dry_run(self) -> bool:
        return self.query.get("dryRun") == "All"


class _Refused(Exception):
    def __init__(self, code: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.code = code
        self.body = body


def status(code: int, reason: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    body.update({"message": message, "reason": reason})
    if details is not None:
        body["details"] = dict(details)
    body["code"] = code
    return body


class WriteEndpoints:
    """State and handlers of the write side; ``KubeServer.writes`` is one of these."""

    def __init__(self, server: KubeServer) -> None:
        self.server = server
        self.revisions: dict[ObjKey, dict[str, Any]] = {}
        self.hpas: dict[ObjKey, dict[str, Any]] = {}
        # resource ("podcliquesets/scale", "podcliquesets", "controllerrevisions") -> user named in the 403
        self.forbidden: dict[str, str] = {}
        # (kind, namespace, name) -> field path (".spec.replicas") -> the manager owning it, as a conflict names it:
        # "kubectl" (an apply; a bare name is taken as that), '"kubectl-grove" using grove.io/v1alpha1' (an update),
        # '"kubectl-grove" with subresource "scale" using grove.io/v1alpha1' (an update through /scale)
        self.field_owners: dict[tuple[str, str, str], dict[str, str]] = {}
        # run (and dropped) just before the next write that is not a dry run: a concurrent change
        self.before_write: list[Callable[[], None]] = []
        self.writes: list[Write] = []
        self._rng = random.Random(7)

    # -------------------------------------------------------------------------------------------- seeding

    def add_hpa(self, namespace: str, name: str, target_kind: str, target_name: str, max_replicas: int = 10) -> None:
        self.hpas[(namespace, name)] = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4()), "resourceVersion": "1"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "grove.io/v1alpha1", "kind": target_kind, "name": target_name},
                "minReplicas": 1,
                "maxReplicas": max_replicas,
            },
        }

    def real_writes(self) -> list[Write]:
        return [w for w in self.writes if not w.dry_run]

    # -------------------------------------------------------------------------------------------- dispatch

    def handle(self, h: Any, method: str, path: str, query: dict[str, str], user: str, body: bytes) -> bool:
        """Answer the request when it is one of ours (True), else leave it to the read side (False)."""
        parts = path.strip("/").split("/")
        try:
            if parts[:3] == ["apis", "apps", "v1"] and len(parts) >= 6 and parts[5] == "controllerrevisions":
                self._revisions(method, parts[4], parts[6] if len(parts) > 6 else None, query, user, body, h)
                return True
            if parts[:3] == ["apis", "autoscaling", "v2"] and parts[5:6] == ["horizontalpodautoscalers"]:
                self._check_allowed("horizontalpodautoscalers", "autoscaling", method, parts[4], None, user)
                items = [v for (ns, _), v in sorted(self.hpas.items()) if ns == parts[4]]
                self._send(h, 200, {"kind": "HorizontalPodAutoscalerList", "apiVersion": "autoscaling/v2",
                                    "metadata": {"resourceVersion": "1"}, "items": items})  # fmt: skip
                return True
            if path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" and method == "POST":
                review = orjson.loads(body)
                attributes = review.get("spec", {}).get("resourceAttributes", {})
                review["status"] = {"allowed": attributes.get("resource") not in self.forbidden}
                self._send(h, 201, review)
                return True
            target = self._grove_target(parts)
            if target is None:
                return False
            info, namespace, name, sub = target
            if sub == "scale":
                self._scale(h, method, info, namespace, name, query, user, body)
                return True
            if sub is None and method == "PATCH":
                content_type = h.headers.get("Content-Type", "")
                self._patch(h, info, namespace, name, query, user, body, content_type)
                return True
            return False
        except _Refused as refused:
            self._send(h, refused.code, refused.body)
            return True

    def _grove_target(self, parts: list[str]) -> tuple[KindInfo, str, str, str | None] | None:
        if len(parts) not in (7, 8) or parts[0] != "apis" or parts[3] != "namespaces":
            return None
        info = next((i for i in KINDS.values() if (i.group, i.version, i.plural) == (*tuple(parts[1:3]), parts[5])),
                    None)  # fmt: skip
        if info is None or info.plural not in SCALABLE:
            return None
        return info, parts[4], parts[6], parts[7] if len(parts) == 8 else None

    def _send(self, h: Any, code: int, body: Any) -> None:
        self.server._send_json(h, code, body)

    def _record(self, h: Any, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        content_type = h.headers.get("Content-Type", "")
        try:
            decoded = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            decoded = body.decode("utf-8", "replace")
        self.writes.append(Write(method, path, dict(query), content_type, decoded))
        if query.get("dryRun") != "All":
            hooks, self.before_write[:] = list(self.before_write), []
            for hook in hooks:
                hook()
        return decoded

    # -------------------------------------------------------------------------------------------- checks

    def _check_allowed(
        self, resource: str, group: str, method: str, namespace: str, name: str | None, user: str
    ) -> None:
        who = self.forbidden.get(resource)
        if who is None:
            return
        verb = VERBS.get(method, method.lower())
        if method == "GET" and name is None:
            verb = "list"
        plural = resource.split("/")[0]
        what = f'{plural}.{group} "{name}"' if name else f"{plural}.{group}"
        message = (
            f'{what} is forbidden: User "{who}" cannot {verb} resource "{resource}" in API group "{group}" '
            f'in the namespace "{namespace}"'
        )
        details: dict[str, Any] = {"group": group, "kind": plural}
        if name:
            details = {"name": name, **details}
        raise _Refused(403, status(403, "Forbidden", message, details))

    def _stored(self, info: KindInfo, namespace: str, name: str) -> dict[str, Any]:
        with self.server._cond:
            obj = self.server._store[info.kind].get((namespace, name))
            if obj is None:
                message = f'{info.plural}.{info.group} "{name}" not found'
                raise _Refused(404, status(404, "NotFound", message, {"name": name, "group": info.group,
                                                                     "kind": info.plural}))  # fmt: skip
            return copy.deepcopy(obj)

    @staticmethod
    def _conflict(info: KindInfo, name: str) -> _Refused:
        message = (
            f'Operation cannot be fulfilled on {info.plural}.{info.group} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again"
        )
        return _Refused(409, status(409, "Conflict", message, {"name": name, "group": info.group, "kind": info.plural}))

    @staticmethod
    def _invalid(info: KindInfo, name: str, obj: Mapping[str, Any]) -> None:
        causes = []
        spec = obj.get("spec") or {}
        replicas = spec.get("replicas")
        if isinstance(replicas, int) and replicas < 0:
            causes.append((".spec.replicas", f"Invalid value: {replicas}: should be a non-negative integer"))
        if not causes:
            return
        message = f'{info.kind}.{info.group} "{name}" is invalid: ' + ", ".join(f"{f}: {m}" for f, m in causes)
        details = {
            "name": name,
            "group": info.group,
            "kind": info.kind,
            "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes],
        }
        raise _Refused(422, status(422, "Invalid", message, details))

    def _store(self, info: KindInfo, before: Mapping[str, Any], after: dict[str, Any], dry_run: bool) -> Any:
        """Validate, bump the generation when the spec changed, and store unless a dry run; the answer's body."""
        self._invalid(info, str(after["metadata"]["name"]), after)
        if after.get("spec") != before.get("spec"):
            after["metadata"]["generation"] = int(before["metadata"].get("generation") or 1) + 1
        if dry_run:
            return self.server._with_kind(info, after)
        return self.server._with_kind(info, self.server.put(info.kind, after))

    # -------------------------------------------------------------------------------------------- scale

    def _scale(
        self, h: Any, method: str, info: KindInfo, ns: str, name: str, query: dict[str, str], user: str, body: bytes
    ) -> None:
        self._check_allowed(f"{info.plural}/scale", info.group, method, ns, name, user)
        if method != "GET":
            decoded = self._record(h, method, h.path.split("?")[0], query, body)
        obj = self._stored(info, ns, name)
        if method in ("PUT", "PATCH"):
            spec = (decoded or {}).get("spec") or {}
            precondition = ((decoded or {}).get("metadata") or {}).get("resourceVersion")
            if precondition and precondition != obj["metadata"]["resourceVersion"]:
                raise self._conflict(info, name)
            after = copy.deepcopy(obj)
            if "replicas" in spec:
                after["spec"]["replicas"] = spec["replicas"]
            obj = self._store(info, obj, after, query.get("dryRun") == "All")
            manager = query.get("fieldManager", "unknown")
            self._own(info, ns, name, [".spec.replicas"], manager, query, subresource="scale")
        self._send(h, 200, self._scale_body(info, obj))

    @staticmethod
    def _scale_body(info: KindInfo, obj: Mapping[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        st = obj.get("status") or {}
        selector = (
            st.get("selector")
            or st.get("hpaPodSelector")
            or (f"app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of={meta['name']}")
        )
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
            },
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
            "status": {"replicas": st.get("replicas", 0), "selector": selector},
        }

    # -------------------------------------------------------------------------------------------- patch

    def _patch(
        self,
        h: Any,
        info: KindInfo,
        ns: str,
        name: str,
        query: dict[str, str],
        user: str,
        body: bytes,
        content_type: str,
    ) -> None:
        self._check_allowed(info.plural, info.group, "PATCH", ns, name, user)
        decoded = self._record(h, "PATCH", h.path.split("?")[0], query, body)
        dry_run = query.get("dryRun") == "All"
        if content_type.startswith("application/apply-patch"):
            if isinstance(decoded, str):
                import yaml

                decoded = yaml.safe_load(decoded)
            self._send(h, 200, self._apply(info, ns, name, decoded, query, dry_run))
            return
        obj = self._stored(info, ns, name)
        if content_type.startswith("application/merge-patch+json"):
            precondition = ((decoded or {}).get("metadata") or {}).get("resourceVersion")
            if precondition and precondition != obj["metadata"]["resourceVersion"]:
                raise self._conflict(info, name)
            patch = copy.deepcopy(decoded)
            patch.get("metadata", {}).pop("resourceVersion", None)
            after = apply_merge_patch(obj, patch)
            fields = [".spec." + k for k in (patch.get("spec") or {})]
        elif content_type.startswith("application/json-patch+json"):
            after = self._json_patch(obj, decoded)
            fields = [op["path"].replace("/", ".") for op in decoded if op.get("op") != "test"]
        else:
            raise _Refused(415, status(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                                       "format - accepted media types include: application/json-patch+json, "
                                       "application/merge-patch+json, application/apply-patch+yaml"))  # fmt: skip
        answer = self._store(info, obj, after, dry_run)
        self._own(info, ns, name, fields, query.get("fieldManager", "unknown"), query)
        self._send(h, 200, answer)

    @staticmethod
    def _json_patch(obj: dict[str, Any], operations: Any) -> dict[str, Any]:
        after = copy.deepcopy(obj)
        bad = _Refused(422, status(422, "Invalid", "the server rejected our request due to an error in our request",
                                   {}))  # fmt: skip
        for op in operations if isinstance(operations, list) else ():
            steps = [s.replace("~1", "/").replace("~0", "~") for s in str(op.get("path", "")).split("/")[1:]]
            parent: Any = after
            for step in steps[:-1]:
                parent = parent[int(step)] if isinstance(parent, list) else parent.get(step)
                if parent is None:
                    raise bad
            last = steps[-1] if steps else ""
            key: Any = int(last) if isinstance(parent, list) and last != "-" else last
            kind = op.get("op")
            if kind == "test":
                current = parent[key] if isinstance(parent, list) else parent.get(key)
                if current != op.get("value"):
                    raise bad
            elif kind in ("replace", "add"):
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else key, op.get("value"))
                else:
                    parent[key] = op.get("value")
            elif kind == "remove":
                del parent[key]
        return after

    # -------------------------------------------------------------------------------------------- apply

    def _apply(
        self, info: KindInfo, ns: str, name: str, applied: Any, query: dict[str, str], dry_run: bool
    ) -> dict[str, Any]:
        manager = query.get("fieldManager")
        if not manager:
            raise _Refused(422, status(422, "Invalid", "PATCH is not supported: fieldManager is required for apply "
                                       "patch", {}))  # fmt: skip
        fields = dict(_leaves({"spec": applied.get("spec") or {}}))
        owners = self.field_owners.setdefault((info.kind, ns, name), {})
        with self.server._cond:
            existing = self.server._store[info.kind].get((ns, name))
            current = copy.deepcopy(existing) if existing is not None else None
        if current is not None:
            have = dict(_leaves({"spec": current.get("spec") or {}}))
            me = f'"{manager}"'
            conflicts = [
                (leaf, owner)
                for leaf, value in sorted(fields.items())
                if (owner := _owner_of(owners, leaf)) not in ("", me) and have.get(leaf, _ABSENT) != value
            ]
            if conflicts and query.get("force") != "true":
                head = f"conflict with {conflicts[0][1]}" if len(conflicts) == 1 else "conflicts"
                listed = ", ".join(f"conflict with {o}: {p}" for p, o in conflicts)
                message = f"Apply failed with {len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}: " + (
                    f"{head}: {conflicts[0][0]}" if len(conflicts) == 1 else listed
                )
                causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {o}", "field": p}
                          for p, o in conflicts]  # fmt: skip
                raise _Refused(409, status(409, "Conflict", message, {"causes": causes}))
            after = apply_merge_patch(current, {"spec": applied.get("spec") or {}})
            meta_in = applied.get("metadata") or {}
            for key in ("labels", "annotations"):
                if meta_in.get(key):
                    after["metadata"][key] = {**(after["metadata"].get(key) or {}), **meta_in[key]}
            answer = self._store(info, current, after, dry_run)
        else:
            created = {k: v for k, v in applied.items() if k not in ("kind", "apiVersion")}
            created["metadata"] = {**(applied.get("metadata") or {}), "namespace": ns, "generation": 1}
            self._invalid(info, name, created)
            answer = self.server._with_kind(info, created if dry_run else self.server.put(info.kind, created))
        if not dry_run:
            for path in fields:
                owners[path] = f'"{manager}"'
        return answer

    def _own(
        self,
        info: KindInfo,
        ns: str,
        name: str,
        fields: list[str],
        manager: str,
        query: Mapping[str, str],
        subresource: str = "",
    ) -> None:
        """An Update operation (a patch, a /scale): its manager is distinct from the same name's applies."""
        if query.get("dryRun") == "All":
            return
        where = f' with subresource "{subresource}"' if subresource else ""
        identity = f'"{manager}"{where} using {info.api_version}'
        owners = self.field_owners.setdefault((info.kind, ns, name), {})
        for field in fields:
            for path in list(owners):
                if path == field or path.startswith(field + "."):
                    del owners[path]
            owners[field] = identity

    # -------------------------------------------------------------------------------------------- revisions

    def _revisions(
        self, method: str, ns: str, name: str | None, query: dict[str, str], user: str, body: bytes, h: Any
    ) -> None:
        self._check_allowed("controllerrevisions", "apps", method, ns, name, user)
        if method == "GET" and name is None:
            selector = query.get("labelSelector", "")
            matches = sys.modules[type(self.server).__module__].label_selector_matches  # no second import

            items = [
                r for (n, _), r in sorted(self.revisions.items(), key=lambda kv: int(kv[1].get("revision") or 0))
                if n == ns and matches(selector, r["metadata"].get("labels") or {})
            ]  # fmt: skip
            self._send(h, 200, {"kind": "ControllerRevisionList", "apiVersion": "apps/v1",
                                "metadata": {"resourceVersion": str(self.server.resource_version)},
                                "items": items})  # fmt: skip
            return
        if method == "GET" and name is not None:
            found = self.revisions.get((ns, name))
            if found is None:
                raise _Refused(404, status(404, "NotFound", f'controllerrevisions.apps "{name}" not found',
                                           {"name": name, "group": "apps", "kind": "controllerrevisions"}))  # fmt: skip
            self._send(h, 200, found)
            return
        if method != "POST":
            raise _Refused(405, status(405, "MethodNotAllowed", f"{method} is not supported here"))
        revision = copy.deepcopy(self._record(h, method, h.path.split("?")[0], query, body))
        meta = revision.setdefault("metadata", {})
        if not meta.get("name"):
            suffix = "".join(self._rng.choice(string.ascii_lowercase + string.digits) for _ in range(5))
            meta["name"] = str(meta.get("generateName") or "") + suffix
        if (ns, meta["name"]) in self.revisions:  # as a real server answers a taken name
            message = f'controllerrevisions.apps "{meta["name"]}" already exists'
            details = {"name": meta["name"], "group": "apps", "kind": "controllerrevisions"}
            raise _Refused(409, status(409, "AlreadyExists", message, details))
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta.update({"namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": created})
        if query.get("dryRun") != "All":
            with self.server._cond:
                self.server._rv += 1
                meta["resourceVersion"] = str(self.server._rv)
            self.revisions[(ns, meta["name"])] = revision
        self._send(h, 201, revision)


_ABSENT = object()


def _identity(owner: str) -> str:
    return owner if owner.startswith('"') else f'"{owner}"'


def _owner_of(owners: Mapping[str, str], leaf: str) -> str:
    """Who owns field ``leaf``: the owner of it, of a field above it, or of one below it ("" for nobody)."""
    for path, owner in owners.items():
        if leaf == path or leaf.startswith(path + ".") or path.startswith(leaf + "."):
            return _identity(owner)
    return ""


def _leaves(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Field paths (".spec.replicas") of the leaves of a JSON object; lists count as one leaf (atomic)."""
    if not isinstance(obj, Mapping) or not obj:
        return [(prefix, obj)]
    out: list[tuple[str, Any]] = []
    for key, value in obj.items():
        out.extend(_leaves(value, f"{prefix}.{key}"))
    return out

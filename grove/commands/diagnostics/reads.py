"""The API reads diagnostics makes: paged lists, single objects and container logs, each bounded by a ``Deadline``.

Read-only GETs of the kinds kubectl-grove knows, plus ``pods/log``. Nothing here can name a Secret, a ConfigMap or a
service-account token: the only paths built are ``resource_path`` of ``grove.events.kinds`` and the pod log path.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import orjson
import urllib3

from grove.commands.diagnostics.runner import Deadline
from grove.events.kinds import KindInfo
from grove.events.kube import Gone, Http, TransportError, resource_path, transport_error
from grove.events.model import KubeObject
from grove.events.recordings.codec import strip_object

PAGE_SIZE = 500


def _read(http: Http, response: urllib3.BaseHTTPResponse, limit: int | None = None) -> bytes:
    """The body (at most ``limit`` bytes; the rest is left unread and the connection dropped)."""
    try:
        data = response.read(limit + 1) if limit is not None else response.read()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        response.close()
        raise transport_error(exc, http.server) from exc
    if limit is not None and len(data) > limit:
        response.close()
        return data[:limit]
    response.release_conn()
    return data


def get_json(http: Http, path: str, query: Mapping[str, str | int] | None, deadline: Deadline) -> tuple[Any, int]:
    """(decoded body, bytes received)."""
    deadline.check()
    response = http.open(path, query, timeout=deadline.timeout(), gzip=True)
    data = _read(http, response)
    try:
        return orjson.loads(data), len(data)
    except orjson.JSONDecodeError as exc:
        raise TransportError("protocol", f"{http.server}{path} answered with invalid JSON ({exc.msg})") from None


def with_kind(obj: Mapping[str, Any], info: KindInfo) -> KubeObject:
    """managedFields dropped; kind/apiVersion filled in (list items come without them)."""
    out = strip_object(obj)
    out.setdefault("kind", info.kind)
    out.setdefault("apiVersion", info.api_version)
    return out


def list_objects(
    http: Http,
    info: KindInfo,
    namespace: str | None,
    deadline: Deadline,
    selector: str | None = None,
) -> tuple[list[KubeObject], int]:
    """Every object of a kind in scope (paged), and the bytes received."""
    path = resource_path(info, namespace)
    items: list[KubeObject] = []
    size = 0
    cont: str | None = None
    restarted = False
    while True:
        query: dict[str, str | int] = {"limit": PAGE_SIZE}
        if cont:
            query["continue"] = cont
        if selector:
            query["labelSelector"] = selector
        try:
            body, received = get_json(http, path, query, deadline)
        except Gone:
            if not cont or restarted:
                raise
            restarted, items, cont = True, [], None  # the continue token expired between pages: start over once
            continue
        size += received
        if not isinstance(body, dict):
            raise TransportError("protocol", f"{http.server}{path}: a list answer is not a JSON object")
        items.extend(with_kind(item, info) for item in body.get("items") or () if isinstance(item, dict))
        cont = (body.get("metadata") or {}).get("continue") or None
        if not cont:
            return items, size


def get_object(http: Http, info: KindInfo, namespace: str | None, name: str, deadline: Deadline) -> KubeObject:
    path = f"{resource_path(info, namespace)}/{urllib.parse.quote(name, safe='')}"
    body, _ = get_json(http, path, None, deadline)
    if not isinstance(body, dict):
        raise TransportError("protocol", f"{http.server}{path}: not a JSON object")
    return with_kind(body, info)


def pod_log(
    http: Http,
    namespace: str,
    pod: str,
    container: str,
    deadline: Deadline,
    *,
    previous: bool = False,
    tail: int | None = None,
    since: float | None = None,
    limit_bytes: int,
) -> tuple[str, bool]:
    """A container's log (text, truncated?) — ``GET /api/v1/namespaces/NS/pods/NAME/log``."""
    path = f"/api/v1/namespaces/{urllib.parse.quote(namespace, safe='')}/pods/{urllib.parse.quote(pod, safe='')}/log"
    query: dict[str, str | int] = {"container": container, "limitBytes": limit_bytes}
    if previous:
        query["previous"] = "true"
    if tail is not None:
        query["tailLines"] = tail
    if since:
        query["sinceSeconds"] = max(1, int(since))
    deadline.check()
    response = http.open(path, query, timeout=deadline.timeout(), accept="text/plain, */*")
    data = _read(http, response, limit_bytes)
    return data.decode("utf-8", "replace"), len(data) >= limit_bytes

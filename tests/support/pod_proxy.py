"""The API server's pod proxy for the loopback test server: ``GET /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH``.

As a real API server does it: 403 (a Status) when ``pods/proxy`` is forbidden, 404 for an unknown pod, 503 with
"error trying to reach service" when nothing listens on the pod's port, and otherwise the pod's own answer (status,
content type, body) passed through. Pods' ports map to loopback servers (tests/support/fake_engines.py).
"""

from __future__ import annotations

import http.client
import re
from typing import Any

import orjson

from tests.support.kube_server import _status as status_body

_PROXY = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/:]+):(\d+)/proxy(/.*)?$")


class PodProxy:
    """Install with ``PodProxy(server)``; ``route(ns, pod, port, local_port)`` says where a pod's port answers."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.routes: dict[tuple[str, str, int], int] = {}
        self.forbidden_namespaces: set[str] = set()
        self.requests: list[str] = []
        server.handlers.append(self.handle)

    def route(self, namespace: str, pod: str, port: int, local_port: int) -> None:
        self.routes[(namespace, pod, port)] = local_port

    def handle(self, server: Any, h: Any, path: str, query: dict[str, str], user: str) -> bool:
        match = _PROXY.match(path)
        if match is None:
            return False
        namespace, pod, port_text, rest = match.groups()
        port = int(port_text)
        self.requests.append(path)
        if namespace in self.forbidden_namespaces:
            message = (
                f'pods "{pod}" is forbidden: User "{user}" cannot get resource "pods/proxy" in API group "" '
                f'in the namespace "{namespace}"'
            )
            _status(h, 403, "Forbidden", message)
            return True
        known = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in server.objects("Pod")}
        if (namespace, pod) not in known:
            _status(h, 404, "NotFound", f'pods "{pod}" not found')
            return True
        local = self.routes.get((namespace, pod, port))
        if local is None:
            _status(
                h,
                503,
                "ServiceUnavailable",
                f"error trying to reach service: dial tcp 10.0.0.9:{port}: connect: connection refused",
            )
            return True
        connection = http.client.HTTPConnection("127.0.0.1", local, timeout=5)
        headers = {"Accept": h.headers["Accept"]} if h.headers.get("Accept") else {}
        connection.request("GET", rest or "/", headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
        h.send_response(answer.status)
        h.send_header("Content-Type", answer.getheader("Content-Type", "text/plain"))
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        return True


def _status(h: Any, code: int, reason: str, message: str) -> None:
    body = orjson.dumps(status_body(code, reason, message))
    h.send_response(code)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)

"""A loopback Kubernetes API server for tests: list/watch for every kind in ``grove.events.kinds.KINDS``.

It sends the shapes captured from a real kube-apiserver (``tests/wire/``): paged lists with ``continue`` and
``remainingItemCount``; chunked watch streams of JSON lines (ADDED/MODIFIED/DELETED/BOOKMARK); the server-side timeout
close; 410 as an ``ERROR`` event inside a 200 stream when the resourceVersion is older than the kept history; 403
``Status`` bodies per resource; plain-text ``404 page not found`` for a group that is not installed; aggregated
discovery; ``/version``; GET of one object; pod logs (``.../pods/NAME/log`` with ``container``, ``previous``,
``tailLines``, ``limitBytes``, and the 400s a real server sends); fixed JSON answers for other paths (``routes``) and
per-path delays. Tests mutate the in-memory store (``put``/``delete``), and can drop connections mid-stream,
compact the history, stall every answer, require a bearer token or a client certificate, and serve over TLS with a
CA generated at test time (``make_tls`` runs the ``openssl`` CLI).

Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import functools
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson

from grove.events.kinds import ALL_KINDS, KINDS, KindInfo

WIRE = Path(__file__).parents[1] / "wire"
ObjKey = tuple[str, str]


# ------------------------------------------------------------------------------------------------------------- TLS


@attrs.frozen
class TlsFiles:
    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str
    client_cert: str  # CN=alice
    client_key: str
    other_ca_cert: str  # a CA that signed nothing here (for "wrong CA bundle" tests)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tls(directory: Path) -> TlsFiles:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all made with ``openssl``."""
    d = directory
    d.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "other-ca"):
        _openssl(
            "req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
            "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d,
        )  # fmt: skip
    (d / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kube.test\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    (d / "client.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
    )
    for name, subject in (("server", "/CN=kube-apiserver"), ("client", "/O=system:masters/CN=alice")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d,
        )  # fmt: skip
    return TlsFiles(
        ca_cert=str(d / "ca.crt"),
        ca_key=str(d / "ca.key"),
        server_cert=str(d / "server.crt"),
        server_key=str(d / "server.key"),
        client_cert=str(d / "client.crt"),
        client_key=str(d / "client.key"),
        other_ca_cert=str(d / "other-ca.crt"),
    )


# ----------------------------------------------------------------------------------------------------- wire shapes


def _wire_json(name: str) -> Any:
    text = (WIRE / name).read_text()
    return json.loads(text[: text.rindex("}") + 1])


def _status(code: int, reason: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``Status`` body shaped like ``tests/wire/forbidden-403.txt`` / ``watch-410.jsonl``."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = dict(details)
    body["code"] = code
    return body


_NOT_FOUND_TEXT = (WIRE / "missing-404.txt").read_text().split("\n")[0] + "\n"  # "404 page not found"


def _discovery_resource(info: KindInfo) -> dict[str, Any]:
    """One resource entry shaped like those in ``discovery-apis-aggregated.json``."""
    singular = info.kind.lower()
    entry: dict[str, Any] = {
        "resource": info.plural,
        "responseKind": {"group": "", "version": "", "kind": info.kind},
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": singular,
        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
    }
    if info.kind not in ("Pod", "Node", "Event"):
        entry["categories"] = ["all"] if info.namespaced else []
        entry["subresources"] = [
            {
                "subresource": "status",
                "responseKind": {"group": "", "version": "", "kind": info.kind},
                "verbs": ["get", "patch", "update"],
            }
        ]
    return entry


# ---------------------------------------------------------------------------------------------------- label match


def label_selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Equality-based selectors: ``a=b``, ``a==b``, ``a!=b``, ``a``, ``!a`` joined by commas."""
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------- server


@attrs.define
class Request:
    path: str
    query: dict[str, str]
    user: str | None
    method: str = "GET"


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default 5 drops SYNs when every kind connects at once (1 s retransmit)
    kube: KubeServer
    tls: ssl.SSLContext | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-connection (killed, timed out) is normal here: no traceback on stderr."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        self.kube._track(sock)
        return sock, addr


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 30

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                self.rfile = open("/dev/null", "rb")  # noqa: SIM115 - makes handle() end at once

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        try:
            self.server.kube._handle(self)
        except (BrokenPipeError, ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    do_PUT = do_PATCH = do_POST = do_GET  # writes: tests/support/writes.py


class KubeServer:
    """The test API server. Use as a context manager, or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        token: str | None = None,
        client_cert_auth: bool = False,
        installed: Iterable[str] = ALL_KINDS,
        forbidden: Mapping[str, str] | None = None,
        aggregated_discovery: bool = True,
        history_limit: int = 100_000,
        max_watch_seconds: float | None = None,
        bookmark_interval: float | None = None,
        delay: float = 0.0,
        git_version: str = "v1.36.0",
    ) -> None:
        self.tls_files = tls
        self.token = token
        self.client_cert_auth = client_cert_auth
        self.installed = set(installed)
        self.forbidden: dict[str, str] = dict(forbidden or {})  # kind -> user name shown in the 403 message
        self.forbidden_cluster_wide: dict[str, str] = {}  # kind -> user: forbidden only across all namespaces
        self.aggregated_discovery = aggregated_discovery
        self.history_limit = history_limit
        self.max_watch_seconds = max_watch_seconds
        self.bookmark_interval = bookmark_interval
        self.delay = delay
        self.git_version = git_version
        self.expire_continues = 0  # this many continue tokens are answered 410 Expired
        self.canned_watches: dict[str, list[list[bytes]]] = {}  # kind -> watch answers sent verbatim, in order

        self._cond = threading.Condition()
        self._rv = 1000
        self._store: dict[str, dict[ObjKey, dict[str, Any]]] = {k: {} for k in KINDS}
        self._history: list[tuple[int, str, str, dict[str, Any]]] = []  # (rv, kind, type, object)
        self._history_rvs: list[int] = []
        self._compacted = self._rv  # watches from an older RV get 410
        self._snapshots: dict[str, list[dict[str, Any]]] = {}
        self._drop_generation = 0
        self._bookmark_generation = 0
        self._stalled = False
        self._stopping = False
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        self.requests: list[Request] = []
        self.watches_open = 0
        # Pod logs: (namespace, pod, container, previous) -> text, served by GET .../pods/NAME/log
        self.logs: dict[tuple[str, str, str, bool], str] = {}
        # Other paths answered verbatim: path -> JSON body (e.g. Secrets a client must never read, the operator's
        # Deployment), or path -> (HTTP status, JSON body) for an error
        self.routes: dict[str, Any] = {}
        # Answers to paths containing one of these substrings are delayed by that many seconds
        self.path_delays: dict[str, float] = {}
        # Handlers tried before anything else (e.g. tests/support/pod_proxy.py): one returning True has answered
        self.handlers: list[Callable[[KubeServer, Any, str, dict[str, str], str], bool]] = []

        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.kube = self
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls.server_cert, tls.server_key)
            if client_cert_auth:
                ctx.load_verify_locations(tls.ca_cert)
                ctx.verify_mode = ssl.CERT_OPTIONAL
            self._httpd.tls = ctx
        self._thread: threading.Thread | None = None
        from tests.support.writes import WriteEndpoints

        self.writes = WriteEndpoints(self)

    # ------------------------------------------------------------------------------------------------ life

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_files else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> KubeServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._close_all_sockets()

    def __enter__(self) -> KubeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, sock: socket.socket) -> None:
        with self._sockets_lock:
            self._sockets.add(sock)

    def _close_all_sockets(self) -> None:
        with self._sockets_lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    # ------------------------------------------------------------------------------------------------ store

    @property
    def resource_version(self) -> int:
        return self._rv

    def _stamp(self, kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(dict(obj))
        stored.pop("kind", None)
        stored.pop("apiVersion", None)
        meta = stored.setdefault("metadata", {})
        if not KINDS[kind].namespaced:
            meta.pop("namespace", None)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", "2026-11-28T12:00:00Z")
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        return stored

    def _key(self, kind: str, obj: Mapping[str, Any]) -> ObjKey:
        meta = obj.get("metadata") or {}
        return (str(meta.get("namespace") or "") if KINDS[kind].namespaced else "", str(meta["name"]))

    def _record(self, kind: str, type_: str, obj: dict[str, Any]) -> None:
        self._history.append((self._rv, kind, type_, obj))
        self._history_rvs.append(self._rv)
        if len(self._history) > self.history_limit:
            cut = len(self._history) - self.history_limit
            self._compacted = self._history_rvs[cut - 1]
            del self._history[:cut]
            del self._history_rvs[:cut]
        self._cond.notify_all()

    def put(self, kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an object (ADDED or MODIFIED); returns the stored copy with its new resourceVersion."""
        with self._cond:
            key = self._key(kind, obj)
            previous = self._store[kind].get(key)
            stored = self._stamp(kind, obj)
            if previous is not None:
                stored["metadata"]["uid"] = previous["metadata"]["uid"]
            self._store[kind][key] = stored
            self._record(kind, "MODIFIED" if previous is not None else "ADDED", stored)
            return stored

    def delete(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._cond:
            key = (namespace if KINDS[kind].namespaced else "", name)
            previous = self._store[kind].pop(key, None)
            if previous is None:
                return None
            gone = copy.deepcopy(previous)
            self._rv += 1
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._record(kind, "DELETED", gone)
            return gone

    def seed(self, kind: str, objects: Iterable[Mapping[str, Any]]) -> None:
        """Add objects without watch history (as if they existed before any client came)."""
        with self._cond:
            for obj in objects:
                stored = self._stamp(kind, obj)
                self._store[kind][self._key(kind, stored)] = stored
            self._compacted = max(self._compacted, self._rv) if not self._history else self._compacted

    def seed_state(self, objects: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        for kind, objs in objects.items():
            self.seed(kind, objs)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._store[kind].values())

    def snapshot(self) -> dict[str, dict[ObjKey, str]]:
        """kind → {(namespace, name): resourceVersion} of what the server holds now."""
        with self._cond:
            return {
                kind: {key: obj["metadata"]["resourceVersion"] for key, obj in objs.items()}
                for kind, objs in self._store.items()
            }

    # ------------------------------------------------------------------------------------------------ faults

    def compact(self) -> None:
        """Forget the watch history: any resume from an older resourceVersion gets 410 Gone."""
        with self._cond:
            self._compacted = self._rv
            self._history.clear()
            self._history_rvs.clear()
            self._snapshots.clear()

    def drop_watches(self) -> None:
        """Cut every open watch mid-stream (half a line, then the socket closes without the final chunk)."""
        with self._cond:
            self._drop_generation += 1
            self._cond.notify_all()

    def drop_all_connections(self) -> None:
        """Close every socket now (like an API server restart)."""
        self._close_all_sockets()

    def bookmark(self) -> None:
        """Send a BOOKMARK with the current resourceVersion on every watch that asked for bookmarks."""
        with self._cond:
            self._bookmark_generation += 1
            self._cond.notify_all()

    def stall(self, stalled: bool = True) -> None:
        """Stop answering anything (a dead VPN): open watches go silent, new requests hang until un-stalled."""
        with self._cond:
            self._stalled = stalled
            self._cond.notify_all()

    def wait_for_watches(self, count: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.watches_open >= count, timeout)

    def set_log(self, namespace: str, pod: str, container: str, text: str, previous: bool = False) -> None:
        """The log of one container (``previous``: of its last terminated instance)."""
        self.logs[(namespace, pod, container, previous)] = text

    def paths(self) -> list[str]:
        """Every path requested so far (with the query string), in order."""
        return [r.path + ("?" + urllib.parse.urlencode(r.query) if r.query else "") for r in self.requests]

    # ------------------------------------------------------------------------------------------------ HTTP

    def _handle(self, h: _Handler) -> None:
        parsed = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        user = self._authenticate(h)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.requests.append(Request(parsed.path, query, user, h.command))
        if self.delay:
            time.sleep(self.delay)
        for fragment, seconds in list(self.path_delays.items()):
            if fragment in h.path:
                time.sleep(seconds)
        with self._cond:
            self._cond.wait_for(lambda: not self._stalled or self._stopping)
            if self._stopping:
                h.close_connection = True
                return
        if user is None:
            self._send_json(h, 401, _status(401, "Unauthorized", "Unauthorized"))
            return
        path = parsed.path.rstrip("/") or "/"
        if self.writes.handle(h, h.command, path, query, user, body) or any(
            handler(self, h, path, query, user) for handler in list(self.handlers)
        ):
            return
        if path in self.routes:
            route = self.routes[path]
            code, body = route if isinstance(route, tuple) else (200, route)
            self._send_json(h, code, body)
        elif path.startswith("/api/v1/namespaces/") and path.endswith("/log") and path.count("/") == 7:
            self._log(h, path, query)
        elif path == "/version":
            self._send_json(h, 200, self._version())
        elif path == "/apis":
            accept = h.headers.get("Accept", "")
            if self.aggregated_discovery and "as=APIGroupDiscoveryList" in accept:
                self._send_json(
                    h, 200, self._aggregated(), "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
                )
            else:
                self._send_json(h, 200, self._group_list())
        elif path == "/api":
            self._send_json(h, 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        else:
            self._resource(h, path, query, user)

    def _authenticate(self, h: _Handler) -> str | None:
        """The user name, or None when authentication is required and missing."""
        if self.token is None and not self.client_cert_auth:
            return "tester"
        if self.token is not None and h.headers.get("Authorization") == f"Bearer {self.token}":
            return "token-user"
        if self.client_cert_auth and isinstance(h.request, ssl.SSLSocket):
            cert = h.request.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            return str(value)
        return None

    def _send_json(self, h: _Handler, code: int, body: Any, content_type: str = "application/json") -> None:
        data = orjson.dumps(body)
        h.send_response(code)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _send_text(self, h: _Handler, code: int, text: str) -> None:
        data = text.encode()
        h.send_response(code)
        h.send_header("Content-Type", "text/plain; charset=utf-8")
        h.send_header("X-Content-Type-Options", "nosniff")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _version(self) -> dict[str, str]:
        major, minor = self.git_version.lstrip("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.git_version,
            "gitCommit": "0" * 40,
            "gitTreeState": "clean",
            "buildDate": "2026-11-01T00:00:00Z",
            "goVersion": "go1.25.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def _installed_groups(self) -> dict[tuple[str, str], list[KindInfo]]:
        groups: dict[tuple[str, str], list[KindInfo]] = {}
        for kind in sorted(self.installed):
            info = KINDS[kind]
            if info.group:
                groups.setdefault((info.group, info.version), []).append(info)
        return groups

    def _aggregated(self) -> dict[str, Any]:
        """``GET /apis`` aggregated: the captured groups that are not Grove's, plus the installed Grove kinds."""
        captured = _wire_json("discovery-apis-aggregated.json")
        grove_groups = {info.group for info in KINDS.values() if info.group}
        items = [g for g in captured["items"] if g["metadata"]["name"] not in grove_groups]
        for (group, version), infos in self._installed_groups().items():
            items.append(
                {
                    "metadata": {"name": group},
                    "versions": [
                        {
                            "version": version,
                            "resources": [_discovery_resource(i) for i in sorted(infos, key=lambda i: i.plural)],
                            "freshness": "Current",
                        }
                    ],
                }
            )
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}

    def _group_list(self) -> dict[str, Any]:
        groups = []
        for group, version in self._installed_groups():
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _resource(self, h: _Handler, path: str, query: dict[str, str], user: str) -> None:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            self._send_text(h, 404, _NOT_FOUND_TEXT)
            return
        if not rest:
            infos = self._installed_groups().get((group, version), [])
            if group and not infos:
                self._send_text(h, 404, _NOT_FOUND_TEXT)
                return
            resources = [
                {"name": i.plural, "singularName": i.kind.lower(), "namespaced": i.namespaced, "kind": i.kind,
                 "verbs": ["get", "list", "watch"]}
                for i in (infos or [k for k in KINDS.values() if not k.group])
            ]  # fmt: skip
            self._send_json(
                h,
                200,
                {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}".lstrip("/"),
                 "resources": resources},
            )  # fmt: skip
            return
        namespace: str | None = None
        name: str | None = None  # a GET of one object
        if len(rest) in (3, 4) and rest[0] == "namespaces":
            namespace, plural = rest[1], rest[2]
            name = rest[3] if len(rest) == 4 else None
        elif len(rest) in (1, 2):
            plural = rest[0]
            name = rest[1] if len(rest) == 2 else None
        else:
            self._send_text(h, 404, _NOT_FOUND_TEXT)
            return
        info = next(
            (i for i in KINDS.values() if (i.group, i.version, i.plural) == (group, version, plural)),
            None,
        )
        if info is None or info.kind not in self.installed or (namespace is not None and not info.namespaced):
            self._send_text(h, 404, _NOT_FOUND_TEXT)
            return
        watch = query.get("watch") in ("1", "true")
        wide_only = namespace is None and info.namespaced and info.kind in self.forbidden_cluster_wide
        if info.kind in self.forbidden or wide_only:
            verb = "watch" if watch else "get" if name is not None else "list"
            where = f'in the namespace "{namespace}"' if namespace is not None else "at the cluster scope"
            who = self.forbidden.get(info.kind) or self.forbidden_cluster_wide[info.kind]
            message = (
                f'{plural} is forbidden: User "{who}" cannot {verb} resource "{plural}" in API group "{group}" {where}'
            )
            details = {"group": group, "kind": plural} if group else {"kind": plural}
            self._send_json(h, 403, _status(403, "Forbidden", message, details))
            return
        if name is not None:
            self._get(h, info, namespace, name)
        elif watch:
            self._watch(h, info, namespace, query)
        else:
            self._list(h, info, namespace, query)

    def _get(self, h: _Handler, info: KindInfo, namespace: str | None, name: str) -> None:
        with self._cond:
            obj = self._store[info.kind].get(((namespace or "") if info.namespaced else "", name))
            body = self._with_kind(info, obj) if obj is not None else None
        if body is None:
            message = f'{info.plural}{"." + info.group if info.group else ""} "{name}" not found'
            self._send_json(h, 404, _status(404, "NotFound", message, {"name": name, "kind": info.plural}))
        else:
            self._send_json(h, 200, body)

    def _log(self, h: _Handler, path: str, query: dict[str, str]) -> None:
        """``GET /api/v1/namespaces/NS/pods/NAME/log``: plain text, or the API server's errors as Status bodies."""
        parts = path.strip("/").split("/")  # api v1 namespaces NS pods NAME log
        namespace, name = parts[3], parts[5]
        if parts[4] != "pods":
            self._send_text(h, 404, _NOT_FOUND_TEXT)
            return
        if "pods/log" in self.forbidden:
            who = self.forbidden["pods/log"]
            message = (
                f'pods "{name}" is forbidden: User "{who}" cannot get resource "pods/log" in API group "" '
                f'in the namespace "{namespace}"'
            )
            self._send_json(h, 403, _status(403, "Forbidden", message, {"name": name, "kind": "pods"}))
            return
        with self._cond:
            pod = self._store["Pod"].get((namespace, name))
        if pod is None:
            self._send_json(h, 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name}))
            return
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
        container = query.get("container") or (names[0] if len(names) == 1 else "")
        if not container:
            choices = " ".join(str(n) for n in names)
            message = f"a container name must be specified for pod {name}, choose one of: [{choices}]"
            self._send_json(h, 400, _status(400, "BadRequest", message))
            return
        if container not in names:
            self._send_json(h, 400, _status(400, "BadRequest", f"container {container} is not valid for pod {name}"))
            return
        previous = query.get("previous") in ("1", "true")
        text = self.logs.get((namespace, name, container, previous))
        if text is None and previous:
            message = f'previous terminated container "{container}" in pod "{name}" not found'
            self._send_json(h, 400, _status(400, "BadRequest", message))
            return
        text = text or ""
        tail = query.get("tailLines")
        if tail is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[max(0, len(lines) - int(tail)) :]) if int(tail) > 0 else ""
        data = text.encode()
        if query.get("limitBytes"):
            data = data[: int(query["limitBytes"])]
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _matches(self, info: KindInfo, obj: Mapping[str, Any], namespace: str | None, selector: str) -> bool:
        meta = obj.get("metadata") or {}
        if namespace is not None and meta.get("namespace") != namespace:
            return False
        return not selector or label_selector_matches(selector, meta.get("labels") or {})

    def _list(self, h: _Handler, info: KindInfo, namespace: str | None, query: dict[str, str]) -> None:
        limit = int(query.get("limit") or 0)
        token = query.get("continue")
        selector = query.get("labelSelector", "")
        with self._cond:
            if token:
                try:
                    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                    snapshot_id, start, list_rv = state["id"], int(state["start"]), int(state["rv"])
                except (ValueError, KeyError):
                    self._send_json(h, 400, _status(400, "BadRequest", "invalid continue token"))
                    return
                items = self._snapshots.get(snapshot_id)
                if items is None or self.expire_continues > 0:
                    self.expire_continues = max(0, self.expire_continues - 1)
                    message = (
                        "The provided continue parameter is too old to display a consistent list result. You can "
                        "start a new list without the continue parameter."
                    )
                    self._send_json(h, 410, _status(410, "Expired", message))
                    return
            else:
                selected = [
                    obj
                    for key, obj in sorted(self._store[info.kind].items())
                    if self._matches(info, obj, namespace, selector)
                ]
                items, start, list_rv, snapshot_id = selected, 0, self._rv, uuid.uuid4().hex
            page = items[start : start + limit] if limit else items[start:]
            remaining = len(items) - start - len(page)
            meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
            if remaining > 0:
                self._snapshots[snapshot_id] = items
                state = {"v": "meta.k8s.io/v1", "rv": list_rv, "start": start + len(page), "id": snapshot_id}
                meta["continue"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
                meta["remainingItemCount"] = remaining
            else:
                self._snapshots.pop(snapshot_id, None)
            body = {"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": meta, "items": page}
        self._send_json(h, 200, body)

    # ------------------------------------------------------------------------------------------------ watch

    def _watch(self, h: _Handler, info: KindInfo, namespace: str | None, query: dict[str, str]) -> None:
        selector = query.get("labelSelector", "")
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        timeout = float(query.get("timeoutSeconds") or 1800)
        if self.max_watch_seconds is not None:
            timeout = min(timeout, self.max_watch_seconds)
        deadline = time.monotonic() + timeout
        rv_text = query.get("resourceVersion", "")
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def send(event: Mapping[str, Any] | bytes) -> None:
            data = event if isinstance(event, bytes) else orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        with self._cond:
            canned = self.canned_watches.get(info.kind)
            lines = canned.pop(0) if canned else None
        if lines is not None:
            for line in lines:
                send(line if line.endswith(b"\n") else line + b"\n")
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
            return

        with self._cond:
            drop_generation = self._drop_generation
            bookmark_generation = self._bookmark_generation
            self.watches_open += 1
            self._cond.notify_all()
            if rv_text in ("", "0"):
                initial = [
                    o for _, o in sorted(self._store[info.kind].items()) if self._matches(info, o, namespace, selector)
                ]
                cursor = self._rv
            else:
                initial, cursor = [], int(rv_text)
        try:
            for obj in initial:
                send({"type": "ADDED", "object": self._with_kind(info, obj)})
            next_bookmark = time.monotonic() + (self.bookmark_interval or 1e9)
            while True:
                with self._cond:
                    ready = functools.partial(self._watch_ready, cursor, drop_generation, bookmark_generation)
                    wait = min(deadline, next_bookmark) - time.monotonic()
                    if self._stalled:
                        self._cond.wait_for(ready, 0.05)
                    elif wait > 0:
                        self._cond.wait_for(ready, wait)
                    if self._stopping:
                        h.close_connection = True
                        return
                    if self._drop_generation != drop_generation:
                        h.wfile.write(b'40\r\n{"type":"MODIFIED","object":{"kind":"Po')
                        h.wfile.flush()
                        h.close_connection = True
                        h.request.shutdown(socket.SHUT_RDWR)
                        return
                    if self._stalled:
                        continue
                    if cursor < self._compacted:
                        expired = _status(410, "Expired", f"too old resource version: {cursor} ({self._compacted})")
                        pending: list[dict[str, Any]] = [{"type": "ERROR", "object": expired}]
                        cursor = -1
                    else:
                        start = bisect.bisect_right(self._history_rvs, cursor)
                        pending = [
                            {"type": type_, "object": self._with_kind(info, obj)}
                            for _, kind, type_, obj in self._history[start:]
                            if kind == info.kind and self._matches(info, obj, namespace, selector)
                        ]
                        if self._history_rvs:
                            cursor = max(cursor, self._history_rvs[-1])
                        now = time.monotonic()
                        if bookmarks and (self._bookmark_generation != bookmark_generation or now >= next_bookmark):
                            cursor = max(cursor, self._rv)
                            pending.append(
                                {
                                    "type": "BOOKMARK",
                                    "object": {
                                        "kind": info.kind,
                                        "apiVersion": info.api_version,
                                        "metadata": {"resourceVersion": str(cursor)},
                                    },
                                }
                            )
                        bookmark_generation = self._bookmark_generation
                        if now >= next_bookmark:
                            next_bookmark = now + (self.bookmark_interval or 1e9)
                for event in pending:
                    send(event)
                h.wfile.flush()
                if cursor < 0 or time.monotonic() >= deadline:
                    break
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        finally:
            with self._cond:
                self.watches_open -= 1
                self._cond.notify_all()

    def _watch_ready(self, cursor: int, drop_generation: int, bookmark_generation: int) -> bool:
        """Whether a waiting watch has something to do (called with the condition held)."""
        if self._stopping or self._drop_generation != drop_generation:
            return True
        if self._stalled:
            return False
        return (
            bool(self._history_rvs and self._history_rvs[-1] > cursor)
            or self._bookmark_generation != bookmark_generation
            or cursor < self._compacted
        )

    @staticmethod
    def _with_kind(info: KindInfo, obj: Mapping[str, Any]) -> dict[str, Any]:
        return {"kind": info.kind, "apiVersion": info.api_version, **obj}


# ------------------------------------------------------------------------------------------------- sample objects


def _meta(name: str, namespace: str | None = "demo", **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def sample_objects(namespace: str = "demo", pods: int = 4, nodes: int = 2) -> dict[str, list[dict[str, Any]]]:
    """A small Grove world (one PCS with two cliques, a scaling group, a gang), hand made."""
    pcs = "inference"
    part_of = {"app.kubernetes.io/part-of": pcs, "app.kubernetes.io/managed-by": "grove-operator"}
    managed = [{"manager": "grove-operator", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {}}]
    out: dict[str, list[dict[str, Any]]] = {
        "PodCliqueSet": [{"metadata": {**_meta(pcs, namespace), "managedFields": managed}, "spec": {"replicas": 1}}],
        "PodCliqueScalingGroup": [{"metadata": _meta(f"{pcs}-0-sg", namespace, **part_of), "spec": {"replicas": 1}}],
        "PodClique": [
            {"metadata": _meta(f"{pcs}-0-{role}", namespace, **part_of), "spec": {"roleName": role, "replicas": 2}}
            for role in ("prefill", "decode")
        ],
        "PodGang": [{"metadata": _meta(f"{pcs}-0", namespace, **part_of), "spec": {"podgroups": []}}],
        "ClusterTopologyBinding": [{"metadata": _meta("default", None), "spec": {"levels": []}}],
        "Node": [
            {
                "metadata": _meta(f"node-{i}", None, **{"kubernetes.io/hostname": f"node-{i}"}),
                "status": {"allocatable": {"nvidia.com/gpu": "8"}},
            }
            for i in range(nodes)
        ],
        "Pod": [
            {
                "metadata": {
                    **_meta(f"{pcs}-0-prefill-{i}", namespace, **part_of, **{"grove.io/podclique": f"{pcs}-0-prefill"}),
                    "managedFields": managed,
                },
                "spec": {"nodeName": f"node-{i % max(nodes, 1)}", "containers": [{"name": "main"}]},
                "status": {"phase": "Running"},
            }
            for i in range(pods)
        ],
        "Event": [
            {
                "metadata": _meta("inference.1", namespace),
                "involvedObject": {"kind": "PodCliqueSet", "name": pcs, "namespace": namespace},
                "reason": "Created",
                "message": "created",
            }
        ],
    }
    return out


def objects_from_recording(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The final state of a recording (folded), as objects per kind to seed a server with."""
    from grove.events.recordings.reader import Recording
    from grove.reducers.batch import fold

    state = fold(Recording(path).events())
    return {kind: [dict(o) for o in state.of_kind(kind).values()] for kind in KINDS if state.count(kind)}


# ------------------------------------------------------------------------------------------------------ collector


class Collector:
    """Subscriber that folds every event as it arrives; tests wait on predicates instead of sleeping."""

    def __init__(self) -> None:
        from grove.reducers.state import empty_state

        self.events: list[Any] = []
        self.state = empty_state()
        self.completed = False
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        from grove.reducers.reduce import reduce

        with self._cond:
            self.events.append(event)
            self.state = reduce(self.state, event)
            self._cond.notify_all()

    def on_completed(self) -> None:
        with self._cond:
            self.completed = True
            self._cond.notify_all()

    def subscribe(self, observable: Any) -> Any:
        return observable.subscribe(on_next=self, on_completed=self.on_completed)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> bool:
        """Wait until ``predicate(collector)`` holds (re-checked after every event and every 50 ms)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def health(self, kind: str) -> Any:
        source = self.state.sources.get(kind)
        return source.status if source is not None else None

    def statuses(self, kind: str) -> list[Any]:
        """Every status reported for ``kind``, in order."""
        with self._cond:
            return [e.status for e in self.events if type(e).__name__ == "SourceHealthChanged" and e.kind == kind]

    def snapshot(self, kinds: Iterable[str] | None = None) -> dict[str, dict[ObjKey, str]]:
        """kind → {(namespace, name): resourceVersion} of the folded state (same shape as ``KubeServer.snapshot``)."""
        with self._cond:
            state = self.state
        return {
            kind: {key: obj["metadata"]["resourceVersion"] for key, obj in state.of_kind(kind).items()}
            for kind in (kinds if kinds is not None else KINDS)
        }


def write_kubeconfig(path: Path, server_url: str, namespace: str = "default", token: str | None = None) -> Path:
    """A kubeconfig with one context, ``loopback``, pointing at the test server (current context)."""
    import yaml

    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "loop", "cluster": {"server": server_url}}],
        "users": [{"name": "me", "user": {"token": token} if token else {}}],
        "contexts": [{"name": "loopback", "context": {"cluster": "loop", "user": "me", "namespace": namespace}}],
        "current-context": "loopback",
    }
    path.write_text(yaml.safe_dump(doc))
    return path

"""The live source: list + watch per kind against a Kubernetes API server, as one ``Observable[Event]``.

Why not the client's ``Watch.stream``: in kubernetes 37.0.2 it never advances its resourceVersion after a server-side
close and gives up on 410 (DESIGN.md §5); its typed models also cost ~10× raw JSON. So this module speaks HTTP itself
(urllib3, raw bytes decoded with orjson), from a plain ``ClusterAccess`` value the commands layer resolved.

Per kind, one daemon thread runs the loop a reflector runs:

1. paged list (``limit``, follow ``continue``) → ``Listed`` (after a re-list, ``Removed`` first for every object known
   before and missing now, so a recording shows the deletions the gap hid);
2. watch from the list's resourceVersion with bookmarks and a jittered server timeout, a client read timeout a little
   longer (a dead connection is noticed) and TCP keepalive; every line advances the resume point, bookmarks included;
3. a server-side close resumes the watch at once; 410 Gone (HTTP 410, or an ``ERROR`` event inside a 200 stream)
   re-lists; any other failure backs off (capped exponential, jittered) and reports RECONNECTING, then STALE;
4. 403 → FORBIDDEN with the server's message, 404 → NOT_INSTALLED; both retried slowly (RBAC and CRDs change).

Every change of a kind's health is a ``SourceHealthChanged``. Events from all threads are serialised by one lock, so
a subscriber sees one event at a time.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import orjson
import reactivex
import urllib3
from reactivex.subject import Subject

from grove import __version__
from grove.events.access import ClusterAccess
from grove.events.kinds import KINDS, KindInfo
from grove.events.model import (
    READABLE_IN,
    Applied,
    ClockAdvanced,
    Event,
    KubeObject,
    Listed,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)
from grove.events.recording import strip_object


class _LazyLogger:
    """structlog's logger, imported at first use: importing structlog loads rich, which the core must not import."""

    def __getattr__(self, name: str) -> Any:
        import structlog

        return getattr(structlog.get_logger(), name)


log = _LazyLogger()

USER_AGENT = f"kubectl-grove/{__version__}"
AGGREGATED_DISCOVERY_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
_MAX_ERROR_BODY = 64 * 1024
_READ_SIZE = 256 * 1024


# ------------------------------------------------------------------------------------------------------------ errors


class ApiError(Exception):
    """The API server answered with an error status; ``message`` is its own words (a ``Status.message``)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message or f"HTTP {status} {reason}")
        self.status = status
        self.reason = reason
        self.message = message or f"HTTP {status} {reason}"


class Unauthorized(ApiError):
    """401: the credentials were rejected."""


class Forbidden(ApiError):
    """403: RBAC denies the request."""


class NotFound(ApiError):
    """404: the resource is not served (a CRD not installed)."""


class Gone(ApiError):
    """410: the resourceVersion (or continue token) is too old; re-list."""


class TransportError(Exception):
    """No usable HTTP answer: refused, unreachable, TLS failure, timeout, dropped connection, garbage."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category  # refused | dns | tls | timeout | dropped | protocol | proxy
        self.message = message


def _api_error(status: int, body: bytes) -> ApiError:
    reason, message = "", ""
    text = body.strip()
    if text.startswith(b"{"):
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            reason = str(decoded.get("reason") or "")
            message = str(decoded.get("message") or "")
    if not message:
        message = text.decode("utf-8", "replace").splitlines()[0] if text else ""
    cls: type[ApiError] = {401: Unauthorized, 403: Forbidden, 404: NotFound, 410: Gone}.get(status, ApiError)
    return cls(status, reason or _REASONS.get(status, ""), message)


_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 410: "Gone", 429: "TooManyRequests"}


def transport_error(exc: BaseException, server: str) -> TransportError:
    """One line saying what went wrong on the wire."""
    inner = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return TransportError("dns", f"cannot resolve the API server host of {server}")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return TransportError("refused", f"connection to {server} refused")
        return TransportError("refused", f"cannot connect to {server}: {_tail(text)}")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return TransportError("tls", f"TLS handshake with {server} failed: {_ssl_reason(exc)}")
    if isinstance(exc, urllib3.exceptions.ProxyError):
        return TransportError("proxy", f"proxy error reaching {server}: {_tail(str(inner))}")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return TransportError("timeout", f"connecting to {server} timed out")
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | socket.timeout | TimeoutError):
        return TransportError("timeout", f"{server} stopped answering (read timed out)")
    if isinstance(exc, urllib3.exceptions.ProtocolError | ConnectionError):
        return TransportError("dropped", f"the connection to {server} broke off")
    return TransportError("protocol", f"talking to {server}: {_tail(str(exc))}")


def _ssl_reason(exc: BaseException) -> str:
    """The innermost ``ssl`` error in words ("certificate verify failed: unable to get local issuer certificate")."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError) and current.reason:
            return str(current.reason).lower().replace("_", " ")
        todo.extend([*current.args, getattr(current, "reason", None), current.__cause__, current.__context__])
    return _tail(str(exc))


def _tail(text: str) -> str:
    """The useful end of urllib3's nested messages ("...: [Errno 111] Connection refused")."""
    text = text.strip().strip("()")
    return text.rsplit(": ", 1)[-1] if ": " in text else text


# -------------------------------------------------------------------------------------------------------------- http


def _socket_options() -> list[tuple[int, int, int]]:
    """TCP keepalive so a silently dead peer (VPN dropped) is noticed within about a minute."""
    options: list[tuple[int, int, int]] = list(urllib3.connection.HTTPConnection.default_socket_options or [])
    options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


class Http:
    """GET requests to one API server with the access's credentials; a 401 triggers one credential refresh."""

    def __init__(self, access: ClusterAccess, maxsize: int = 4) -> None:
        self.access = access
        self.server = access.server
        self._headers: dict[str, str] = dict(access.headers)
        self._generation = 0
        self._refresh_lock = threading.Lock()
        pool_kw: dict[str, Any] = {"maxsize": maxsize, "block": False, "socket_options": _socket_options()}
        if access.is_tls:
            if access.verify:
                pool_kw["cert_reqs"] = "CERT_REQUIRED"
                if access.ca_file:
                    pool_kw["ca_certs"] = access.ca_file
                if access.ca_data:
                    pool_kw["ca_cert_data"] = access.ca_data
                if access.tls_server_name:
                    pool_kw["server_hostname"] = access.tls_server_name
                    pool_kw["assert_hostname"] = access.tls_server_name
            else:
                pool_kw["cert_reqs"] = "CERT_NONE"
                pool_kw["assert_hostname"] = False
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            if access.cert_file:
                pool_kw["cert_file"] = access.cert_file
                pool_kw["key_file"] = access.key_file
        self._pool: urllib3.PoolManager
        if access.proxy:
            self._pool = urllib3.ProxyManager(access.proxy, num_pools=4, **pool_kw)
        else:
            self._pool = urllib3.PoolManager(num_pools=4, **pool_kw)

    def url(self, path: str, query: Mapping[str, str | int] | None = None) -> str:
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def open(
        self,
        path: str,
        query: Mapping[str, str | int] | None = None,
        *,
        timeout: urllib3.Timeout | float | None = None,
        accept: str = "application/json",
        gzip: bool = False,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """A 200 response, body not read yet (the caller reads and releases it); raises ApiError/TransportError."""
        url = self.url(path, query)
        if timeout is None:
            timeout = self.access.timeout
        for attempt in (0, 1):
            generation = self._generation
            headers = {**self._headers, "Accept": accept, "User-Agent": USER_AGENT}
            if gzip:
                headers["Accept-Encoding"] = "gzip"
            try:
                response = self._pool.request(
                    "GET",
                    url,
                    headers=headers,
                    timeout=timeout,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                )
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_error(exc, self.server) from exc
            if response.status == 200:
                if on_response is not None:
                    on_response(response)
                return response
            try:
                body = response.read(_MAX_ERROR_BODY)
            except (urllib3.exceptions.HTTPError, OSError):
                body = b""
            _discard(response)
            if response.status == 401 and attempt == 0 and self._refresh(generation):
                continue
            raise _api_error(response.status, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(
        self,
        path: str,
        query: Mapping[str, str | int] | None = None,
        *,
        accept: str = "application/json",
        gzip: bool = False,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None = None,
    ) -> Any:
        response = self.open(path, query, accept=accept, gzip=gzip, on_response=on_response)
        try:
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            _discard(response)
            raise transport_error(exc, self.server) from exc
        else:
            response.release_conn()
        finally:
            if on_response is not None:
                on_response(None)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise TransportError("protocol", f"{self.server}{path} answered with invalid JSON ({exc.msg})") from None

    def _refresh(self, generation: int) -> bool:
        """Fresh credentials after a 401 (one refresh for many threads); False when there is nothing to refresh."""
        refresher = self.access.refresh_headers
        if refresher is None:
            return False
        with self._refresh_lock:
            if self._generation != generation:
                return True  # another thread refreshed while this request was in flight
            try:
                fresh = dict(refresher())
            except Exception as exc:
                log.warning("credential refresh failed", error=str(exc))
                return False
            if fresh == self._headers:
                return False
            self._headers = fresh
            self._generation += 1
            log.info("credentials refreshed after 401")
            return True

    def close(self) -> None:
        self._pool.clear()


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close a response whose body was not read to the end (its connection must not be reused as is)."""
    try:
        response.close()
        response.release_conn()
    except Exception:
        pass


def resource_path(info: KindInfo, namespace: str | None) -> str:
    """The collection URL path of a kind (cluster-scoped kinds ignore the namespace)."""
    base = f"/api/{info.version}" if not info.group else f"/apis/{info.group}/{info.version}"
    if info.namespaced and namespace is not None:
        return f"{base}/namespaces/{urllib.parse.quote(namespace, safe='')}/{info.plural}"
    return f"{base}/{info.plural}"


# --------------------------------------------------------------------------------------------------------- discovery


@attrs.frozen
class Discovery:
    """Which of KINDS the server serves, and which versions it serves of each resource otherwise."""

    served: Mapping[str, bool]
    versions: Mapping[str, tuple[str, ...]]  # kind -> versions of its group that serve its plural
    aggregated: bool  # answered by one aggregated-discovery call


def discover_api(access: ClusterAccess, http: Http | None = None) -> Discovery:
    """One aggregated discovery call (``GET /apis``); per-group calls only on servers without it (< 1.26)."""
    own = http or Http(access)
    try:
        body = own.get_json("/apis", accept=AGGREGATED_DISCOVERY_ACCEPT)
        resources: dict[tuple[str, str], set[str]] = {}  # (group, version) -> plurals
        aggregated = isinstance(body, dict) and body.get("kind") == "APIGroupDiscoveryList"
        if aggregated:
            for group in body.get("items") or ():
                name = str((group.get("metadata") or {}).get("name") or "")
                for version in group.get("versions") or ():
                    plurals = {str(r.get("resource")) for r in version.get("resources") or ()}
                    resources[(name, str(version.get("version")))] = plurals
        else:
            groups = {
                str(g.get("name")): [str(v.get("version")) for v in g.get("versions") or ()]
                for g in (body.get("groups") or () if isinstance(body, dict) else ())
            }
            wanted = {info.group for info in KINDS.values() if info.group}
            for group in wanted:
                for version in groups.get(group, ()):
                    try:
                        listing = own.get_json(f"/apis/{group}/{version}")
                    except NotFound:
                        continue
                    resources[(group, version)] = {
                        str(r.get("name")) for r in listing.get("resources") or () if "/" not in str(r.get("name"))
                    }
    finally:
        if http is None:
            own.close()
    served: dict[str, bool] = {}
    versions: dict[str, tuple[str, ...]] = {}
    for kind, info in KINDS.items():
        if not info.group:
            served[kind] = True  # core/v1 is always there
            versions[kind] = (info.version,)
            continue
        served[kind] = info.plural in resources.get((info.group, info.version), ())
        versions[kind] = tuple(
            sorted(v for (g, v), plurals in resources.items() if g == info.group and info.plural in plurals)
        )
    return Discovery(served=served, versions=versions, aggregated=aggregated)


def discover(access: ClusterAccess, http: Http | None = None) -> dict[str, bool]:
    """kind → served? for every kind in KINDS (one discovery call)."""
    return dict(discover_api(access, http).served)


def server_version(access: ClusterAccess, http: Http | None = None) -> str:
    """The server's ``gitVersion`` (``GET /version``), e.g. ``v1.36.0``."""
    own = http or Http(access)
    try:
        body = own.get_json("/version")
    finally:
        if http is None:
            own.close()
    return str(body.get("gitVersion") or "") if isinstance(body, dict) else ""


# ------------------------------------------------------------------------------------------------------- live source


def _object_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return ("", "")
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _resource_version(obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return None
    rv = meta.get("resourceVersion")
    return rv if isinstance(rv, str) and rv else None


def _selectable(info: KindInfo) -> bool:
    """A label selector narrows the workload kinds; nodes, topology and events stay whole (GPU capacity, levels)."""
    return info.namespaced and info.kind != "Event"


def _clean(obj: Mapping[str, Any], info: KindInfo) -> KubeObject:
    """managedFields dropped; kind/apiVersion filled in (list items come without them)."""
    out = strip_object(obj)
    if "kind" not in out:
        out["kind"] = info.kind
    if "apiVersion" not in out:
        out["apiVersion"] = info.api_version
    return out


class _Worker:
    """Mutable loop state of one kind (touched only by its own thread, except ``abort``)."""

    def __init__(self, info: KindInfo, namespace: str | None) -> None:
        self.info = info
        self.namespace = namespace  # where this kind is listed and watched (None: all namespaces)
        self.note = ""  # said with every LIVE health report (e.g. why the scope is narrower than asked)
        self.rv: str | None = None
        self.known: dict[tuple[str, str], KubeObject] = {}
        self.listed = False
        self.health: tuple[SourceStatus, str, float | None] | None = None
        self.last_good: float | None = None  # event-clock time the data was last confirmed current
        self.failing_since: float | None = None  # monotonic time of the first failure of the current streak
        self.failures = 0
        self.watch_errors = 0
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._response: urllib3.BaseHTTPResponse | None = None
        self._aborted = False

    def hold(self, response: urllib3.BaseHTTPResponse | None) -> None:
        """Remember the open response (so ``abort`` can cut it); one opened after ``abort`` is cut at once."""
        with self._lock:
            self._response = response
            aborted = self._aborted
        if aborted and response is not None:
            _shutdown(response)

    def abort(self) -> None:
        """Wake the thread out of a blocking read (stop())."""
        with self._lock:
            self._aborted = True
            response = self._response
        if response is not None:
            _shutdown(response)


def _shutdown(response: urllib3.BaseHTTPResponse) -> None:
    """Shut the response's socket down: a read blocked in another thread returns at once."""
    try:
        response.shutdown()
    except Exception:
        connection = getattr(response, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Stop(Exception):
    """The source is stopping: leave the loop quietly."""


class LiveSource:
    """List+watch of several kinds, merged into ``events`` (an ``Observable[Event]``).

    Threads start at the first subscription (so no event is lost before anyone listens) or at ``start()``; later
    subscribers see the events from then on. ``stop()`` ends every thread promptly and completes the stream.
    Timeouts are parameters so tests can run the whole protocol in milliseconds. ``label_selector`` narrows the
    namespaced workload kinds only (nodes, topology bindings and events are needed whole).
    """

    def __init__(
        self,
        access: ClusterAccess,
        kinds: Sequence[str],
        *,
        namespace: str | None,
        label_selector: str | None = None,
        not_installed: Mapping[str, str] | Iterable[str] = (),
        cluster_wide: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        page_size: int = 500,
        watch_timeout: float = 290.0,
        read_grace: float = 30.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        stale_after: float = 15.0,
        tick_interval: float | None = None,
        join_timeout: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown kinds: {', '.join(unknown)}")
        self.access = access
        self.namespace = namespace
        self.label_selector = label_selector
        if isinstance(not_installed, Mapping):
            self._not_installed = {k: str(v) for k, v in not_installed.items()}
        else:
            self._not_installed = {k: f"{KINDS[k].crd_name} is not installed in this cluster" for k in not_installed}
        self.kinds = tuple(kinds)
        self._clock = clock
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._read_grace = read_grace
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._stale_after = stale_after
        self._tick_interval = tick_interval
        self._join_timeout = join_timeout
        self._rng = rng or random.Random()
        watched = [k for k in self.kinds if k not in self._not_installed]
        wide = set(cluster_wide)
        # Kinds in ``cluster_wide`` are watched in every namespace even when the command is namespaced (pods, for
        # GPU accounting: other namespaces' pods use GPUs too); forbidden that wide, they fall back to the namespace.
        self._workers = {
            k: _Worker(KINDS[k], None if k in wide or not KINDS[k].namespaced else namespace) for k in watched
        }
        self._http = Http(access, maxsize=len(watched) + 2)
        self._subject: Subject[Event] = Subject()
        self._emit_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._started = False
        self._closed = False
        self._threads: list[threading.Thread] = []
        self.events: reactivex.Observable[Event] = reactivex.create(self._subscribe)

    # -------------------------------------------------------------------------------------------- lifecycle

    def _subscribe(self, observer: Any, scheduler: Any = None) -> Any:
        disposable = self._subject.subscribe(observer)
        self.start()
        return disposable

    def start(self) -> None:
        with self._state_lock:
            if self._started or self._stopping.is_set():
                return
            self._started = True
        for kind in self.kinds:
            if kind in self._not_installed:
                self._emit(
                    SourceHealthChanged(self._clock(), kind, SourceStatus.NOT_INSTALLED, self._not_installed[kind])
                )
            else:
                self._set_health(self._workers[kind], SourceStatus.CONNECTING)
        for kind, worker in self._workers.items():
            thread = threading.Thread(target=self._run, args=(worker,), name=f"grove-watch-{kind}", daemon=True)
            worker.thread = thread
            self._threads.append(thread)
        if self._workers:
            self._threads.append(threading.Thread(target=self._watchdog, name="grove-watchdog", daemon=True))
        if self._tick_interval:
            self._threads.append(threading.Thread(target=self._tick, name="grove-clock", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """End every thread (closing their connections) and complete the stream; safe to call from a subscriber."""
        with self._state_lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        for worker in self._workers.values():
            worker.abort()
        current = threading.current_thread()
        if current not in self._threads:
            deadline = time.monotonic() + self._join_timeout
            for thread in self._threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._emit_lock:
            if not self._closed:
                self._closed = True
                try:
                    self._subject.on_completed()
                except Exception:
                    log.exception("subscriber failed on completion")
        self._http.close()

    close = stop

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    # ------------------------------------------------------------------------------------------- emission

    def _emit(self, event: Event) -> None:
        with self._emit_lock:
            if self._closed:
                return
            try:
                self._subject.on_next(event)
            except Exception:
                log.exception("subscriber failed", event=type(event).__name__)

    def _set_health(
        self,
        worker: _Worker,
        status: SourceStatus,
        message: str = "",
        since: float | None = None,
        only_from: SourceStatus | None = None,
    ) -> None:
        """Report a change of the kind's health (nothing when unchanged, or when not currently ``only_from``)."""
        with self._emit_lock:
            if only_from is not None and (worker.health is None or worker.health[0] is not only_from):
                return
            health = (status, message, since)
            if worker.health == health:
                return
            worker.health = health
            log.debug("source health", kind=worker.info.kind, status=status.value, message=message)
            self._emit(SourceHealthChanged(self._clock(), worker.info.kind, status, message, since))

    def _watchdog(self) -> None:
        """Turn RECONNECTING into STALE on time, even while a worker is stuck in a hanging request."""
        interval = max(0.02, min(1.0, self._stale_after / 3))
        while not self._stopping.wait(interval):
            now = time.monotonic()
            for worker in self._workers.values():
                failing_since, health = worker.failing_since, worker.health
                if (
                    worker.listed
                    and failing_since is not None
                    and health is not None
                    and health[0] is SourceStatus.RECONNECTING
                    and now - failing_since >= self._stale_after
                ):
                    self._set_health(
                        worker, SourceStatus.STALE, health[1], worker.last_good, only_from=SourceStatus.RECONNECTING
                    )

    def _tick(self) -> None:
        interval = self._tick_interval or 1.0
        while not self._stopping.wait(interval):
            self._emit(ClockAdvanced(self._clock()))

    # ------------------------------------------------------------------------------------------- the loop

    def _run(self, worker: _Worker) -> None:
        kind = worker.info.kind
        gone_streak = 0
        while not self._stopping.is_set():
            try:
                if worker.rv is None:
                    self._list(worker)
                    worker.failures = 0
                    worker.failing_since = None
                began = time.monotonic()
                lines = self._watch(worker)
                if lines:
                    gone_streak = 0
                if lines or time.monotonic() - began >= 0.5:
                    worker.failures = 0
                else:
                    # closed at once with nothing said: do not spin against a server that does that repeatedly
                    worker.failures += 1
                    if worker.failures > 1:
                        self._pause(self._delay(worker.failures - 1))
            except _Stop:
                break
            except Gone as exc:
                if self._stopping.is_set():
                    break
                log.info("resourceVersion expired, re-listing", kind=kind, message=exc.message)
                worker.rv = None
                gone_streak += 1
                if gone_streak > 1:
                    self._pause(self._delay(gone_streak - 1))
            except Forbidden as exc:
                if self._stopping.is_set():
                    break
                if worker.namespace is None and self.namespace is not None and worker.info.namespaced:
                    worker.namespace = self.namespace
                    worker.note = (
                        f"{worker.info.plural} in other namespaces are not visible ({exc.message}); "
                        "GPUs they use count as free"
                    )
                    worker.rv = None
                    continue
                self._set_health(worker, SourceStatus.FORBIDDEN, exc.message + self._own_namespace_readable(worker))
                worker.rv = None
                self._pause(self._delay_max())
            except NotFound as exc:
                if self._stopping.is_set():
                    break
                info = worker.info
                what = f"{info.crd_name} is not installed in this cluster" if info.group else f"{info.plural}: {exc}"
                self._set_health(worker, SourceStatus.NOT_INSTALLED, what)
                worker.rv = None
                self._pause(self._delay_max())
            except (ApiError, TransportError) as exc:
                if self._stopping.is_set():
                    break
                self._failed(worker, exc)
            except Exception as exc:  # a bug or an odd answer must not kill the kind's thread silently
                if self._stopping.is_set():
                    break
                log.exception("live source error", kind=kind)
                self._failed(worker, exc)

    def _own_namespace_readable(self, worker: _Worker) -> str:
        """After a list across all namespaces was forbidden: may the user list the kind in the context's own
        namespace? (A tenant usually may; the message then says so, and the view suggests ``-n``.)"""
        own = self.access.namespace
        if worker.namespace is not None or not worker.info.namespaced or not own:
            return ""
        try:
            self._http.get_json(resource_path(worker.info, own), {"limit": 1})
        except (ApiError, TransportError):
            return ""
        return READABLE_IN + own

    def _failed(self, worker: _Worker, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ApiError | TransportError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ApiError) and not isinstance(exc, Unauthorized):
            message = f"{exc.status} {exc.reason}: {exc.message}" if exc.reason else f"{exc.status}: {exc.message}"
        if isinstance(exc, Unauthorized):
            message = f"401 Unauthorized: the API server rejected the credentials ({exc.message})"
        worker.failures += 1
        now = time.monotonic()
        if worker.failing_since is None:
            worker.failing_since = now
        log.info("watch failed", kind=worker.info.kind, error=message, failures=worker.failures)
        stale = (
            worker.listed
            and worker.health is not None
            and (worker.health[0] is SourceStatus.STALE or now - worker.failing_since >= self._stale_after)
        )
        status = SourceStatus.STALE if stale else SourceStatus.RECONNECTING
        self._set_health(worker, status, message, worker.last_good)
        self._pause(self._delay(worker.failures))

    def _delay(self, failures: int) -> float:
        base = self._backoff_initial * (2.0 ** min(max(0, failures - 1), 30))
        return min(self._backoff_max, base * self._rng.uniform(1.0, 1.5))

    def _delay_max(self) -> float:
        return self._backoff_max * self._rng.uniform(0.8, 1.0)

    def _pause(self, delay: float) -> None:
        """Wait ``delay`` seconds, or until stop."""
        if delay > 0:
            self._stopping.wait(delay)

    def _check_stop(self) -> None:
        if self._stopping.is_set():
            raise _Stop

    # ------------------------------------------------------------------------------------------- list

    def _list(self, worker: _Worker) -> None:
        info = worker.info
        path = resource_path(info, worker.namespace)
        items: list[KubeObject] = []
        rv = ""
        cont: str | None = None
        expired_continues = 0
        while True:
            self._check_stop()
            query: dict[str, str | int] = {"limit": self._page_size}
            if cont:
                query["continue"] = cont
            if self.label_selector and _selectable(info):
                query["labelSelector"] = self.label_selector
            try:
                body = self._http.get_json(path, query, gzip=True, on_response=worker.hold)
            except Gone:
                if not cont or expired_continues >= 2:
                    raise
                # the continue token expired between pages: list again from the start
                expired_continues += 1
                items, cont = [], None
                continue
            if not isinstance(body, dict):
                raise TransportError("protocol", f"{self._http.server}{path}: a list answer is not a JSON object")
            for item in body.get("items") or ():
                if isinstance(item, dict):
                    items.append(_clean(item, info))
            meta = body.get("metadata") or {}
            rv = str(meta.get("resourceVersion") or "")
            cont = meta.get("continue") or None
            if not cont:
                break
        self._check_stop()
        at = self._clock()
        known = {_object_key(obj): obj for obj in items}
        if worker.listed:
            for key, old in worker.known.items():
                if key not in known:
                    self._emit(Removed(at, info.kind, old))
        self._emit(Listed(at, info.kind, tuple(items), worker.namespace if info.namespaced else None))
        worker.known = known
        worker.rv = rv or None
        worker.listed = True
        worker.last_good = at
        worker.watch_errors = 0
        self._set_health(worker, SourceStatus.LIVE, worker.note)
        log.debug("listed", kind=info.kind, count=len(items), resource_version=rv)

    # ------------------------------------------------------------------------------------------- watch

    def _watch(self, worker: _Worker) -> int:
        """Follow one watch request until the server closes it; returns the number of lines received."""
        info = worker.info
        server_timeout = max(1, round(self._watch_timeout * self._rng.uniform(0.9, 1.1)))
        query: dict[str, str | int] = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "timeoutSeconds": server_timeout,
        }
        if worker.rv:
            query["resourceVersion"] = worker.rv
        if self.label_selector and _selectable(info):
            query["labelSelector"] = self.label_selector
        timeout = urllib3.Timeout(connect=self.access.timeout, read=server_timeout + self._read_grace)
        self._check_stop()
        response = self._http.open(
            resource_path(info, worker.namespace), query, timeout=timeout, on_response=worker.hold
        )
        lines = 0
        finished = False
        try:
            worker.last_good = self._clock()
            worker.failing_since = None
            self._set_health(worker, SourceStatus.LIVE, worker.note)
            buffer = bytearray()
            while True:
                try:
                    chunk = response.read1(_READ_SIZE)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    self._check_stop()
                    raise transport_error(exc, self._http.server) from exc
                if not chunk:
                    break
                buffer += chunk
                start = 0
                while True:
                    end = buffer.find(b"\n", start)
                    if end < 0:
                        break
                    line = bytes(buffer[start:end])
                    start = end + 1
                    if line.strip():
                        lines += 1
                        self._handle_line(worker, line)
                if start:
                    del buffer[:start]
            finished = True
            self._check_stop()
            if buffer.strip():
                lines += 1
                self._handle_line(worker, bytes(buffer))
        finally:
            worker.hold(None)
            if finished:
                response.release_conn()
            else:
                _discard(response)
        return lines

    def _handle_line(self, worker: _Worker, line: bytes) -> None:
        self._check_stop()
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise TransportError("protocol", f"watch of {worker.info.plural}: a line is not JSON ({exc.msg})") from None
        if not isinstance(event, dict):
            raise TransportError("protocol", f"watch of {worker.info.plural}: a line is not a JSON object")
        kind = event.get("type")
        obj = event.get("object")
        if kind == "ERROR":
            status = obj if isinstance(obj, dict) else {}
            code = status.get("code")
            code = code if isinstance(code, int) else 500
            error = _api_error(code, orjson.dumps(status))
            worker.watch_errors += 1
            if worker.watch_errors >= 2 and not isinstance(error, Gone):
                worker.rv = None  # the server keeps refusing this resume point: start over with a list
            raise error
        if not isinstance(obj, dict):
            raise TransportError("protocol", f"watch of {worker.info.plural}: an event without an object")
        rv = _resource_version(obj)
        worker.last_good = self._clock()
        worker.watch_errors = 0
        if kind == "BOOKMARK":
            if rv:
                worker.rv = rv
            return
        info = worker.info
        clean = _clean(obj, info)
        key = _object_key(clean)
        if kind in ("ADDED", "MODIFIED"):
            worker.known[key] = clean
            self._emit(Applied(worker.last_good, info.kind, clean))
        elif kind == "DELETED":
            worker.known.pop(key, None)
            self._emit(Removed(worker.last_good, info.kind, clean))
        else:
            log.debug("ignored watch event", kind=info.kind, type=kind)
        if rv:
            worker.rv = rv

    # ------------------------------------------------------------------------------------------- inspection

    def resume_version(self, kind: str) -> str | None:
        """The resourceVersion the next watch of ``kind`` starts from (tests, diagnostics)."""
        worker = self._workers.get(kind)
        return worker.rv if worker else None

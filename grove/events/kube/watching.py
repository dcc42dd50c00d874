"""The live source: list + watch per kind against a Kubernetes API server, as one ``Observable[Event]``.

Why not the client's ``Watch.stream``: in kubernetes 37.0.2 it never advances its resourceVersion after a server-side
close and gives up on 410 (docs/design.md, The live source); its typed models also cost ~10× raw JSON. So this
module speaks HTTP itself (urllib3, raw bytes decoded with orjson), from a plain ``ClusterAccess`` value the
commands layer resolved.

Per kind, one daemon thread runs the loop a reflector runs:

1. paged list (``limit``, follow ``continue``) → ``Listed`` (after a re-list, ``Removed`` first for every object known
   before and missing now, so a recording shows the deletions the gap hid);
2. watch from the list's resourceVersion with bookmarks and a jittered server timeout, a client read timeout a little
   longer (a dead connection is noticed) and TCP keepalive; every line advances the resume point, bookmarks included;
3. a server-side close resumes the watch at once; 410 Gone (HTTP 410, or an ``ERROR`` event inside a 200 stream)
   re-lists; any other failure backs off (capped exponential, jittered) and reports RECONNECTING, then STALE;
4. 403 → FORBIDDEN with the server's message, 404 → NOT_INSTALLED; both retried slowly (RBAC and CRDs change).

Time is an injected reactivex scheduler's (a ``TestScheduler`` in tests, virtual time): a pause before the next
attempt is an action scheduled on it, which starts the kind's next run on a fresh thread (the blocking list and
watch never run on the scheduler), and the stale watchdog is an interval on it.

Every change of a kind's health is a ``SourceHealthChanged``. Events from all threads are serialised by one lock, so
a subscriber sees one event at a time.
"""

from __future__ import annotations

import contextlib
import functools
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson
import reactivex
import urllib3
from reactivex import abc
from reactivex.scheduler import NewThreadScheduler
from reactivex.subject import Subject

from grove.events.access import ClusterAccess
from grove.events.kinds import KINDS, KindInfo
from grove.events.kube.errors import (
    ApiError,
    Forbidden,
    Gone,
    NotFound,
    TransportError,
    Unauthorized,
    api_error,
    transport_error,
)
from grove.events.kube.http import Http, discard, resource_path
from grove.events.kube.list_decoding import InvalidJSON, list_decoder
from grove.events.kube.logging import log
from grove.events.model import (
    READABLE_IN,
    Applied,
    Event,
    KubeObject,
    Listed,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)
from grove.events.paging import decoded_pages
from grove.events.recordings.codec import strip_object
from grove.events.slim import slim_object

_READ_SIZE = 256 * 1024

ThreadFactory = Callable[[Callable[[], None], str], threading.Thread]
"""Makes the (unstarted) thread that runs one kind's list and watch, given its target and name."""


def _daemon_thread(target: Callable[[], None], name: str) -> threading.Thread:
    return threading.Thread(target=target, name=name, daemon=True)


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
        self.failing_since: float | None = None  # scheduler time of the first failure of the current streak
        self.failures = 0
        self.gone_streak = 0  # 410s in a row without a watch line between them
        self.watch_errors = 0
        self.thread: threading.Thread | None = None  # the thread of the current run
        self.resume: abc.DisposableBase | None = None  # the next run, scheduled after a pause
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
    Timeouts are parameters so tests can run the whole protocol in milliseconds; ``scheduler`` (default a
    ``NewThreadScheduler``) keeps the time of pauses and of the watchdog, ``thread_factory`` makes the threads the
    lists and watches block on. ``label_selector`` narrows the namespaced workload kinds only (nodes, topology
    bindings and events are needed whole).
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
        join_timeout: float = 2.0,
        rng: random.Random | None = None,
        slim: bool = False,
        warm: Callable[[str, KubeObject], object] | None = None,
        scheduler: abc.SchedulerBase | None = None,
        thread_factory: ThreadFactory = _daemon_thread,
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
        self._join_timeout = join_timeout
        self._rng = rng or random.Random()
        self._slim = slim  # objects keep only what the reports read (grove.events.slim)
        # called with (kind, object) for each listed object on its list's thread, while the next page downloads: a
        # one-shot read computes per-object derivations (cached by identity) there instead of after the last list
        self._warm = warm
        self._scheduler = scheduler if scheduler is not None else NewThreadScheduler()
        self._thread_factory = thread_factory
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
        self._watchdog: abc.DisposableBase | None = None
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
        for worker in self._workers.values():
            self._spawn(worker)
        if self._workers:
            interval = max(0.02, min(1.0, self._stale_after / 3))
            watchdog = reactivex.interval(interval, scheduler=self._scheduler)
            self._watchdog = watchdog.subscribe(lambda _: self._check_stale())

    def stop(self) -> None:
        """End every thread (closing their connections) and complete the stream; safe to call from a subscriber."""
        with self._state_lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.dispose()
        for worker in self._workers.values():
            if worker.resume is not None:
                worker.resume.dispose()
            worker.abort()
        current = threading.current_thread()
        deadline = time.monotonic() + self._join_timeout
        for worker in self._workers.values():
            if worker.thread is not None and worker.thread is not current:
                worker.thread.join(max(0.0, deadline - time.monotonic()))
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

    def _check_stale(self) -> None:
        """The watchdog: turn RECONNECTING into STALE on time, even while a worker is stuck in a hanging request."""
        now = self._now()
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

    def _now(self) -> float:
        return float(self._scheduler.to_seconds(self._scheduler.now))

    # ------------------------------------------------------------------------------------------- the loop

    def _spawn(self, worker: _Worker) -> None:
        """Start the kind's next run on a thread of its own (unless stopping)."""
        with self._state_lock:
            if self._stopping.is_set():
                return
            thread = self._thread_factory(functools.partial(self._run, worker), f"grove-watch-{worker.info.kind}")
            worker.thread = thread
            thread.start()

    def _resume_after(self, worker: _Worker, delay: float) -> None:
        """The kind's next run, ``delay`` seconds of the scheduler's time from now."""
        with self._state_lock:
            if self._stopping.is_set():
                return
            worker.resume = self._scheduler.schedule_relative(delay, lambda _scheduler, _state: self._spawn(worker))

    def _run(self, worker: _Worker) -> None:
        """One run of the kind's loop: attempts one after the other until one asks for a pause (or the source
        stops); the pause is scheduled and ends this thread."""
        while not self._stopping.is_set():
            delay = self._attempt(worker)
            if delay is None:
                return
            if delay > 0:
                self._resume_after(worker, delay)
                return

    def _attempt(self, worker: _Worker) -> float | None:
        """A list (when needed) and one watch: the pause before the next attempt (0: at once), None to stop."""
        kind = worker.info.kind
        try:
            if worker.rv is None:
                self._list(worker)
                worker.failures = 0
                worker.failing_since = None
            began = self._now()
            lines = self._watch(worker)
            if lines:
                worker.gone_streak = 0
            if lines or self._now() - began >= 0.5:
                worker.failures = 0
                return 0.0
            # closed at once with nothing said: do not spin against a server that does that repeatedly
            worker.failures += 1
            return self._delay(worker.failures - 1) if worker.failures > 1 else 0.0
        except _Stop:
            return None
        except Gone as exc:
            if self._stopping.is_set():
                return None
            log.info("resourceVersion expired, re-listing", kind=kind, message=exc.message)
            worker.rv = None
            worker.gone_streak += 1
            return self._delay(worker.gone_streak - 1) if worker.gone_streak > 1 else 0.0
        except Forbidden as exc:
            if self._stopping.is_set():
                return None
            if worker.namespace is None and self.namespace is not None and worker.info.namespaced:
                worker.namespace = self.namespace
                worker.note = (
                    f"{worker.info.plural} in other namespaces are not visible ({exc.message}); "
                    "GPUs they use count as free"
                )
                worker.rv = None
                return 0.0
            self._set_health(worker, SourceStatus.FORBIDDEN, exc.message + self._own_namespace_readable(worker))
            worker.rv = None
            return self._delay_max()
        except NotFound as exc:
            if self._stopping.is_set():
                return None
            info = worker.info
            what = f"{info.crd_name} is not installed in this cluster" if info.group else f"{info.plural}: {exc}"
            self._set_health(worker, SourceStatus.NOT_INSTALLED, what)
            worker.rv = None
            return self._delay_max()
        except (ApiError, TransportError) as exc:
            if self._stopping.is_set():
                return None
            return self._failed(worker, exc)
        except Exception as exc:  # a bug or an odd answer must not kill the kind's loop silently
            if self._stopping.is_set():
                return None
            log.exception("live source error", kind=kind)
            return self._failed(worker, exc)

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

    def _failed(self, worker: _Worker, exc: Exception) -> float:
        """Report the failure (RECONNECTING, or STALE once it lasts); the pause before the next attempt."""
        message = exc.message if isinstance(exc, ApiError | TransportError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ApiError) and not isinstance(exc, Unauthorized):
            message = f"{exc.status} {exc.reason}: {exc.message}" if exc.reason else f"{exc.status}: {exc.message}"
        if isinstance(exc, Unauthorized):
            message = f"401 Unauthorized: the API server rejected the credentials ({exc.message})"
        worker.failures += 1
        now = self._now()
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
        return self._delay(worker.failures)

    def _delay(self, failures: int) -> float:
        base = self._backoff_initial * (2.0 ** min(max(0, failures - 1), 30))
        return min(self._backoff_max, base * self._rng.uniform(1.0, 1.5))

    def _delay_max(self) -> float:
        return self._backoff_max * self._rng.uniform(0.8, 1.0)

    def _check_stop(self) -> None:
        if self._stopping.is_set():
            raise _Stop

    # ------------------------------------------------------------------------------------------- list

    def _list(self, worker: _Worker) -> None:
        info = worker.info
        path = resource_path(info, worker.namespace)
        items: list[KubeObject] = []
        rv = ""
        expired_continues = 0
        while True:
            fetch = functools.partial(self._fetch_page, worker, path)
            paged = False  # a page came in: a 410 after it is about the continue token
            try:
                for body in decoded_pages(fetch, self._decode(path, info.kind)):
                    self._check_stop()
                    before = len(items)
                    if not isinstance(body, dict):
                        raise TransportError(
                            "protocol", f"{self._http.server}{path}: a list answer is not a JSON object"
                        )
                    for item in body.get("items") or ():
                        if isinstance(item, dict):
                            items.append(self._prepare(item, info))
                    if self._warm is not None:
                        for prepared in items[before:]:
                            self._warm(info.kind, prepared)
                    meta = body.get("metadata") or {}
                    rv = str(meta.get("resourceVersion") or "")
                    paged = True
                    self._listing_progress(worker, len(items), meta.get("remainingItemCount"))
            except Gone:
                if not paged or expired_continues >= 2:
                    raise
                # the continue token expired between pages: list again from the start
                expired_continues += 1
                items = []
                continue
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

    def _listing_progress(self, worker: _Worker, received: int, remaining: object) -> None:
        """While a kind's first list is still coming: CONNECTING with "4,500 / ~10,000" (the server's estimate)."""
        if not worker.listed and isinstance(remaining, int) and not isinstance(remaining, bool) and remaining > 0:
            self._set_health(worker, SourceStatus.CONNECTING, f"{received:,} / ~{received + remaining:,}")

    def _fetch_page(self, worker: _Worker, path: str, cont: str | None) -> bytes:
        self._check_stop()
        query: dict[str, str | int] = {"limit": self._page_size}
        if cont:
            query["continue"] = cont
        if self.label_selector and _selectable(worker.info):
            query["labelSelector"] = self.label_selector
        return self._http.get_bytes(path, query, gzip=True, on_response=worker.hold)

    def _decode(self, path: str, kind: str) -> Callable[[bytes], Any]:
        decode_page = list_decoder(kind)

        def decode(data: bytes) -> Any:
            try:
                return decode_page(data)
            except InvalidJSON as exc:
                raise TransportError(
                    "protocol", f"{self._http.server}{path} answered with invalid JSON ({exc.msg})"
                ) from None

        return decode

    def _prepare(self, obj: Mapping[str, Any], info: KindInfo) -> KubeObject:
        """The object as events carry it: cleaned, and slimmed when only the reports need it."""
        clean = _clean(obj, info)
        return slim_object(info.kind, clean) if self._slim else clean

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
                discard(response)
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
            error = api_error(code, orjson.dumps(status))
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
        clean = self._prepare(obj, info)
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

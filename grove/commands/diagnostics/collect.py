"""What diagnostics collects, in three rounds of independent items (see ``runner``):

1. the server's version and API discovery;
2. one list per kind in scope (Grove kinds, pods, events since ``--since``), nodes and topology bindings at cluster
   scope, the operator's pods, and events in the operator's namespace and on cluster-scoped objects;
3. what the lists point at: container logs of the operator and of unhealthy workload pods, and — when listing nodes
   is forbidden — the nodes hosting the pods, fetched one by one.

Log text is scrubbed as it arrives; objects are redacted when the bundle is built (``bundle``), so the recording
and the YAML files are made from the same redacted objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from grove.commands.diagnostics import reads
from grove.commands.diagnostics.runner import Deadline, Done, ItemResult, Job, Runner, Skipped
from grove.events import kinds
from grove.events.access import ClusterAccess
from grove.events.kinds import ALL_KINDS, KINDS
from grove.events.kube import Discovery, Forbidden, Http, NotFound, TransportError, Unauthorized, discover_api
from grove.events.metrics_scrape import MetricsScraper
from grove.events.model import KubeObject, MetricsSampled
from grove.events.redact import Redaction, scrub_log
from grove.reducers import fields as f
from grove.reducers.derive.kube_event_rows import event_time
from grove.reducers.derive.pods import has_failed_container, is_grove_pod, is_ready, restarts

OPERATOR_SELECTOR = "app.kubernetes.io/name=grove-operator"  # the Grove Helm chart's deployment.labels
OPERATOR_NAME = "grove-operator"
MAX_LOG_PODS = 100  # unhealthy workload pods whose logs are collected (the worst first)
OPERATOR_TAIL = 50_000  # lines of the operator's current log (within --since)
LOG_LIMIT_BYTES = 32 * 1024 * 1024  # per container log
WORKERS = 8
ITEM_TIMEOUT = 120.0  # seconds for one item (a list with all its pages, one log)
MAX_METRICS_PODS = 200  # a capture, not a census: the first 200 running Grove pods by namespace and name
CLUSTER_EVENT_KINDS = (kinds.CLUSTERTOPOLOGYBINDING, kinds.NODE)


@attrs.frozen
class Settings:
    namespace: str | None  # None: all namespaces
    operator_namespace: str
    since: float  # seconds; 0: everything
    tail: int
    logs: bool
    now: float  # wall clock at the start (events since now - since)
    metrics_window: float = 5.0  # seconds between the two metrics scrapes; 0: no metrics capture


@attrs.define
class KindOutcome:
    """One kind's list: the objects (None when it failed), when, and the note a replay shows about its scope."""

    kind: str
    result: ItemResult
    objects: list[KubeObject] | None
    at: float
    note: str = ""
    error: BaseException | None = None


@attrs.frozen
class LogPiece:
    file: str  # path inside the bundle
    namespace: str
    pod: str
    container: str
    previous: bool
    text: str
    truncated: bool
    redactions: tuple[Redaction, ...]


@attrs.define
class Collected:
    settings: Settings
    started: float
    finished: float = 0.0
    version: Mapping[str, Any] = attrs.field(factory=dict)
    discovery: Discovery | None = None
    kinds: dict[str, KindOutcome] = attrs.field(factory=dict)
    cluster_events: list[KubeObject] = attrs.field(factory=list)  # events on topology bindings and nodes
    operator_pods: list[KubeObject] = attrs.field(factory=list)
    operator_events: list[KubeObject] = attrs.field(factory=list)
    logs: list[LogPiece] = attrs.field(factory=list)
    metrics: list[MetricsSampled] = attrs.field(factory=list)  # two scrapes of the Grove pods, a window apart
    items: list[ItemResult] = attrs.field(factory=list)
    errors: list[BaseException] = attrs.field(factory=list)  # of the failed items, for the "nothing collected" line

    @property
    def server_version(self) -> str:
        return str(self.version.get("gitVersion") or "")

    def objects(self, kind: str) -> list[KubeObject]:
        outcome = self.kinds.get(kind)
        return list(outcome.objects or ()) if outcome is not None else []

    @property
    def anything(self) -> bool:
        """Whether any list or log came back (version and discovery alone are not a bundle)."""
        return any(o.objects is not None for o in self.kinds.values()) or bool(self.logs or self.operator_pods)


# --------------------------------------------------------------------------------------------------- selection


def _started(status: Mapping[str, Any]) -> bool:
    state = f.mapping(status.get("state"))
    last = f.mapping(status.get("lastState"))
    return bool(state.get("running") or state.get("terminated") or last.get("terminated"))


def unhealthy(pod: KubeObject) -> bool:
    """A pod whose logs may tell why: a container failed or restarted, or it runs but is not ready, or it failed."""
    phase = f.text(f.get(pod, "status", "phase"))
    if phase == "Succeeded":
        return False
    return (
        phase == "Failed"
        or has_failed_container(pod)
        or restarts(pod) > 0
        or (phase == "Running" and not is_ready(pod))
    )


def _badness(pod: KubeObject) -> tuple[int, int, int, str, str]:
    """Sort key: failed containers first, then the most restarts, Grove pods before others."""
    return (
        0 if has_failed_container(pod) else 1,
        -restarts(pod),
        0 if is_grove_pod(pod) else 1,
        f.namespace(pod),
        f.name(pod),
    )


def container_runs(pod: KubeObject) -> list[tuple[str, bool]]:
    """(container, previous) pairs that have a log: containers that started, and their last instance if restarted."""
    out: list[tuple[str, bool]] = []
    status = f.mapping(pod.get("status"))
    for cs in [*f.seq(status.get("initContainerStatuses")), *f.seq(status.get("containerStatuses"))]:
        cs_map = f.mapping(cs)
        name = f.text(cs_map.get("name"))
        if not name or not _started(cs_map):
            continue
        out.append((name, False))
        if f.mapping(f.mapping(cs_map.get("lastState")).get("terminated")) or f.integer(cs_map.get("restartCount")):
            out.append((name, True))
    return out


def _operator_containers(pod: KubeObject) -> list[tuple[str, bool]]:
    """Every container of the operator pod (even not started: the API says why), and previous ones if restarted."""
    runs = container_runs(pod)
    spec = f.mapping(pod.get("spec"))
    names = [
        f.text(f.mapping(c).get("name")) for c in [*f.seq(spec.get("initContainers")), *f.seq(spec.get("containers"))]
    ]
    known = {name for name, _ in runs}
    return runs + [(name, False) for name in names if name and name not in known]


def recent(events: Iterable[KubeObject], since: float, now: float) -> list[KubeObject]:
    """Events that happened in the last ``since`` seconds (all when 0; those without a time are kept)."""
    if since <= 0:
        return list(events)
    cutoff = now - since
    kept = []
    for event in events:
        at = event_time(event)
        if at is None or at >= cutoff:
            kept.append(event)
    return kept


def log_file(namespace: str, pod: str, container: str, previous: bool, operator: bool) -> str:
    base = f"logs/operator/{pod}" if operator else f"logs/pods/{namespace}/{pod}"
    return f"{base}/{container}{'.previous' if previous else ''}.log"


# ---------------------------------------------------------------------------------------------------- collector


class Collector:
    """Collects with one ``Http`` (its pool sized for the workers) through a ``Runner``."""

    def __init__(self, access: ClusterAccess, http: Http, settings: Settings, runner: Runner) -> None:
        self.access = access
        self.http = http
        self.settings = settings
        self.runner = runner
        self.out = Collected(settings=settings, started=time.time())

    def _run(self, jobs: list[Job]) -> list[Done]:
        done = self.runner.run(jobs)
        for d in done:
            self.out.items.append(d.result)
            if d.error is not None:
                self.out.errors.append(d.error)
        return done

    def collect(self) -> Collected:
        if not self._basics():
            self.out.finished = time.time()
            return self.out
        self._lists()
        self._follow_ups()
        self.out.finished = time.time()
        return self.out

    # ------------------------------------------------------------------------------------------ round 1

    def _basics(self) -> bool:
        """Version and discovery; False when the server cannot be reached or rejects the credentials."""
        http = self.http

        def version(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            body, size = reads.get_json(http, "/version", None, deadline)
            return (body if isinstance(body, dict) else {}), None, size

        def discovery(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            found = discover_api(self.access, http)
            return found, sum(1 for served in found.served.values() if served), None

        got_version, got_discovery = self._run([Job("server version", version), Job("API discovery", discovery)])
        if got_version.result.ok:
            self.out.version = got_version.value
        if got_discovery.result.ok:
            self.out.discovery = got_discovery.value
        hopeless = (TransportError, Unauthorized)
        return not (isinstance(got_version.error, hopeless) and isinstance(got_discovery.error, hopeless))

    # ------------------------------------------------------------------------------------------ round 2

    def _lists(self) -> None:
        s = self.settings
        jobs: list[Job] = []
        handlers: list[Callable[[Done], None]] = []
        served = self.out.discovery.served if self.out.discovery is not None else {}
        for kind in ALL_KINDS:
            info = KINDS[kind]
            namespace = s.namespace if info.namespaced else None
            name = f"list {info.plural}" + (f" in {namespace}" if namespace else "")
            if not served.get(kind, True):
                message = f"{info.crd_name} is not installed in this cluster"
                result = ItemResult(name, "failed", "not found", message)
                self.out.items.append(result)
                self.out.kinds[kind] = KindOutcome(kind, result, None, time.time())
                continue
            jobs.append(Job(name, self._list_job(info, namespace)))
            handlers.append(self._kind_handler(kind))
        jobs.append(Job(f"list operator pods in {s.operator_namespace}", self._operator_pods_job))
        handlers.append(self._operator_pods_done)
        if s.namespace is not None and s.namespace != s.operator_namespace:
            jobs.append(Job(f"list events in {s.operator_namespace}", self._events_job(s.operator_namespace)))
            handlers.append(self._operator_events_done)
        if s.namespace is not None and s.namespace != "default":
            jobs.append(Job("list events on nodes and topology bindings", self._cluster_events_job))
            handlers.append(self._cluster_events_done)
        for done, handle in zip(self._run(jobs), handlers, strict=True):
            handle(done)
        if s.namespace is None:  # the operator's events are among those listed
            self.out.operator_events = [
                e for e in self.out.objects(kinds.EVENT) if f.namespace(e) == s.operator_namespace
            ]

    def _list_job(self, info: kinds.KindInfo, namespace: str | None) -> Callable[[Deadline], Any]:
        if info.kind == kinds.EVENT:
            return self._events_job(namespace)

        def work(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            objects, size = reads.list_objects(self.http, info, namespace, deadline)
            return objects, len(objects), size

        return work

    def _events_job(self, namespace: str | None) -> Callable[[Deadline], Any]:
        def work(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            objects, size = reads.list_objects(self.http, KINDS[kinds.EVENT], namespace, deadline)
            kept = recent(objects, self.settings.since, self.settings.now)
            return kept, len(kept), size

        return work

    def _kind_handler(self, kind: str) -> Callable[[Done], None]:
        def handle(done: Done) -> None:
            objects = done.value if done.result.ok else None
            self.out.kinds[kind] = KindOutcome(kind, done.result, objects, time.time(), error=done.error)

        return handle

    def _operator_pods_job(self, deadline: Deadline) -> tuple[Any, int | None, int | None]:
        pods_info = KINDS[kinds.POD]
        namespace = self.settings.operator_namespace
        pods, size = reads.list_objects(self.http, pods_info, namespace, deadline, OPERATOR_SELECTOR)
        if not pods:  # installed some other way: look for the deployment's pods by name
            everything, more = reads.list_objects(self.http, pods_info, namespace, deadline)
            size += more
            pods = [p for p in everything if f.name(p).startswith(OPERATOR_NAME + "-")]
        if not pods:
            raise Skipped(
                f"no Grove operator pod in namespace {namespace} (looked for label {OPERATOR_SELECTOR} and for "
                f"pods named {OPERATOR_NAME}-*); pass --operator-namespace if it runs elsewhere"
            )
        return pods, len(pods), size

    def _operator_pods_done(self, done: Done) -> None:
        if done.result.ok:
            self.out.operator_pods = list(done.value)

    def _operator_events_done(self, done: Done) -> None:
        if done.result.ok:
            self.out.operator_events = list(done.value)

    def _cluster_events_job(self, deadline: Deadline) -> tuple[Any, int | None, int | None]:
        """Events on cluster-scoped objects are recorded in ``default``: keep those about bindings and nodes."""
        objects, size = reads.list_objects(self.http, KINDS[kinds.EVENT], "default", deadline)
        kept = [
            e
            for e in recent(objects, self.settings.since, self.settings.now)
            if f.text(f.mapping(e.get("involvedObject") or e.get("regarding")).get("kind")) in CLUSTER_EVENT_KINDS
        ]
        return kept, len(kept), size

    def _cluster_events_done(self, done: Done) -> None:
        if done.result.ok:
            self.out.cluster_events = list(done.value)

    # ------------------------------------------------------------------------------------------ round 3

    def _follow_ups(self) -> None:
        jobs: list[Job] = []
        handlers: list[Callable[[Done], None]] = []
        node_job = self._nodes_one_by_one()
        if node_job is not None:
            jobs.append(node_job)
            handlers.append(self._nodes_done)
        if self.settings.logs:
            for job in self._log_jobs():
                jobs.append(job)
                handlers.append(self._log_done)
        metrics_job = self._metrics_job()
        if metrics_job is not None:
            jobs.append(metrics_job)
            handlers.append(self._metrics_done)
        if not jobs:
            return
        for done, handle in zip(self._run(jobs), handlers, strict=True):
            handle(done)
        self.out.logs.sort(key=lambda piece: piece.file)

    def _hosting_nodes(self) -> list[str]:
        return sorted({f.text(f.get(p, "spec", "nodeName")) for p in self.out.objects(kinds.POD)} - {""})

    def _nodes_one_by_one(self) -> Job | None:
        """When listing nodes is forbidden, reading each node hosting a pod in scope may still be allowed."""
        outcome = self.out.kinds.get(kinds.NODE)
        if outcome is None or outcome.objects is not None or not isinstance(outcome.error, Forbidden):
            return None
        names = self._hosting_nodes()
        if not names:
            return None
        info = KINDS[kinds.NODE]

        def work(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            nodes = []
            for name in names:
                try:
                    nodes.append(reads.get_object(self.http, info, None, name, deadline))
                except NotFound:
                    continue  # deleted since the pod was scheduled: nothing to show
            return nodes, len(nodes), None

        return Job(f"get {len(names)} nodes one by one", work)

    def _nodes_done(self, done: Done) -> None:
        if done.result.ok:
            outcome = self.out.kinds[kinds.NODE]
            outcome.objects = list(done.value)
            outcome.at = time.time()
            outcome.note = (
                "listing nodes is forbidden; only the nodes hosting pods in scope were read one by one, "
                "so cluster GPU totals cover those nodes only"
            )

    def _log_jobs(self) -> list[Job]:
        jobs: list[Job] = []
        for pod in self.out.operator_pods:
            for container, previous in _operator_containers(pod):
                jobs.append(self._log_job(pod, container, previous, operator=True))
        candidates = sorted((p for p in self.out.objects(kinds.POD) if unhealthy(p)), key=_badness)
        for pod in candidates[:MAX_LOG_PODS]:
            for container, previous in container_runs(pod):
                jobs.append(self._log_job(pod, container, previous, operator=False))
        if len(candidates) > MAX_LOG_PODS:
            skipped = len(candidates) - MAX_LOG_PODS
            self.out.items.append(
                ItemResult(
                    f"logs of {skipped} more unhealthy pods",
                    "skipped",
                    "",
                    f"logs are collected for the {MAX_LOG_PODS} worst unhealthy pods only (failed containers, "
                    f"then most restarts); run kubectl logs for the others",
                )
            )
        return jobs

    def _log_job(self, pod: KubeObject, container: str, previous: bool, operator: bool) -> Job:
        namespace, name = f.namespace(pod), f.name(pod)
        file = log_file(namespace, name, container, previous, operator)
        s = self.settings

        def work(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            tail = s.tail if previous or not operator else OPERATOR_TAIL
            since = s.since if operator and not previous else None
            text, truncated = reads.pod_log(
                self.http,
                namespace,
                name,
                container,
                deadline,
                previous=previous,
                tail=tail,
                since=since,
                limit_bytes=LOG_LIMIT_BYTES,
            )
            size = len(text.encode())
            clean, redactions = scrub_log(text, file)
            piece = LogPiece(file, namespace, name, container, previous, clean, truncated, redactions)
            return piece, clean.count("\n") + (1 if clean and not clean.endswith("\n") else 0), size

        which = "previous log" if previous else "log"
        return Job(f"{which} {namespace}/{name}/{container}", work)

    def _metrics_job(self) -> Job | None:
        """Two scrapes of the running Grove pods' metrics, ``metrics_window`` apart, as ``kubectl grove metrics``
        takes them: the bundle's recording then shows rates and quantiles (``metrics --replay BUNDLE``). A pod that
        cannot be scraped (forbidden proxy, metrics off, no exporter) is a sample with its problem, not a failure."""
        window = self.settings.metrics_window
        pods = [p for p in self.out.objects(kinds.POD) if is_grove_pod(p) and f.get(p, "status", "phase") == "Running"]
        if window <= 0 or not pods:
            return None
        pods = sorted(pods, key=lambda p: (f.namespace(p), f.name(p)))[:MAX_METRICS_PODS]
        scraper = MetricsScraper(self.http)

        def work(deadline: Deadline) -> tuple[Any, int | None, int | None]:
            samples = scraper.scrape(pods)
            deadline.check()
            time.sleep(max(0.0, min(window, deadline.remaining() - 1.0)))
            samples += scraper.scrape(pods)
            return samples, sum(1 for s in samples if s.series), None

        return Job(f"metrics of {len(pods)} pods (two scrapes {window:g}s apart)", work)

    def _metrics_done(self, done: Done) -> None:
        if done.result.ok:
            self.out.metrics.extend(done.value)

    def _log_done(self, done: Done) -> None:
        if done.result.ok:
            self.out.logs.append(done.value)

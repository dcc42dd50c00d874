"""Scraping pods' metrics through the API server's pod proxy, one ``MetricsSampled`` per pod and source.

``GET /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH`` (needs ``get`` on ``pods/proxy``) with a numeric port (a
named port is resolved from the pod spec) and a text ``Accept``, so every engine answers in the classic text format.
Where to look comes from the pod: Dynamo's ``nvidia.com/dynamo-component-type`` label (frontends on the ``http`` port,
workers on the ``system`` port), else the ports it declares (SGLang 30000, vLLM and TensorRT-LLM 8000); which engine
answered comes from the series it serves. GPU utilisation comes from the DCGM exporter pod on each pod's node.

Every failure becomes a sample with no series and a ``problem`` saying what would fix it, so one unreachable pod, a
forbidden proxy or a missing exporter costs one line in the view and the other numbers still show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import attrs
import urllib3

from grove.events.exposition import dcgm_by_pod, detect_engine, engine_series, has_dcgm_series, parse_samples
from grove.events.kube import ApiError, Forbidden, Http, NotFound, TransportError, transport_error
from grove.events.model import KubeObject, MetricsSampled

DYNAMO_COMPONENT = "nvidia.com/dynamo-component-type"
DCGM_SELECTORS = ("app=nvidia-dcgm-exporter", "app.kubernetes.io/name=dcgm-exporter")
DCGM_PORT = 9400
_MAX_BODY = 8 << 20
_WORKERS = 8

Clock = Callable[[], float]


@attrs.frozen
class Endpoint:
    """One place a pod may serve metrics."""

    port: int
    path: str
    expect: str  # the engine expected there ("" when only the answer can tell)


def _ports(pod: KubeObject) -> dict[str, int]:
    """Declared container ports: name -> number, and each number under its own text."""
    ports: dict[str, int] = {}
    for container in (pod.get("spec") or {}).get("containers") or ():
        for port in container.get("ports") or ():
            number = port.get("containerPort")
            if isinstance(number, int):
                if isinstance(port.get("name"), str):
                    ports.setdefault(port["name"], number)
                ports.setdefault(str(number), number)
    return ports


def endpoints_of(pod: KubeObject) -> list[Endpoint]:
    """Where to look for the pod's metrics, most likely first."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    ports = _ports(pod)
    component = labels.get(DYNAMO_COMPONENT)
    if component == "frontend":
        return [Endpoint(ports.get("http", 8000), "/metrics", "dynamo-frontend")]
    if component in ("worker", "prefill", "decode", "main"):
        return [Endpoint(ports.get("system", 9090), "/metrics", "dynamo-worker")]
    found: list[Endpoint] = []
    if "metrics" in ports:
        found.append(Endpoint(ports["metrics"], "/metrics", ""))
    if "30000" in ports:
        found.append(Endpoint(30000, "/metrics", "sglang"))
    numbers = [n for key, n in ports.items() if key == str(n) and n not in (30000, ports.get("metrics"))]
    for number in numbers or ([] if found else [8000, 30000]):
        found.append(Endpoint(number, "/metrics", "sglang" if number == 30000 else ""))
        if number != 30000:
            found.append(Endpoint(number, "/prometheus/metrics", "trtllm"))
    return found


def proxy_path(namespace: str, pod: str, port: int, path: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}:{port}/proxy{path}"


class MetricsScraper:
    """Scrapes pods through one API server's pod proxy (thread-safe: one call at a time per pod)."""

    def __init__(self, http: Http, clock: Clock = time.time, timeout: float = 10.0) -> None:
        self.http = http
        self.clock = clock
        self.timeout = timeout

    def _get_text(self, path: str, query: Mapping[str, str] | None = None) -> str:
        response = self.http.open(path, query, timeout=self.timeout, accept="text/plain;version=0.0.4;q=1,*/*;q=0.1")
        try:
            data = response.read(_MAX_BODY)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise transport_error(exc, self.http.server) from exc
        finally:
            response.release_conn()
        return data.decode("utf-8", "replace")

    # ------------------------------------------------------------------------------------------------ engines

    def scrape_pod(self, pod: KubeObject) -> MetricsSampled:
        meta = pod.get("metadata") or {}
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        endpoints = endpoints_of(pod)
        expected = next((e.expect for e in endpoints if e.expect), "engine")
        phase = (pod.get("status") or {}).get("phase")
        if phase != "Running":
            return self._problem(namespace, name, expected, f"not running ({phase or 'no phase yet'}): no metrics yet")
        misses: list[str] = []
        for endpoint in endpoints:
            where = f"{endpoint.port}{endpoint.path}"
            try:
                text = self._get_text(proxy_path(namespace, name, endpoint.port, endpoint.path))
            except Forbidden:
                return self._problem(
                    namespace,
                    name,
                    expected,
                    f"the pod proxy is forbidden: needs get on pods/proxy in namespace {namespace} "
                    f"(check: kubectl auth can-i get pods/proxy -n {namespace})",
                )
            except NotFound:
                misses.append(f"{where}: 404")
                continue
            except ApiError as exc:  # the proxy could not reach the pod (503, 502): connection refused, no route...
                misses.append(f"{where}: HTTP {exc.status}")
                continue
            except TransportError as exc:
                return self._problem(namespace, name, expected, f"API server unreachable: {exc.message}")
            if text.lstrip().startswith(("{", "[")):
                misses.append(f"{where}: JSON, not Prometheus text")
                continue
            try:
                samples = parse_samples(text)
            except ValueError as exc:
                misses.append(f"{where}: not Prometheus text ({exc})")
                continue
            engine = detect_engine(samples)
            if engine is None:
                misses.append(f"{where}: no engine series")
                continue
            source = f"dynamo-worker:{engine.name}" if endpoint.expect == "dynamo-worker" else engine.name
            return MetricsSampled(self.clock(), namespace, name, source, engine_series(engine, samples), "", where)
        return self._problem(namespace, name, expected, _why_no_metrics(expected, endpoints, misses))

    def _problem(self, namespace: str, pod: str, source: str, problem: str) -> MetricsSampled:
        return MetricsSampled(self.clock(), namespace, pod, source, {}, problem)

    # --------------------------------------------------------------------------------------------------- DCGM

    def scrape_gpus(self, pods: Sequence[KubeObject]) -> list[MetricsSampled]:
        """GPU utilisation of ``pods`` from the DCGM exporter on each pod's node (one sample per pod)."""
        nodes = {str((p.get("spec") or {}).get("nodeName") or "") for p in pods} - {""}
        if not nodes:
            return []
        namespace = str((pods[0].get("metadata") or {}).get("namespace", ""))
        try:
            exporters = self._exporters()
        except Forbidden:
            return [
                self._problem(
                    namespace,
                    "",
                    "dcgm",
                    "cannot find the DCGM exporter: needs list on pods in all namespaces; GPU utilisation unknown",
                )
            ]
        except (ApiError, TransportError) as exc:
            return [self._problem(namespace, "", "dcgm", f"cannot find the DCGM exporter: {exc}")]
        if not exporters:
            return [
                self._problem(
                    namespace,
                    "",
                    "dcgm",
                    "no DCGM exporter (the GPU Operator's nvidia-dcgm-exporter DaemonSet) found: GPU utilisation "
                    "unknown; install or enable it",
                )
            ]
        by_node = {node: exporters[node] for node in nodes if node in exporters}
        with ThreadPoolExecutor(min(_WORKERS, max(1, len(by_node)))) as pool:
            answers = dict(zip(by_node, pool.map(self._scrape_exporter, by_node.values()), strict=True))
        out: list[MetricsSampled] = []
        for pod in pods:
            meta = pod.get("metadata") or {}
            ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
            node = str((pod.get("spec") or {}).get("nodeName") or "")
            if not node:
                continue
            answer = answers.get(node)
            if answer is None:
                out.append(self._problem(ns, name, "dcgm", f"no DCGM exporter on node {node}: GPU utilisation unknown"))
            elif isinstance(answer, str):
                out.append(self._problem(ns, name, "dcgm", answer))
            else:
                at, per_pod = answer
                value = per_pod.get((ns, name))
                if value is None:
                    continue  # a pod without GPUs, or one the exporter has not seen yet
                util, gpus, stamp = value
                series: dict[str, float | tuple[tuple[float, float], ...]] = {"gpu_util": util, "gpus": float(gpus)}
                if stamp is not None:
                    series["exporter_time"] = stamp
                out.append(MetricsSampled(at, ns, name, "dcgm", series, "", f"{DCGM_PORT}/metrics"))
        return out

    def _exporters(self) -> dict[str, KubeObject]:
        """node name -> the running DCGM exporter pod there."""
        found: dict[str, KubeObject] = {}
        for selector in DCGM_SELECTORS:
            listing = self.http.get_json("/api/v1/pods", {"labelSelector": selector})
            for pod in listing.get("items") or ():
                node = (pod.get("spec") or {}).get("nodeName")
                if node and (pod.get("status") or {}).get("phase") == "Running":
                    found.setdefault(str(node), pod)
        return found

    def _scrape_exporter(self, exporter: KubeObject) -> tuple[float, dict[Any, Any]] | str:
        meta = exporter.get("metadata") or {}
        port = _ports(exporter).get("metrics", DCGM_PORT)
        try:
            text = self._get_text(proxy_path(str(meta.get("namespace")), str(meta.get("name")), port, "/metrics"))
            at = self.clock()
            samples = parse_samples(text)
        except Forbidden:
            return "the pod proxy to the DCGM exporter is forbidden: needs get on pods/proxy in its namespace"
        except (ApiError, TransportError, ValueError) as exc:
            return f"the DCGM exporter did not answer ({exc}): GPU utilisation unknown"
        if not has_dcgm_series(samples):
            return "the DCGM exporter serves no DCGM_FI_DEV_GPU_UTIL: enable it in its counters CSV"
        per_pod = dcgm_by_pod(samples)
        if not per_pod:
            return (
                "the DCGM exporter does not map GPUs to pods: turn on its Kubernetes mapping "
                "(DCGM_EXPORTER_KUBERNETES=true)"
            )
        return at, per_pod

    # ------------------------------------------------------------------------------------------------ all pods

    def scrape(self, pods: Iterable[KubeObject], gpus: bool = True) -> list[MetricsSampled]:
        """One sample per pod (and per pod from DCGM), scraped concurrently; in pod order."""
        pods = list(pods)
        with ThreadPoolExecutor(_WORKERS) as pool:
            samples = list(pool.map(self.scrape_pod, pods))
        if gpus:
            samples.extend(self.scrape_gpus([p for p in pods if (p.get("status") or {}).get("phase") == "Running"]))
        return samples


def _why_no_metrics(expected: str, endpoints: Sequence[Endpoint], misses: Sequence[str]) -> str:
    tried = "; ".join(misses) or "nothing to try"
    if misses and all(": HTTP 5" in miss for miss in misses):
        fix = "the pod does not answer on that port: check that the engine runs and listens there"
    elif any(miss.startswith("30000/metrics: 404") for miss in misses):
        fix = "start SGLang with --enable-metrics"
    elif any("JSON" in miss for miss in misses):
        fix = "TensorRT-LLM serves Prometheus metrics at /prometheus/metrics only with its perf metrics on"
    elif expected == "dynamo-worker":
        fix = "set DYN_SYSTEM_PORT (the system port) on the worker so it serves /metrics"
    elif all(": 404" in miss for miss in misses):
        fix = "the engine serves no /metrics: turn its metrics on"
    else:
        fix = "check that the engine runs and listens on the port"
    return f"no metrics ({tried}): {fix}"

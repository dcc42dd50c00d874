"""``manifest.json`` and ``README.txt``: what a bundle holds, what could not be collected and why, what was redacted.

The context is described without credentials: names, the server URL (scrubbed of any user:password) and how the
user authenticates (bearer token, client certificate), never a token, key or certificate.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

from grove import __version__
from grove.commands.diagnostics.build import FORMAT, VERSION, Built, safe_server
from grove.commands.diagnostics.collect import (
    LOG_LIMIT_BYTES,
    MAX_LOG_PODS,
    OPERATOR_SELECTOR,
    OPERATOR_TAIL,
    Collected,
)
from grove.commands.diagnostics.runner import ItemResult
from grove.events.access import ClusterAccess
from grove.events.recordings.format import BUNDLE_MEMBER


def _utc(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def _auth(access: ClusterAccess) -> list[str]:
    ways = []
    authorization = next((v for k, v in access.headers.items() if k.lower() == "authorization"), "")
    if authorization:
        ways.append(authorization.split(" ", 1)[0].lower() + " token" if " " in authorization else "token")
    if access.cert_file:
        ways.append("client certificate")
    return ways or ["none"]


def items(collected: Collected, built: Built) -> list[ItemResult]:
    return [*collected.items, *built.items]


def summary(results: list[ItemResult]) -> dict[str, int]:
    out = {"ok": 0, "failed": 0, "skipped": 0}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def manifest(
    collected: Collected,
    built: Built,
    access: ClusterAccess,
    sizes: dict[str, int],
    write_seconds: float,
) -> dict[str, Any]:
    s = collected.settings
    results = items(collected, built)
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": f"kubectl-grove {__version__}",
        "python": platform.python_version(),
        "created": _utc(collected.started),
        "server": {
            "url": safe_server(access.server),
            "version": collected.server_version,
            "platform": str(collected.version.get("platform") or ""),
        },
        "context": {
            "name": access.context,
            "cluster": access.cluster,
            "user": access.user,
            "namespace": access.namespace,
            "authentication": _auth(access),
        },
        "scope": {
            "namespaces": [s.namespace] if s.namespace else "all",
            "operatorNamespace": s.operator_namespace,
            "operatorSelector": OPERATOR_SELECTOR,
            "sinceSeconds": s.since or None,
            "eventsSince": _utc(s.now - s.since) if s.since else None,
            "tailLines": s.tail,
            "logs": s.logs,
            "limits": {
                "unhealthyPodsWithLogs": MAX_LOG_PODS,
                "operatorLogLines": OPERATOR_TAIL,
                "bytesPerLog": LOG_LIMIT_BYTES,
            },
        },
        "replay": f"kubectl grove status --replay <this .tgz> (also topology, health, tui); {BUNDLE_MEMBER} inside",
        "summary": {
            **summary(results),
            "objects": {k: len(o.objects) for k, o in collected.kinds.items() if o.objects is not None},
            "logs": len(collected.logs),
            "redactions": built.redactions.total,
            "collectSeconds": round(collected.finished - collected.started, 3),
            "writeSeconds": round(write_seconds, 3),
        },
        "items": [r.to_json() for r in results],
        "files": [{"path": path, "bytes": size} for path, size in sorted(sizes.items())],
        "redactions": {
            "total": built.redactions.total,
            "byReason": built.redactions.by_reason(),
            "items": built.redactions.to_json(),
        },
    }


README = """\
kubectl-grove diagnostics bundle
================================

Created {created} by kubectl-grove {version} from context {context} ({server}, {server_version}).
Scope: {scope}. Events and operator logs since {since}; the last {tail} lines of unhealthy pods' logs.

Open it as it was:   kubectl grove status --replay {name}.tgz     (also: topology, health, tui --replay)

manifest.json             what was collected, what failed and why (forbidden, not found, timeout), sizes, timings,
                          and every redaction (where, which field, why; never the value)
status.txt                kubectl grove status (summary, then every PodCliqueSet in full)
topology.txt              kubectl grove topology for the PodCliqueSets in scope
health.txt                kubectl grove health
recording.jsonl           the collected objects as a kubectl-grove recording (what --replay reads)
grove/*.yaml              PodCliqueSets, scaling groups, PodCliques, PodGangs, ClusterTopologyBindings
pods/summary.txt          one line per pod: readiness, status, restarts, node, PodCliqueSet, clique, role, GPUs
pods/pods.yaml            the pods in full
nodes/summary.txt         the nodes hosting those pods: readiness, problems, GPUs, taints
nodes/nodes.yaml          those nodes in full (labels, allocatable, conditions, taints; without the image list)
events.txt, events.yaml   events, oldest first (scope, the operator's namespace, nodes and topology bindings)
operator/                 the Grove operator's pods
logs/operator/            the operator's container logs (.previous.log: the instance before the last restart)
logs/pods/NS/POD/         the last lines of unhealthy pods' containers

Never collected: Secrets, ConfigMap data, service-account tokens. Env values, credential-looking annotations and
labels, and credentials in logs and messages are replaced by [REDACTED].
"""


def readme(collected: Collected, access: ClusterAccess, name: str) -> str:
    s = collected.settings
    return README.format(
        created=_utc(collected.started),
        version=__version__,
        context=access.context or "(in-cluster)",
        server=safe_server(access.server),
        server_version=collected.server_version or "version unknown",
        scope=f"namespace {s.namespace}" if s.namespace else "all namespaces",
        since=_utc(s.now - s.since) if s.since else "the beginning",
        tail=s.tail,
        name=Path(name).name,
    )

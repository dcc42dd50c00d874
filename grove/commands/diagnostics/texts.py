"""The human-readable files of a bundle: kubectl-style tables (pods, nodes, events) and the read commands' views.

Tables are plain aligned columns rather than Rich tables: 10,000 rows render in milliseconds this way. The views
(``status``, ``topology``, ``health``) are the commands' own renderers on a Console writing to a string, without
colour, 160 columns wide.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from grove.commands.diagnostics import yamltext
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.derive.hierarchy import pcs_names, role_of_pod
from grove.reducers.derive.kube_event_rows import event_time, to_row
from grove.reducers.derive.pods import facts
from grove.reducers.state import State
from grove.views.common import age

WIDTH = 160


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns separated by three spaces, the last one not padded (like ``kubectl get``)."""
    body = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *body]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ready_containers(pod: KubeObject) -> str:
    statuses = f.seq(f.get(pod, "status", "containerStatuses"))
    total = len(f.seq(f.get(pod, "spec", "containers"))) or len(statuses)
    ready = sum(1 for cs in statuses if f.mapping(cs).get("ready") is True)
    return f"{ready}/{total}"


def pods_table(state: State, pods: Iterable[KubeObject], now: float) -> str:
    rows = []
    for pod in sorted(pods, key=lambda p: (f.namespace(p), f.name(p))):
        pf = facts(pod)
        rows.append(
            [
                pf.namespace,
                pf.name,
                _ready_containers(pod),
                pf.status,
                str(pf.restarts),
                age(now, pf.created),
                pf.node or "-",
                (f.label(pod, f.PART_OF) or "-") if pf.grove else "-",
                pf.clique or "-",
                (role_of_pod(state, pod) or "-") if pf.grove else "-",
                str(pf.gpus),
                _one_line(pf.pending_reason, 120) or "-",
            ]
        )
    headers = ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE", "PCS", "CLIQUE", "ROLE", "GPUS"]
    return table([*headers, "WHY PENDING"], rows)


def _node_ready(node: KubeObject) -> str:
    cond = f.condition(node, "Ready")
    return f.text(cond.get("status"), "Unknown") if cond is not None else "Unknown"


def _node_problems(node: KubeObject) -> str:
    """Conditions other than Ready that are True (MemoryPressure, DiskPressure, ...), and unschedulable."""
    out = [
        f.text(f.mapping(c).get("type"))
        for c in f.seq(f.get(node, "status", "conditions"))
        if f.mapping(c).get("type") != "Ready" and f.mapping(c).get("status") == "True"
    ]
    if f.get(node, "spec", "unschedulable") is True:
        out.append("Unschedulable")
    return ",".join(out) or "-"


def _taints(node: KubeObject) -> str:
    taints = []
    for taint in f.seq(f.get(node, "spec", "taints")):
        t = f.mapping(taint)
        value = f.text(t.get("value"))
        taints.append(f"{f.text(t.get('key'))}{'=' + value if value else ''}:{f.text(t.get('effect'))}")
    return ",".join(taints) or "-"


def nodes_table(nodes: Iterable[KubeObject], pods: Iterable[KubeObject]) -> str:
    on_node: dict[str, list[KubeObject]] = {}
    for pod in pods:
        on_node.setdefault(f.text(f.get(pod, "spec", "nodeName")), []).append(pod)
    rows = []
    for node in sorted(nodes, key=f.name):
        name = f.name(node)
        hosted = on_node.get(name, [])
        rows.append(
            [
                name,
                _node_ready(node),
                _node_problems(node),
                f.label(node, f.GPU_PRODUCT_LABEL) or "-",
                f.text(f.get(node, "status", "allocatable", f.GPU_RESOURCE), "-"),
                str(len(hosted)),
                str(sum(1 for p in hosted if facts(p).grove)),
                _taints(node),
            ]
        )
    headers = ["NAME", "READY", "PROBLEMS", "GPU PRODUCT", "GPUS", "PODS IN SCOPE", "GROVE PODS", "TAINTS"]
    return table(headers, rows)


def _utc(at: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)) if at is not None else "-"


def sort_events(events: Iterable[KubeObject]) -> list[KubeObject]:
    """Oldest first (a timeline); events without a time first, then by namespace and name."""
    return sorted(events, key=lambda e: (event_time(e) or 0.0, f.namespace(e), f.name(e)))


def events_table(events: Iterable[KubeObject], now: float) -> str:
    rows = []
    for event in events:
        row = to_row(event)
        rows.append(
            [
                _utc(row.at),
                age(now, row.at),
                row.namespace or "-",
                row.type,
                row.reason or "-",
                f"{row.kind}/{row.name}",
                str(row.count),
                row.source or "-",
                _one_line(row.message) or "-",
            ]
        )
    return table(["TIME", "AGO", "NAMESPACE", "TYPE", "REASON", "OBJECT", "COUNT", "SOURCE", "MESSAGE"], rows)


def yaml_documents(objects: Iterable[Mapping[str, Any]]) -> str:
    """Objects as a multi-document YAML stream."""
    return yamltext.documents(objects)


# ------------------------------------------------------------------------------------------------------- views


def render_text(renderable: Any) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=WIDTH,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )
    console.print(renderable)
    return buffer.getvalue()


def _status(state: State, namespace: str | None) -> str:
    from grove.reducers.derive.reports import status_report
    from grove.views.status import render_status

    report = status_report(state, pcs_names(state, namespace), namespace)
    summary = render_text(render_status(report, detailed=False))
    if not report.items:
        return summary
    return summary + "\n" + render_text(render_status(report, detailed=True, wide=True))


def _topology(state: State, namespace: str | None) -> str:
    from grove.reducers.derive.reports import topology_report
    from grove.views.topology import render_topology

    targets = pcs_names(state, namespace) or None
    return render_text(render_topology(topology_report(state, targets, namespace)))


def _health(state: State, namespace: str | None) -> str:
    from grove.reducers.derive.reports import health_report
    from grove.views.health import render_health

    return render_text(render_health(health_report(state, pcs_names(state, namespace), namespace)))


VIEWS: dict[str, Callable[[State, str | None], str]] = {
    "status.txt": _status,
    "topology.txt": _topology,
    "health.txt": _health,
}

"""The topology view's models: the binding's levels as a drill-down (e.g. zone → block → rack → host), each domain
with three-way GPU bars per product and pod counts, the pods under a domain, and the placement findings on them.

Built on ``topology_report`` (the same model ``kubectl grove topology`` renders). With a focus workload only the
domains hosting its pods are listed unless ``show_all``; its pods are highlighted either way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import attrs
from rich.text import Text

from grove.events import kinds
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.gpu import GpuTotals, NodeGpu, node_gpus
from grove.reducers.derive.placement import SEVERITY_ORDER, Finding, PcsPlacement
from grove.reducers.derive.reports import PodOnNode, TopologyReport, topology_report
from grove.reducers.derive.topology import DomainNode, TopologyInfo, domain_tree
from grove.reducers.state import State
from grove.views.common import SEVERITY_ICON, SEVERITY_STYLE, badge, gpu_bar
from grove.views.tui.cells import finding_cell, short_product, worst_severity
from grove.views.tui.rows import Column, Ref, Row, dim, filtered, plain

TOPOLOGY_LEVEL = derivation(
    "tui.topology", reads_clock=True, about="the rows of one level of Arborist's topology screen"
)
TOPOLOGY_REPORT = derivation(
    "tui.topology-report", reads_clock=True, about="the topology report behind Arborist's topology screen"
)
DOMAIN_TREE = derivation("tui.domain-tree", reads_clock=True, about="the domain tree of one binding over every node")
TOPOLOGY_PODS = derivation(
    "tui.topology-pods", reads_clock=True, about="the pod rows of one domain or node on the topology screen"
)

DOMAIN_COLUMNS = (
    Column("name", "DOMAIN", 12, flex=1),
    Column("gpus", "GPUS  grove▕other▕free", 30),
    Column("pods", "PODS grove·other", 16, 3),
    Column("workload", "WORKLOAD", 9, 2),
    Column("flags", "FINDINGS", 14, 1),
)
POD_COLUMNS = (
    Column("role", "", 3),
    Column("name", "POD", 27, flex=1),
    Column("gpus", "GPU", 3, 2),
    Column("note", "NOTE", 12, 1, flex=1),
    Column("node", "NODE", 12, 3),
)
BAR_WIDTH = 10


@attrs.frozen
class TopologyRequest:
    namespace: str | None
    focus: tuple[str, str] | None  # (namespace, PCS) whose pods are highlighted
    path: tuple[str, ...] = ()  # domain values from the broadest level down
    show_all: bool = False
    filter: str = ""


@attrs.frozen(eq=False)
class TopologyLevel:
    path: tuple[str, ...]  # as resolved
    level_names: tuple[str, ...]  # e.g. ("zone", "block", "rack", "host")
    depth_name: str  # the level the rows are at, e.g. "rack"
    crumbs: tuple[str, ...]
    topology: TopologyInfo
    placement: PcsPlacement | None
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    total: int
    findings: tuple[Finding, ...]
    report: TopologyReport
    domains: tuple[DomainNode, ...] = ()  # the domains listed (when the rows are domains)
    nodes: tuple[NodeGpu, ...] = ()  # the nodes listed (when the rows are hosts)


def _leaf_nodes(domain: DomainNode) -> list[NodeGpu]:
    if not domain.children:
        return list(domain.nodes)
    return [n for child in domain.children for n in _leaf_nodes(child)]


def _gpu_cell(totals: Iterable[GpuTotals]) -> Text:
    text = Text()
    for i, t in enumerate(totals):
        if not t.allocatable and not (t.grove + t.other):
            continue
        if text:
            text.append("  ")
        text.append(f"{short_product(t.product)[:5]:<5}", style="dim")
        text.append_text(gpu_bar(t.grove, t.other, t.allocatable, BAR_WIDTH))
        text.append(f"{t.grove}", style="green")
        text.append("▕", style="dim")
        text.append(f"{t.other}", style="magenta")
        text.append("▕", style="dim")
        text.append(f"{t.free}", style="bold" if t.free else "grey50")
        del i
    return text if text else dim("no GPUs")


def _node_totals(node: NodeGpu) -> GpuTotals:
    return GpuTotals(node.product).plus(node)


def _pods_of(report: TopologyReport, nodes: Iterable[NodeGpu]) -> list[PodOnNode]:
    return [p for n in nodes for p in report.pods_by_node.get(n.node, ())]


def _pod_counts(pods: Sequence[PodOnNode]) -> Text:
    grove = sum(1 for p in pods if p.grove)
    text = Text(f"{grove}", style="green" if grove else "dim")
    text.append(" · ", style="dim")
    text.append(f"{len(pods) - grove}", style="magenta" if len(pods) - grove else "dim")
    return text


def _severity_of(pods: Iterable[PodOnNode], severity_by_code: dict[str, str]) -> tuple[str | None, list[str]]:
    codes = sorted(
        {p.finding for p in pods if p.finding},
        key=lambda c: (SEVERITY_ORDER.get(severity_by_code.get(c, "info"), 9), c),
    )
    return worst_severity(severity_by_code.get(c, "info") for c in codes), codes


def _flags(severity: str | None, codes: list[str], severity_by_code: dict[str, str], extra: Text | None = None) -> Text:
    text = Text()
    if severity is not None and codes:
        text.append_text(finding_cell(codes[0], severity_by_code.get(codes[0], severity)))
        if len(codes) > 1:
            text.append(f" +{len(codes) - 1}", style=SEVERITY_STYLE[severity])
    if extra:
        if text:
            text.append(" ")
        text.append_text(extra)
    return text


def _workload_cell(pods: Sequence[PodOnNode], focus: tuple[str, str] | None) -> Text:
    if focus is None:
        return dim("")
    mine = sum(1 for p in pods if p.highlighted)
    return Text(f"◆ {mine}", style="bold cyan") if mine else dim("-")


def _node_extra(node: NodeGpu) -> Text:
    text = Text()
    if not node.known:
        text.append("not visible", style="yellow")
    if not node.ready:
        text.append("NotReady ", style="bold red")
    if node.unschedulable:
        text.append("cordoned ", style="yellow")
    if node.overcommitted:
        text.append("overcommitted", style="bold red")
    return text


def topology_level(state: State, request: TopologyRequest) -> TopologyLevel:
    return state.memoised(TOPOLOGY_LEVEL, str(request), state.revision, lambda: _topology_level(state, request))


def level_report(state: State, request: TopologyRequest) -> TopologyReport:
    """The topology report a level is cut from (memoised on the state; levels and filters share it)."""
    targets = [request.focus] if request.focus is not None else None
    return state.memoised(
        TOPOLOGY_REPORT,
        f"{request.focus}:{request.namespace}",
        state.revision,
        lambda: topology_report(state, targets, request.namespace, pods_on_every_node=True),
    )


def _topology_level(state: State, request: TopologyRequest) -> TopologyLevel:
    report = level_report(state, request)
    topo = report.topology
    placement = report.placements[0] if report.placements else None
    severity_by_code = {f.code: f.severity for f in reversed(report.findings)}
    if request.focus is None or request.show_all:
        roots = state.memoised(
            DOMAIN_TREE,
            f"{topo.binding}:{topo.levels}",
            state.revision,
            lambda: domain_tree(topo, node_gpus(state).values(), None),
        )
        all_nodes = tuple(node_gpus(state).values())
    else:
        roots = report.domains
        all_nodes = report.nodes
    grouping = [lv.domain for lv in topo.grouping_levels]
    domains = roots
    path: list[str] = []
    current: DomainNode | None = None
    for value in request.path:
        found = next((d for d in domains if d.value == value), None)
        if found is None:
            break
        path.append(value)
        current = found
        domains = found.children
    crumbs = tuple(f"{lv} {v}" for lv, v in zip(grouping, path, strict=False))
    rows: list[Row] = []
    listed_domains: tuple[DomainNode, ...] = ()
    listed_nodes: tuple[NodeGpu, ...] = ()
    if grouping and (current is None or current.children):
        listed_domains = domains if current is None else current.children
        depth_name = grouping[len(path)] if len(path) < len(grouping) else "host"
        for domain in listed_domains:
            pods = _pods_of(report, _leaf_nodes(domain))
            severity, codes = _severity_of(pods, severity_by_code)
            rows.append(
                Row(
                    key=f"dom:{domain.value}",
                    cells=(
                        Text(domain.value, style="bold"),
                        _gpu_cell(domain.totals.values()),
                        _pod_counts(pods),
                        _workload_cell(pods, request.focus),
                        _flags(severity, codes, severity_by_code),
                    ),
                    drill=True,
                    search=f"{domain.domain} {domain.value}".lower(),
                )
            )
    else:
        listed_nodes = tuple(current.nodes) if current is not None else all_nodes
        depth_name = "host"
        for node in listed_nodes:
            pods = list(report.pods_by_node.get(node.node, ()))
            severity, codes = _severity_of(pods, severity_by_code)
            rows.append(
                Row(
                    key=f"node:{node.node}",
                    cells=(
                        Text(node.node, style="bold"),
                        _gpu_cell([_node_totals(node)]),
                        _pod_counts(pods),
                        _workload_cell(pods, request.focus),
                        _flags(severity, codes, severity_by_code, _node_extra(node)),
                    ),
                    ref=Ref(kinds.NODE, "", node.node) if node.known else None,
                    drill=False,
                    search=node.node.lower(),
                )
            )
    shown = filtered(rows, request.filter)
    return TopologyLevel(
        path=tuple(path),
        level_names=(*grouping, "host"),
        depth_name=depth_name,
        crumbs=crumbs,
        topology=topo,
        placement=placement,
        columns=DOMAIN_COLUMNS,
        rows=shown,
        total=len(rows),
        findings=report.findings,
        report=report,
        domains=listed_domains,
        nodes=listed_nodes,
    )


def pods_model(state: State, request: TopologyRequest, key: str | None) -> tuple[str, tuple[Row, ...]]:
    """The pods pane under the domain or node ``key`` of the level ``request`` shows (memoised on the state)."""
    return state.memoised(
        TOPOLOGY_PODS, f"{request}:{key}", state.revision, lambda: pod_rows(topology_level(state, request), key)
    )


def first_key(level: TopologyLevel) -> str | None:
    """The row a level's table opens on."""
    return level.rows[0].key if level.rows else None


def pod_rows(level: TopologyLevel, key: str | None) -> tuple[str, tuple[Row, ...]]:
    """The title and rows of the pods pane: the pods under the domain or node ``key`` (all listed when None)."""
    report = level.report
    if key is not None and key.startswith("dom:"):
        domain = next((d for d in level.domains if d.value == key[4:]), None)
        nodes = _leaf_nodes(domain) if domain is not None else []
        title = f"Pods in {level.depth_name} {key[4:]}"
    elif key is not None and key.startswith("node:"):
        nodes = [n for n in level.nodes if n.node == key[5:]]
        title = f"Pods on {key[5:]}"
    else:
        nodes = [n for d in level.domains for n in _leaf_nodes(d)] + list(level.nodes)
        title = "Pods"
    severity_by_code = {f.code: f.severity for f in reversed(report.findings)}
    pods = sorted(
        ((n.node, p) for n in nodes for p in report.pods_by_node.get(n.node, ())),
        key=lambda item: (not item[1].highlighted, not item[1].grove, item[0], item[1].namespace, item[1].name),
    )
    rows = []
    for node_name, pod in pods:
        if not pod.grove and not pod.gpus:
            continue
        severity = severity_by_code.get(pod.finding, "info") if pod.finding else None
        make = functools.partial(_pod_row, node_name, pod, severity)
        rows.append(_POD_ROWS.get((pod.namespace, pod.name, node_name), (pod,), make, (severity,)))
    return f"{title} ({len(rows)})", tuple(rows)


_POD_ROWS: CarryOver[Row] = CarryOver(max_entries=65_536)
"""A pod's row, reused while its ``PodOnNode`` is the same (the report carries those over, see
``reports.topology_report``): the pods pane of a zone lists thousands."""


def _pod_row(node_name: str, pod: PodOnNode, severity: str | None) -> Row:
    style = "bold" if pod.highlighted else ("" if pod.grove else "dim")
    role = Text(badge(pod.role) if pod.grove else "[-]", style="bold cyan" if pod.highlighted else "dim")
    name = Text(pod.name if pod.grove else f"{pod.namespace}/{pod.name}", style=style)
    if pod.grove and not pod.highlighted and pod.pcs:
        name.append(f" ({pod.pcs})", style="dim")
    note = Text()
    if pod.finding:
        note.append_text(finding_cell(pod.finding, severity or "info"))
    if not pod.grove:
        note.append("other workload", style="dim magenta")
    elif not pod.ready:
        note.append(" " if note else "")
        note.append(pod.status, style="yellow" if pod.status in ("Pending", "Running") else "bold red")
    return Row(
        key=f"pod:{pod.namespace}/{pod.name}",
        cells=(role, name, plain(pod.gpus), note, dim(node_name)),
        ref=Ref(kinds.POD, pod.namespace, pod.name),
        search=f"{pod.name} {pod.role} {node_name} {pod.status}".lower(),
    )


def findings_text(level: TopologyLevel, limit: int | None = None) -> Text:
    """One line per finding (severity, message, and the pods it names)."""
    text = Text()
    findings = level.findings[:limit] if limit else level.findings
    if not level.findings:
        text.append("✓ no placement findings" if level.placement is not None else "select a PodCliqueSet and press t")
        text.stylize("green" if level.placement is not None else "dim")
        return text
    for i, finding in enumerate(findings):
        if i:
            text.append("\n")
        text.append(f"{SEVERITY_ICON[finding.severity]} ", style=SEVERITY_STYLE[finding.severity])
        text.append(finding.message, style=SEVERITY_STYLE[finding.severity])
        text.append(f"\n  → {finding.hint}", style="dim")
    if limit and len(level.findings) > limit:
        text.append(f"\n… {len(level.findings) - limit} more", style="dim")
    return text

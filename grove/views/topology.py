"""``kubectl grove topology``: the binding's levels as a tree down to nodes and pods, three-way GPU bars per node
and product, role badges, and the placement findings with what to do."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from grove.reducers.derive.gpu import GpuTotals, NodeGpu
from grove.reducers.derive.placement import Finding
from grove.reducers.derive.reports import PodOnNode, TopologyReport
from grove.reducers.derive.topology import UNKNOWN, DomainNode, TopologyInfo
from grove.reducers.fields import HOSTNAME_KEY
from grove.views.common import (
    SEVERITY_ICON,
    SEVERITY_STYLE,
    badge,
    gpu_bar,
    gpu_legend,
    ratio_bar,
    role_legend,
    score_text,
)
from grove.views.outline import Outline
from grove.views.sources import source_lines


def _totals_text(totals: dict[str, GpuTotals] | object) -> Text:
    assert isinstance(totals, dict)
    text = Text()
    for i, (product, t) in enumerate(totals.items()):
        if i:
            text.append("  ")
        text.append(f"{product}: ", style="dim")
        text.append(f"{t.grove}", style="green")
        text.append(" grove · ")
        text.append(f"{t.other}", style="magenta")
        text.append(" other · ")
        text.append(f"{t.free}", style="grey50" if not t.free else "bold")
        text.append(f" free / {t.allocatable}")
    return text


def _node_label(node: NodeGpu, pods: tuple[PodOnNode, ...]) -> Text:
    text = Text()
    text.append(node.node, style="bold")
    if not node.known:
        text.append("  (node not visible)", style="yellow")
    elif node.allocatable or node.used:
        text.append(f"  {node.product}  ", style="dim")
        text.append_text(gpu_bar(node.grove, node.other, node.allocatable))
        text.append(f" {node.used}/{node.allocatable} GPUs")
        if node.overcommitted:
            text.append("  overcommitted", style="bold red")
    else:
        text.append("  no GPUs", style="dim")
    if not node.ready:
        text.append("  NotReady", style="bold red")
    if node.unschedulable:
        text.append("  SchedulingDisabled", style="yellow")
    return text


def _pod_label(pod: PodOnNode, finding_style: dict[str, str]) -> Text:
    text = Text()
    if pod.grove:
        text.append(badge(pod.role), style="bold" if pod.highlighted else "dim")
        text.append(" ")
        text.append(pod.name, style="" if pod.highlighted else "dim")
        if not pod.highlighted and pod.pcs:
            text.append(f"  ({pod.namespace}/{pod.pcs})", style="dim")
    else:
        text.append("[-] ", style="dim")
        text.append(f"{pod.namespace}/{pod.name}", style="dim")
        text.append("  other workload", style="dim magenta")
    status_style = "green" if pod.ready else ("yellow" if pod.status in ("Pending", "Running") else "red")
    text.append(f"  {pod.status}", style=status_style if pod.highlighted or pod.grove else "dim")
    text.append(f"  gpu:{pod.gpus}", style="" if pod.highlighted else "dim")
    if pod.finding:
        style = finding_style.get(pod.finding, "yellow")
        text.append(f"  ⚠ {pod.finding.replace('-', ' ')}", style=style)
    return text


def _domain_label(domain: DomainNode) -> Text:
    """``rack: rack-1  24/32 GPUs in use · 8 free``, then one line per GPU product."""
    text = Text()
    text.append(f"{domain.domain}: ", style="bold")
    text.append(domain.value, style="bold cyan" if domain.value != UNKNOWN else "yellow")
    if not domain.allocatable:
        text.append(f"  {domain.used} GPUs requested; capacity unknown", style="dim")
        return text
    free = sum(t.free for t in domain.totals.values())
    text.append(f"  {domain.used}/{domain.allocatable} GPUs in use · ")
    text.append(f"{free} free", style="bold" if free else "grey50")
    for t in domain.totals.values():
        if t.allocatable or t.grove or t.other:
            line = f"\n{t.product}: {t.grove} grove · {t.other} other · {t.free} free / {t.allocatable}"
            text.append(line, style="dim")
    return text


def _add_nodes(
    tree: Outline, nodes: tuple[NodeGpu, ...], report: TopologyReport, show_pods: bool, finding_style: dict[str, str]
) -> None:
    for node in nodes:
        pods = report.pods_by_node.get(node.node, ())
        branch = tree.add(_node_label(node, pods))
        if show_pods:
            for pod in pods:
                if pod.highlighted or pod.gpus:
                    branch.add(_pod_label(pod, finding_style))
        else:
            grove = sum(1 for p in pods if p.grove)
            if pods:
                branch.add(Text(f"{grove} Grove pod(s), {len(pods) - grove} other", style="dim"))


def _add_domains(
    tree: Outline,
    domains: tuple[DomainNode, ...],
    report: TopologyReport,
    show_pods: bool,
    finding_style: dict[str, str],
) -> None:
    for domain in domains:
        branch = tree.add(_domain_label(domain))
        if domain.children:
            _add_domains(branch, domain.children, report, show_pods, finding_style)
        else:
            _add_nodes(branch, domain.nodes, report, show_pods, finding_style)


def _free_in(domains: tuple[DomainNode, ...], key: str, value: str) -> int | None:
    for domain in domains:
        if domain.key == key and domain.value == value:
            return sum(t.free for t in domain.totals.values())
        found = _free_in(domain.children, key, value)
        if found is not None:
            return found
    return None


def render_findings(findings: tuple[Finding, ...], domains: tuple[DomainNode, ...] = ()) -> list[RenderableType]:
    if not findings:
        return [Text("✓ No placement findings.", style="green")]
    out: list[RenderableType] = [Text("Findings:", style="bold")]
    for finding in findings:
        line = Text(f"{SEVERITY_ICON[finding.severity]} ", style=SEVERITY_STYLE[finding.severity])
        line.append(finding.message, style=SEVERITY_STYLE[finding.severity])
        out.append(line)
        if finding.pods and len(finding.pods) <= 6:
            out.append(Text("    pods: " + ", ".join(finding.pods), style="dim"))
        elif finding.pods:
            out.append(Text(f"    pods: {', '.join(finding.pods[:5])} and {len(finding.pods) - 5} more", style="dim"))
        hint = Text(f"  → {finding.hint}")
        free = _free_in(domains, finding.domain_key, finding.best_domain) if finding.domain_key else None
        if free is not None:
            hint.append(f" ({free} GPU{'s' if free != 1 else ''} free in {finding.best_domain} now)", style="bold")
        out.append(hint)
    return out


def _levels_text(topo: TopologyInfo) -> Text:
    text = Text()
    shown = [lv for lv in topo.levels if lv.key != HOSTNAME_KEY]
    text.append(" → ".join([*(lv.domain for lv in shown), "node", "pod"]))
    if topo.levels:
        text.append("   (" + ", ".join(f"{lv.domain}={lv.key}" for lv in topo.levels) + ")", style="dim")
    return text


def _render_binding_trees(report: TopologyReport, finding_style: dict[str, str]) -> list[RenderableType]:
    """Several bindings named in scope: a panel naming them, one tree each, then the nodes under none."""
    names = [tree.topology.binding or "" for tree in report.bindings]
    head_lines: list[RenderableType] = []
    for tree in report.bindings:
        line = Text(f"{tree.topology.binding}: ", style="bold")
        line.append_text(_levels_text(tree.topology))
        head_lines.append(line)
        if tree.topology.origin == "missing":
            head_lines.append(Text(tree.topology.message, style="yellow"))
    head_lines.append(
        Text(
            f"The workloads in scope name {len(names)} bindings: one tree each; --binding NAME shows one.", style="dim"
        )
    )
    parts: list[RenderableType] = [
        Panel(
            Group(*head_lines), title="ClusterTopologyBindings: " + ", ".join(names), title_align="left", expand=False
        ),
        gpu_legend(),
        Text(""),
    ]
    for tree in report.bindings:
        title = Text(f"ClusterTopologyBinding {tree.topology.binding}", style="bold")
        title.append(f"  {len(tree.nodes):,} node{'s' if len(tree.nodes) != 1 else ''}", style="dim")
        root = Outline(title, guide_style="dim")
        if tree.domains:
            _add_domains(root, tree.domains, report, False, finding_style)
        else:
            root.add(Text("no node carries this binding's level labels", style="dim"))
        parts += [root, Text("")]
    if report.unbound:
        count = len(report.unbound)
        root = Outline(
            Text(f"Nodes under no binding  {count:,} node{'s' if count != 1 else ''}", style="bold"), guide_style="dim"
        )
        _add_nodes(root, report.unbound, report, False, finding_style)
        parts += [root, Text("")]
    return parts


def _cluster_total(report: TopologyReport) -> Text:
    total = Text("Cluster GPUs: ", style="bold")
    if any(t.allocatable for t in report.totals.values()) or not report.totals:
        total.append_text(_totals_text(report.totals))
    else:
        grove = sum(t.grove for t in report.totals.values())
        other = sum(t.other for t in report.totals.values())
        total.append(f"{grove} requested by Grove pods, {other} by others; capacity unknown (nodes not visible)")
    return total


def render_topology(report: TopologyReport) -> RenderableType:
    topo = report.topology
    if report.bindings:
        trees = _render_binding_trees(report, {})
        return Group(*trees, _cluster_total(report), Text(""), *source_lines(report.sources))
    head = Text()
    head.append("Levels: ", style="bold")
    head.append_text(_levels_text(topo))
    head_lines: list[RenderableType] = [head]
    if topo.origin in ("missing", "forbidden", "none", "only-binding"):
        head_lines.append(Text(topo.message, style="yellow" if topo.origin != "only-binding" else "dim"))
    for placement in report.placements:
        line = Text()
        line.append(f"PodCliqueSet {placement.namespace}/{placement.name}", style="bold")
        line.append("   PlacementScore: ")
        line.append_text(score_text(placement.score))
        if placement.score is not None:
            line.append(" ")
            line.append_text(ratio_bar(placement.score, 1.0, 10))
        if placement.scheduler_score is not None:
            line.append("   scheduler's placementScore: ")
            line.append_text(score_text(placement.scheduler_score))
        gangs = len(placement.gangs)
        line.append(f"   {gangs} gang{'s' if gangs != 1 else ''}", style="dim")
        head_lines.append(line)
    title = f"ClusterTopologyBinding: {topo.binding}" if topo.binding else "No topology binding"
    panel = Panel(Group(*head_lines), title=title, title_align="left", expand=False)

    roles = sorted({p.role for plist in report.pods_by_node.values() for p in plist if p.grove and p.highlighted})
    parts: list[RenderableType] = [panel, gpu_legend()]
    if roles:
        parts.append(Text("Roles: " + role_legend(roles)))
    parts.append(Text(""))
    show_pods = bool(report.pcs)
    finding_style = {f.code: SEVERITY_STYLE[f.severity] for f in reversed(report.findings)}
    root = Outline(Text("Cluster", style="bold"), guide_style="dim", hide_root=True)
    if report.domains:
        _add_domains(root, report.domains, report, show_pods, finding_style)
    else:
        _add_nodes(root, report.nodes, report, show_pods, finding_style)
    if not report.nodes:
        parts.append(Text("No nodes to show (no pods of this workload are scheduled, or nodes are not visible)."))
    else:
        parts.append(root)
    parts += [Text(""), _cluster_total(report), Text("")]
    if report.placements:
        parts += render_findings(report.findings, report.domains)
    parts += source_lines(report.sources, report.namespace)
    return Group(*parts)

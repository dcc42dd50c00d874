"""``kubectl grove status``: per PCS replica, its cliques and scaling groups with readiness bars, roles, update
progress, placement score and age."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from grove.reducers.derive.health import ChildHealth
from grove.reducers.derive.hierarchy import CliqueNode, PcsgNode
from grove.reducers.derive.reports import PcsStatus, SourceNote, StatusReport, StatusSummary, summary_of
from grove.views.common import age, badge, countdown_text, ratio_bar, score_text, state_text
from grove.views.fit import fitted_table
from grove.views.sources import source_lines


def _clique_cells(
    clique: CliqueNode, child: ChildHealth | None, now: float, wide: bool, bar: int, indent: str = ""
) -> list[Text]:
    pct = f"{round(100 * clique.ready / clique.replicas)}%" if clique.replicas else "-"
    cells = [
        Text(f"{indent}{clique.clique}"),
        Text(f"{badge(clique.role)} {clique.role}"),
        Text(f"{clique.ready}/{clique.replicas}"),
        Text(str(clique.min_available)),
        ratio_bar(clique.ready, clique.replicas, bar),
        Text(pct),
        state_text(child.state) if child is not None else Text(""),
        Text(clique.gang or "-", style="dim"),
    ]
    if wide:
        cells += [
            Text(f"{clique.scheduled}/{clique.replicas}"),
            Text(str(clique.gated)),
            Text(f"{clique.updated}/{len(clique.pods)}"),
            Text(str(clique.gpus)),
            Text(clique.name, style="dim"),
        ]
    cells.append(Text(age(now, clique.created)))
    return cells


def _group_cells(group: PcsgNode, child: ChildHealth | None, now: float, wide: bool, bar: int) -> list[Text]:
    cells = [
        Text(f"{group.group} (scaling group)", style="bold"),
        Text(""),
        Text(f"{group.available}/{group.replicas}"),
        Text(str(group.min_available)),
        ratio_bar(group.available, group.replicas, bar),
        Text(f"{round(100 * group.available / group.replicas)}%" if group.replicas else "-"),
        state_text(child.state) if child is not None else Text(""),
        Text(""),
    ]
    if wide:
        cells += [
            Text(f"{group.scheduled}/{group.replicas}"),
            Text(""),
            Text(f"{group.updated}/{group.replicas}"),
            Text(str(sum(c.gpus for c in group.cliques()))),
            Text(group.name, style="dim"),
        ]
    cells.append(Text(age(now, group.created)))
    return cells


def _headers(wide: bool) -> list[str]:
    headers = ["CLIQUE", "ROLE", "READY", "MIN", "PROGRESS", "%", "HEALTH", "GANG"]
    if wide:
        headers += ["SCHEDULED", "GATED", "UPDATED", "GPUS", "PODCLIQUE"]
    return [*headers, "AGE"]


# What a narrow terminal gives up first: never the names, the ready counts or the health.
_DETAIL_DROP = ("PODCLIQUE", "GANG", "AGE", "%", "SCHEDULED", "GATED", "UPDATED", "MIN", "ROLE", "PROGRESS")
_SUMMARY_DROP = ("UPDATE", "AGE", "NAMESPACE", "GPUS", "PLACEMENT")


def render_pcs(item: PcsStatus, now: float, wide: bool = False, width: int | None = None) -> RenderableType:
    pcs, placement, health, rollout = item.pcs, item.placement, item.health, item.rollout
    header = Text()
    header.append("PodCliqueSet: ", style="bold")
    header.append(pcs.name, style="bold cyan")
    header.append(f"  Namespace: {pcs.namespace}  Replicas: {pcs.available}/{pcs.replicas} available")
    header.append(f"  Age: {age(now, pcs.created)}")
    parts: list[RenderableType] = [header, Text("━" * 60, style="dim")]
    if not pcs.exists:
        parts.append(Text("  the PodCliqueSet object is not visible; showing what its children say", style="yellow"))
    children = {c.name: c for r in health.replica_health for c in r.children}
    replica_state = {r.index: r for r in health.replica_health}
    for replica in pcs.replica_nodes:
        rh = replica_state.get(replica.index)
        line = Text(f"  Replica {replica.index}", style="bold")
        if replica.gangs:
            line.append(f"   {len(replica.gangs)} gang{'s' if len(replica.gangs) > 1 else ''}", style="dim")
        if rh is not None:
            line.append("   ")
            line.append_text(state_text(rh.state))
            if rh.countdown is not None:
                line.append(f"  (gang {countdown_text(rh.countdown)})", style="bold red")
        parts.append(line)
        bar = 16 if width is None or width >= 110 else 8
        rows: list[list[Text]] = [_clique_cells(c, children.get(c.name), now, wide, bar) for c in replica.cliques]
        for group in replica.groups:
            rows.append(_group_cells(group, children.get(group.name), now, wide, bar))
            for sub in group.replica_nodes:
                rows.append([Text(f"  replica {sub.index}" + (" (base)" if sub.base else ""), style="dim")])
                rows.extend(_clique_cells(c, None, now, wide, bar, "    ") for c in sub.cliques)
        table = fitted_table(_headers(wide), rows, None if width is None else width - 4, _DETAIL_DROP)
        parts.append(Padding(table, (0, 0, 0, 4), expand=False))
    footer = Text("  PlacementScore: ")
    footer.append_text(score_text(placement.score))
    footer.append(" (computed: share of each gang's GPUs in its best domain)", style="dim")
    if placement.scheduler_score is not None:
        footer.append("   Scheduler score: ")
        footer.append_text(score_text(placement.scheduler_score))
    parts.append(footer)
    parts.append(
        Text(f"  Topology: {placement.topology.binding or 'none'}    Update strategy: {pcs.strategy}", style="dim")
    )
    if rollout is not None and rollout.in_progress:
        upd = Text("  Update in progress: ", style="bold blue")
        upd.append(f"{rollout.updated_replicas}/{rollout.replicas} replicas updated")
        if rollout.total_cliques:
            upd.append(f", cliques {rollout.updated_cliques}/{rollout.total_cliques}")
        if rollout.total_groups:
            upd.append(f", scaling groups {rollout.updated_groups}/{rollout.total_groups}")
        if rollout.currently_updating:
            upd.append(", updating replica " + ", ".join(str(r.index) for r in rollout.currently_updating))
        parts.append(upd)
        more = Text(f"    {rollout.outdated_pods} pod(s) still on the old template", style="blue")
        if rollout.started is not None:
            more.append(f"; started {age(now, rollout.started)} ago")
        parts.append(more)
    elif rollout is not None and rollout.ended is not None:
        parts.append(Text(f"  Last update finished {age(now, rollout.ended)} ago", style="dim"))
    return Group(*parts)


def render_summary(summary: StatusSummary, width: int | None = None) -> RenderableType:
    """One row per PodCliqueSet (``status`` without a name)."""
    if not summary.rows:
        return _nothing_found(summary.namespace, summary.sources)
    show_ns = len({i.pcs.namespace for i in summary.rows}) > 1 or summary.namespace is None
    headers = [*(["NAMESPACE"] if show_ns else []), "NAME", "AVAILABLE", "READY", "GPUS", "HEALTH", "PLACEMENT"]
    headers += ["UPDATE", "AGE"]
    rows = []
    for item in summary.rows:
        pods = [p for p in item.pcs.pods() if not p.facts.finished]
        ready = sum(1 for p in pods if p.facts.ready)
        placed = sum(p.facts.gpus for p in pods if p.facts.node)
        waiting = sum(p.facts.gpus for p in pods if not p.facts.node)
        gpus = Text(str(placed))
        if waiting:
            gpus.append(f"+{waiting}", style="yellow")  # requested by pods not placed yet
        rollout = item.rollout
        update = "in progress" if rollout is not None and rollout.in_progress else "-"
        row = [Text(item.pcs.namespace)] if show_ns else []
        row += [
            Text(item.pcs.name),
            Text(f"{item.pcs.available}/{item.pcs.replicas}"),
            Text(f"{ready}/{len(pods)}"),
            gpus,
            state_text(item.health),
            score_text(item.placement_score),
            Text(update),
            Text(age(summary.now, item.pcs.created)),
        ]
        rows.append(row)
    return Group(fitted_table(headers, rows, width, _SUMMARY_DROP), *source_lines(summary.sources, summary.namespace))


def _nothing_found(namespace: str | None, sources: tuple[SourceNote, ...]) -> RenderableType:
    where = f"namespace {namespace}" if namespace else "any namespace"
    return Group(Text(f"No PodCliqueSets found in {where}."), *source_lines(sources, namespace))


def render_status(report: StatusReport, detailed: bool, wide: bool = False, width: int | None = None) -> RenderableType:
    if not report.items:
        return _nothing_found(report.namespace, report.sources)
    if not detailed:
        return render_summary(summary_of(report), width)
    parts: list[RenderableType] = []
    for i, item in enumerate(report.items):
        if i:
            parts.append(Text(""))
        parts.append(render_pcs(item, report.now, wide, width))
    parts.extend(source_lines(report.sources, report.namespace))
    return Group(*parts)

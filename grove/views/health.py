"""``kubectl grove health``: the gang health dashboard — per PCS replica and PodGang, breaches with the gang
termination countdown, pending pods with their reasons, and the recent events that explain them."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from grove.reducers.derive.health import ChildHealth, PcsHealth
from grove.reducers.derive.kube_event_rows import EventRow
from grove.reducers.derive.reports import HealthReport
from grove.views.common import STATE_STYLE, age, badge, countdown_text, duration, state_text
from grove.views.outline import Outline, Stack
from grove.views.sources import source_lines


def _child_label(child: ChildHealth) -> Text:
    text = Text()
    kind = "Clique" if child.kind == "PodClique" else "Scaling group"
    text.append(f"{kind}: ", style="bold")
    text.append(child.label, style="bold")
    text.append("  " + " ".join(dict.fromkeys(badge(r) for r in child.roles)), style="dim")
    unit = "ready" if child.kind == "PodClique" else "available"
    text.append(f"  {child.ready}/{child.desired} {unit} (min {child.min_available})  ")
    text.append_text(state_text(child.state))
    return text


def _child_details(child: ChildHealth, now: float, branch: Outline) -> None:
    cond = child.breached
    if cond is not None and cond.is_true:
        line = Text("MinAvailableBreached", style="bold red")
        line.append(f" since {age(now, cond.since)}" if cond.since else "")
        line.append(f" ({cond.reason})" if cond.reason else "", style="dim")
        branch.add(line)
        if child.countdown is not None:
            if child.countdown > 0:
                branch.add(
                    Text(
                        f"⏱ gang termination of this PCS replica in {duration(child.countdown)} unless it recovers",
                        style="bold red",
                    )
                )
            else:
                branch.add(
                    Text("⏱ terminationDelay has passed: Grove is recreating this PCS replica", style="bold red")
                )
        else:
            branch.add(
                Text(
                    "not a gang-termination candidate (never scheduled/healthy, or a termination is in progress)",
                    style="dim",
                )
            )
    elif cond is not None and cond.status == "Unknown":
        branch.add(
            Text(f"MinAvailableBreached unknown ({cond.reason or 'no reason'}): gang termination paused", style="blue")
        )
    elif child.state == "healthy":
        branch.add(Text("✓ all pods healthy", style="green"))
    for member in child.breached_members:
        branch.add(Text(f"⚠ member clique {member}: MinAvailableBreached", style="yellow"))
    if child.gated:
        branch.add(Text(f"⧗ {child.gated} pod(s) gated, waiting for the PodGang", style="yellow"))
    for bad in child.unready[:5]:
        line = Text(f"✖ {bad.name} {bad.status}", style="red")
        line.append(f"  restarts {bad.restarts}  on {bad.node}", style="dim")
        branch.add(line)
    if len(child.unready) > 5:
        branch.add(Text(f"… and {len(child.unready) - 5} more not ready", style="red"))
    for pod in child.pending[:5]:
        line = Text(f"⧗ {pod.name} pending", style="yellow")
        if pod.reason:
            line.append(f": {pod.reason}", style="dim")
        branch.add(line)
    if len(child.pending) > 5:
        branch.add(Text(f"… and {len(child.pending) - 5} more pending", style="yellow"))


def _event_line(event: EventRow, now: float) -> Text:
    text = Text(f"  {age(now, event.at):>6} ago  ")
    text.append(f"[{event.type}]", style="yellow" if event.warning else "dim")
    text.append(f"  {event.kind}/{event.name}  ", style="dim")
    text.append(event.reason, style="bold" if event.warning else "")
    if event.count > 1:
        text.append(f" (x{event.count})", style="dim")
    text.append(f": {event.message}")
    return text


def pick_events(events: tuple[EventRow, ...], all_events: bool, limit: int = 10) -> tuple[EventRow, ...]:
    """The events that explain: the newest warnings; the newest events of any type when there is no warning."""
    if all_events:
        return events[-limit:]
    warnings = tuple(e for e in events if e.warning)
    return warnings[-limit:] if warnings else events[-min(limit, 5) :]


def render_pcs_health(item: PcsHealth, now: float, all_events: bool = False) -> RenderableType:
    title = Text("Gang Health: ", style="bold")
    title.append(f"{item.namespace}/{item.name}", style="bold cyan")
    title.append("   ")
    title.append_text(state_text(item.state))
    title.append(f"   available {item.available}/{item.replicas}   terminationDelay {duration(item.termination_delay)}")
    parts: list[RenderableType] = [title, Text("━" * 60, style="dim")]
    for replica in item.replica_health:
        label = Text(f"Replica {replica.index}  ", style="bold")
        label.append_text(state_text(replica.state))
        if replica.countdown is not None:
            label.append(f"   {countdown_text(replica.countdown)}", style="bold red")
        tree = Outline(label, guide_style="dim")
        for gang in replica.gangs:
            g = Text(f"Gang {gang.name}", style="bold")
            g.append(" (base)" if gang.base else " (scaled)", style="dim")
            g.append(f"  {gang.pods_ready}/{gang.pods_total} pods ready  ")
            g.append(gang.state, style=STATE_STYLE.get(gang.state, ""))
            if gang.groups_below_min:
                g.append(f"  below minReplicas: {', '.join(gang.groups_below_min)}", style="yellow")
            tree.add(g)
        for child in replica.children:
            branch = tree.add(_child_label(child))
            _child_details(child, now, branch)
        parts.append(tree)
    events = pick_events(item.events, all_events)
    if events:
        parts.append(Text("Recent events:", style="bold"))
        parts.extend(_event_line(e, now) for e in events)
    return Stack(*parts)


def render_health(report: HealthReport) -> RenderableType:
    if not report.items:
        where = f"namespace {report.namespace}" if report.namespace else "any namespace"
        return Group(Text(f"No PodCliqueSets found in {where}."), *source_lines(report.sources, report.namespace))
    parts: list[RenderableType] = []
    for i, item in enumerate(report.items):
        if i:
            parts.append(Text(""))
        parts.append(render_pcs_health(item, report.now))
    parts.extend(source_lines(report.sources, report.namespace))
    return Stack(*parts)

"""A preview as a step table (time, what changed, ready/desired per role, available replicas, GPUs, placement
score, health) followed by its findings and any dip below minAvailable; and as data for ``-o json|yaml``."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from grove.simulate.preview import Preview, Step
from grove.views.common import duration, score_text, state_text
from grove.views.fit import fitted_table

MAX_CHANGES = 3


def _roles(step: Step) -> str:
    return "  ".join(f"{r.role} {r.ready}/{r.desired}" for r in step.main.roles)


def _changes(step: Step) -> str:
    shown = list(step.changes[:MAX_CHANGES])
    if len(step.changes) > MAX_CHANGES:
        shown.append(f"+{len(step.changes) - MAX_CHANGES} more")
    return "; ".join(shown)


def render_preview(preview: Preview, width: int) -> RenderableType:
    headers = ["TIME", "READY/DESIRED", "AVAILABLE", "GPUS", "SCORE", "HEALTH", "CHANGES"]
    rows = []
    for step in preview.steps:
        fig = step.main
        rows.append(
            [
                Text(f"+{duration(step.at)}" if step.at else "now"),
                Text(_roles(step)),
                Text(f"{fig.available_replicas}/{fig.replicas}"),
                Text(str(fig.gpus_in_use)),
                score_text(fig.placement_score),
                state_text(fig.health),
                Text(_changes(step), style="dim" if not step.findings else ""),
            ]
        )
    parts: list[RenderableType] = []
    names = ", ".join(f"{ns}/{name}" for ns, name in preview.targets)
    parts.append(
        Text(
            f"Preview of {names}: {len(preview.steps)} steps over {duration(preview.duration)}; pods Ready "
            f"{preview.pod_start:g}s after scheduling ({preview.pod_start_source})",
            style="bold",
        )
    )
    parts.append(fitted_table(headers, rows, width, drop_order=("CHANGES", "SCORE", "HEALTH")))
    if preview.findings:
        parts.append(Text("\nFindings:", style="bold"))
        for finding in preview.findings:
            style = "yellow" if finding.severity == "warning" else ""
            parts.append(Text(f"  +{duration(finding.at)}  {finding.message}", style=style))
    dips = preview.min_dips
    if dips:
        parts.append(Text("\nBelow minAvailable:", style="bold red"))
        for step in preview.steps:
            for dip in step.dips:
                parts.append(Text(f"  +{duration(step.at)}  {dip}", style="red"))
    else:
        parts.append(Text("\nNo clique drops below minAvailable.", style="green"))
    parts.append(
        Text("Predicts Grove's order and a feasible placement, not the node a real scheduler picks.", style="dim")
    )
    return Group(*parts)


def preview_document(preview: Preview) -> dict[str, Any]:
    return {
        "kind": "Preview",
        "targets": [{"namespace": ns, "podCliqueSet": name} for ns, name in preview.targets],
        "podStartSeconds": preview.pod_start,
        "podStartSource": preview.pod_start_source,
        "durationSeconds": preview.duration,
        "steps": [
            {
                "at": step.at,
                "changes": list(step.changes),
                "workloads": [
                    {
                        "namespace": fig.namespace,
                        "podCliqueSet": fig.pcs,
                        "roles": [
                            {"role": r.role, "ready": r.ready, "desired": r.desired, "updated": r.updated}
                            for r in fig.roles
                        ],
                        "replicas": fig.replicas,
                        "availableReplicas": fig.available_replicas,
                        "gpusInUse": fig.gpus_in_use,
                        "placementScore": fig.placement_score,
                        "health": fig.health,
                        "belowMinAvailable": list(fig.below_min),
                    }
                    for fig in step.figures
                ],
                "findings": list(step.findings),
                "dips": list(step.dips),
            }
            for step in preview.steps
        ],
        "findings": [{"at": x.at, "severity": x.severity, "message": x.message} for x in preview.findings],
        "stepOffsets": list(preview.step_offsets),
    }

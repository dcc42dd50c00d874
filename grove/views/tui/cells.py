"""Cell formatting shared by the TUI tables: GPUs per product, scores with finding marks, health, pod status."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from rich.text import Text

from grove.reducers.derive.gpu import UNKNOWN_PRODUCT, NodeFacts
from grove.reducers.derive.health import DEGRADED, HEALTHY, PENDING, PROGRESSING, UPDATING
from grove.reducers.derive.hierarchy import CliqueNode, PodNode
from grove.reducers.derive.placement import ERROR, SEVERITY_ORDER, WARNING
from grove.views.common import SEVERITY_ICON, SEVERITY_STYLE, duration, score_text, state_text

_VENDOR_WORDS = {"nvidia", "tesla", "geforce", "quadro"}


@functools.lru_cache(maxsize=1024)
def short_product(product: str) -> str:
    """``NVIDIA-H100-80GB-HBM3`` → ``H100``; the node label is long and the table is not."""
    if not product or product == UNKNOWN_PRODUCT:
        return "gpu"
    words = [w for w in product.replace("_", "-").split("-") if w]
    for word in words:
        if word.lower() not in _VENDOR_WORDS:
            return word
    return product


def gpu_counts(pods: Iterable[PodNode], nodes: Mapping[str, NodeFacts]) -> tuple[dict[str, int], int]:
    """GPUs held per (short) product by scheduled pods, and GPUs requested by pods not placed yet."""
    placed: dict[str, int] = {}
    unplaced = 0
    for pod in pods:
        facts = pod.facts
        if facts.finished or not facts.gpus:
            continue
        node = nodes.get(facts.node) if facts.node else None
        if node is None:
            if facts.node:
                placed["gpu"] = placed.get("gpu", 0) + facts.gpus
            else:
                unplaced += facts.gpus
            continue
        product = short_product(node.product)
        placed[product] = placed.get(product, 0) + facts.gpus
    return placed, unplaced


def gpu_text(pods: Iterable[PodNode], nodes: Mapping[str, NodeFacts]) -> Text:
    return counts_text(*gpu_counts(pods, nodes))


def counts_text(placed: Mapping[str, int], unplaced: int) -> Text:
    """``8 H100 +4``: GPUs per product (from ``gpu_counts``), then those not placed yet."""
    text = Text()
    for i, (product, count) in enumerate(sorted(placed.items())):
        if i:
            text.append(" ")
        text.append(f"{count} {product}")
    if unplaced:
        if placed:
            text.append(" ")
        text.append(f"+{unplaced}", style="yellow")
    if not placed and not unplaced:
        text.append("-", style="dim")
    return text


def worst_severity(severities: Iterable[str]) -> str | None:
    found = sorted(set(severities), key=lambda s: SEVERITY_ORDER.get(s, 9))
    return found[0] if found else None


def score_cell(score: float | None, severity: str | None = None) -> Text:
    """The placement score, with ✖/⚠ when a finding concerns the row's pods."""
    text = score_text(score)
    if severity in (ERROR, WARNING):
        text.append(" " + SEVERITY_ICON[severity], style=SEVERITY_STYLE[severity])
    return text


def health_cell(state: str, countdown: float | None = None) -> Text:
    text = state_text(state)
    if countdown is not None:
        text.append(f" {duration(countdown)}" if countdown > 0 else " overdue", style="bold red")
    return text


def clique_state(clique: CliqueNode) -> str:
    """A light health state for a clique Grove does not judge alone (one inside a scaling group)."""
    breached = clique.min_breached
    if breached is not None and breached.is_true:
        return DEGRADED
    live = [p for p in clique.pods if not p.facts.finished]
    if clique.gated or any(not p.facts.scheduled for p in live):
        return PENDING
    if breached is not None and breached.status == "Unknown" and breached.reason == "UpdateInProgress":
        return UPDATING
    if clique.ready < clique.replicas:
        return PROGRESSING
    return HEALTHY


def pod_status_cell(pod: PodNode) -> Text:
    """``✓ Running`` (ready), ``✗ Running`` (not ready), ``⧗ Pending``, ``✖ CrashLoopBackOff`` …"""
    facts = pod.facts
    status = facts.status
    if status == "Terminating" or facts.finished:
        return Text(f"· {status}", style="dim")
    if facts.ready:
        return Text(f"✓ {status}", style="green")
    if status in ("Pending", "SchedulingGated"):
        return Text(f"⧗ {status}", style="yellow")
    if status in ("Running", "ContainerCreating", "PodInitializing") or status.startswith("Init:"):
        return Text(f"✗ {status}", style="yellow")
    return Text(f"✖ {status}", style="bold red")


def ready_cell(ready: int, total: int) -> Text:
    style = "green" if total and ready >= total else ("yellow" if ready else ("dim" if not total else "red"))
    return Text(f"{ready}/{total}", style=style)


FINDING_LABELS = {
    "required-pack-violated": "pack violated",
    "preferred-pack-missed": "fragmented",
    "split-unconstrained": "split",
    "pods-pending": "unschedulable",
    "pods-gated": "gated",
    "node-label-missing": "unlabelled node",
    "binding-missing": "no binding",
    "domain-unknown": "unknown domain",
}


def finding_cell(code: str, severity: str) -> Text:
    """A short mark for a finding about one pod or domain: ``⚠ fragmented``, ``✖ pack violated`` …"""
    label = FINDING_LABELS.get(code, code.replace("-", " "))
    return Text(f"{SEVERITY_ICON.get(severity, '·')} {label}", style=SEVERITY_STYLE.get(severity, ""))


def count_text(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

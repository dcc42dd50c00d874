"""``kubectl grove metrics``: per role throughput, TTFT and ITL p99, GPU utilisation, queue and active requests, each
number with its source; then one line per problem (what would fix it)."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grove.reducers.derive.metrics_report import Collecting, Figure, MetricsReport, RoleMetrics
from grove.views.common import duration

DASH = "–"


def seconds_text(figure: Figure) -> str:
    if figure.value is None:
        return DASH
    value = figure.value
    text = f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"≥ {text}" if figure.at_least else text


def rate_text(figure: Figure) -> str:
    if figure.value is None:
        return DASH
    if figure.value == 0:
        return "0"
    return f"{figure.value:,.0f}" if figure.value >= 10 else f"{figure.value:.1f}"


def count_text(figure: Figure) -> str:
    return DASH if figure.value is None else f"{figure.value:.0f}"


def gpu_text(figure: Figure) -> str:
    if figure.value is None:
        return DASH
    return f"{figure.value:.0f}%" + (f" ({figure.note})" if figure.note else "")


def _header(report: MetricsReport) -> Text:
    text = Text()
    text.append(f"{report.namespace}/{report.pcs}", style="bold")
    moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report.at)) if report.at else "?"
    text.append(f"  metrics over {duration(report.window)} up to {moment}", style="dim")
    return text


def _serving(report: MetricsReport) -> RenderableType:
    serving = report.serving
    line = Text("serving: ", style="bold")
    line.append(f"{rate_text(serving.output_tokens_per_s)} output tokens/s")
    line.append("  ·  ")
    line.append(f"TTFT p99 {seconds_text(serving.ttft_p99)}")
    line.append("  ·  ")
    line.append(f"ITL p99 {seconds_text(serving.itl_p99)}")
    sources = [
        Text(f"  {label}: {figure.source}", style="dim")
        for label, figure in (
            ("throughput", serving.output_tokens_per_s),
            ("TTFT", serving.ttft_p99),
            ("ITL", serving.itl_p99),
        )
        if figure.source
    ]
    return Group(line, *sources)


def _role_row(role: RoleMetrics) -> list[str | Text]:
    window = "" if role.window is None else duration(role.window)
    return [
        Text(role.role, style="bold"),
        role.kind,
        f"{role.scraped}/{role.pods}",
        ", ".join(role.engines) or DASH,
        rate_text(role.prompt_tokens_per_s),
        rate_text(role.output_tokens_per_s),
        seconds_text(role.ttft_p99),
        seconds_text(role.itl_p99),
        gpu_text(role.gpu_util),
        count_text(role.running),
        count_text(role.waiting),
        window,
    ]


def render_metrics(report: MetricsReport, width: int = 120) -> RenderableType:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column, justify in (
        ("ROLE", "left"),
        ("KIND", "left"),
        ("PODS", "right"),
        ("ENGINE", "left"),
        ("PROMPT TOK/S", "right"),
        ("OUTPUT TOK/S", "right"),
        ("TTFT P99", "right"),
        ("ITL P99", "right"),
        ("GPU UTIL", "right"),
        ("ACTIVE", "right"),
        ("QUEUED", "right"),
        ("WINDOW", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=column != "ENGINE")  # type: ignore[arg-type]
    for role in report.roles:
        table.add_row(*_role_row(role))
    parts: list[RenderableType] = [_header(report), _serving(report), Text(""), table]
    if not report.roles:
        parts.append(Text("no pods in this PodCliqueSet", style="dim"))
    notes = [f"{r.role} {label}: {fig.note}" for r in report.roles for label, fig in _quantiles(r) if fig.note]
    for note in notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if report.problems:
        parts.append(Text(""))
        for problem in report.problems:
            parts.append(Text(f"! {problem}", style="yellow"))
    parts.append(
        Text(
            "TTFT and ITL per role are each engine's own (local to that role); PODS: scraped/all; "
            "WINDOW: the time the rates cover",
            style="dim",
        )
    )
    return Group(*parts)


def _quantiles(role: RoleMetrics) -> tuple[tuple[str, Figure], ...]:
    return (("TTFT p99", role.ttft_p99), ("ITL p99", role.itl_p99))


def render_collecting(progress: Collecting, now: float) -> RenderableType:
    """``metrics -w`` before its first window is covered: how far it has got, instead of numbers over less."""
    header = Text()
    header.append(f"{progress.namespace}/{progress.pcs}", style="bold")
    header.append("  collecting metrics", style="dim")
    elapsed = progress.elapsed(now)
    line = Text(f"first window: {elapsed:.0f} s of {progress.window:.0f} s", style="bold")
    if progress.first_at is None:
        line.append(f"  ·  scraping {progress.pods} pod{'s' if progress.pods != 1 else ''}…")
    else:
        line.append(f"  ·  {progress.answered} of {progress.pods} pods answered")
        if elapsed >= progress.window:
            line.append("  ·  waiting for the scrape that closes it")
    parts: list[RenderableType] = [header, line]
    if progress.pods == 0:
        parts.append(Text("no pods in this PodCliqueSet", style="dim"))
    if progress.problems:
        parts.append(Text(""))
        parts.extend(Text(f"! {problem}", style="yellow") for problem in progress.problems)
    parts.append(Text("rates and quantiles show once a whole window is covered (--window)", style="dim"))
    return Group(*parts)


def render_watched(report: MetricsReport, next_in: float, width: int = 120) -> RenderableType:
    """``metrics -w`` once a window is covered: the numbers, and when the next window's come."""
    refresh = f"refreshes every {duration(report.window)} (--window); next in {duration(max(0.0, next_in))}"
    return Group(render_metrics(report, width), Text(refresh, style="dim"))

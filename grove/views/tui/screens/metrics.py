"""``m``: the metrics of one PodCliqueSet per role, each figure with a sparkline of its recent history (tokens/s,
TTFT p99, ITL p99, queue, GPU utilisation), from the samples in the state: live as they are scraped, in a replay as
they were recorded."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from grove.reducers.derive.metrics_report import HistoryPoint, MetricsReport, metrics_report
from grove.views.metrics import count_text, gpu_text, rate_text, seconds_text
from grove.views.tui.screens.overlay import Overlay
from grove.views.tui.widgets.bars import HintBar

WINDOW = 30.0
_TICKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int) -> Text:
    """The last ``width`` values as block characters scaled from 0 to their maximum; a gap is a space."""
    shown = list(values)[-width:]
    known = [v for v in shown if v is not None]
    top = max(known) if known else 0.0
    text = Text(" " * (width - len(shown)))
    for value in shown:
        if value is None:
            text.append(" ")
        else:
            level = 0 if top <= 0 else min(len(_TICKS) - 1, int(value / top * (len(_TICKS) - 1) + 0.5))
            text.append(_TICKS[level], style="cyan")
    return text


def metrics_view(report: MetricsReport, width: int) -> RenderableType:
    if not report.roles:
        return Text(f"{report.namespace}/{report.pcs} has no pods.", style="dim")
    spark = max(8, min(40, width - 58))
    parts: list[RenderableType] = [
        Text.assemble(
            (f"{report.namespace}/{report.pcs}", "bold"),
            (f"  over {report.window:.0f}s · serving: {rate_text(report.serving.output_tokens_per_s)} tok/s, ", "dim"),
            (
                f"TTFT p99 {seconds_text(report.serving.ttft_p99)}, ITL p99 {seconds_text(report.serving.itl_p99)}",
                "dim",
            ),
        )
    ]
    for role in report.roles:
        history = report.history.get(role.role, ())
        table = Table(box=None, pad_edge=False, show_header=False, expand=False)
        table.add_column(no_wrap=True, min_width=12)
        table.add_column(no_wrap=True, justify="right", min_width=14)
        table.add_column(no_wrap=True)
        rows: tuple[tuple[str, str, list[float | None]], ...] = (
            ("output tok/s", rate_text(role.output_tokens_per_s), _series(history, "output_tokens_per_s")),
            ("TTFT p99", seconds_text(role.ttft_p99), _series(history, "ttft_p99")),
            ("ITL p99", seconds_text(role.itl_p99), _series(history, "itl_p99")),
            ("queued", count_text(role.waiting), _series(history, "waiting")),
            ("GPU util", gpu_text(role.gpu_util), _series(history, "gpu_util")),
        )
        for label, value, series in rows:
            table.add_row(Text(label, style="dim"), value, sparkline(series, spark))
        engines = ", ".join(role.engines) or "no samples"
        parts.append(Text(""))
        parts.append(
            Text.assemble((role.role, "bold"), (f"  {role.kind} · {role.scraped}/{role.pods} pods · {engines}", "dim"))
        )
        parts.append(table)
    if report.problems:
        parts.append(Text(""))
        parts.extend(Text(f"! {p}", style="yellow") for p in report.problems)
    return Group(*parts)


def _series(history: Sequence[HistoryPoint], field: str) -> list[float | None]:
    return [getattr(point, field) for point in history]


class MetricsScreen(Overlay):
    def __init__(self, namespace: str, pcs: str) -> None:
        super().__init__()
        self.namespace = namespace
        self.pcs = pcs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Metrics", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(id="metrics")
            yield HintBar([("esc", "close")], help_hint=False)

    def on_mount(self) -> None:
        self.show_state()

    def show_state(self) -> None:
        state = self.arborist.state
        report = metrics_report(state, self.namespace, self.pcs, WINDOW, history=True)
        body = metrics_view(report, self.app.size.width - 8)
        if not state.metrics:
            note = Text(
                "No metrics samples yet: live, start Arborist with --metrics; a recording holds them when made with "
                "`kubectl grove record --metrics` (try replays/rolling-update-metrics.jsonl).",
                style="dim",
            )
            body = Group(body, Text(""), note)
        self.query_one("#metrics", Static).update(body)

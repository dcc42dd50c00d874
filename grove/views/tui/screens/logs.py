"""``l``: a pod's log, live only — follow on/off, container choice, wrap on/off.

The lines come from the injected ``stream_logs`` provider on a worker thread, in batches; switching container or
follow closes the old stream and opens a new one. In a replay there is no log to read, and the overlay says so.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import RichLog, Static
from textual.worker import get_current_worker

from grove.reducers import fields as f
from grove.views.tui import keys
from grove.views.tui.messages import LogLines
from grove.views.tui.rows import Ref
from grove.views.tui.screens.overlay import Overlay
from grove.views.tui.session import LIVE, LogStream
from grove.views.tui.widgets.bars import HintBar

KEEP_LINES = 5000
BATCH_SECONDS = 0.1


def containers_of(pod: object) -> list[str]:
    spec = f.mapping(f.get(pod, "spec"))
    names = [f.text(f.mapping(c).get("name")) for c in f.seq(spec.get("containers"))]
    names += [f.text(f.mapping(c).get("name")) for c in f.seq(spec.get("initContainers"))]
    return [n for n in names if n]


class LogsScreen(Overlay):
    BINDINGS: ClassVar[list[BindingType]] = list(keys.LOGS)

    def __init__(self, ref: Ref) -> None:
        super().__init__()
        self.ref = ref
        self.follow = True
        self.wrap = False
        self.containers: list[str] = []
        self.container_index = 0
        self.log_lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.generation = 0
        self.log_status = ""
        self._incoming: deque[tuple[int, str]] = deque()
        self._stream: LogStream | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(id="logs-title", classes="dialog-title")
            yield RichLog(id="log", wrap=False, highlight=False, markup=False, max_lines=KEEP_LINES)
            yield HintBar([("esc", "close"), ("f", "follow"), ("c", "container"), ("w", "wrap")], help_hint=False)

    @property
    def can_stream(self) -> bool:
        app = self.arborist
        return app.session.mode == LIVE and app.providers.stream_logs is not None

    @property
    def container(self) -> str | None:
        return self.containers[self.container_index] if self.containers else None

    def on_mount(self) -> None:
        pod = self.arborist.state.get(self.ref.kind, self.ref.namespace, self.ref.name)
        self.containers = containers_of(pod) if pod is not None else []
        log = self.query_one("#log", RichLog)
        self.set_focus(log)
        if not self.can_stream:
            label = self.arborist.session.label
            self.log_status = "not available"
            log.wrap = True
            log.write(Text("Logs are only available live.", style="bold yellow"))
            log.write(
                Text(
                    f"This is a replay of {label}: a recording holds the objects and events, not container output."
                    if label
                    else "This is a replay: a recording holds the objects and events, not container output.",
                    style="dim",
                )
            )
            self._title()
            return
        self.set_interval(BATCH_SECONDS, self._drain)
        self._restart()

    def _title(self) -> None:
        title = Text(f"Logs {self.ref.namespace}/{self.ref.name}", style="bold")
        if not self.can_stream:
            title.append("  not available in a replay", style="yellow")
            self.query_one("#logs-title", Static).update(title)
            return
        if self.container:
            title.append(f"  container {self.container}", style="cyan")
            if len(self.containers) > 1:
                title.append(f" ({self.container_index + 1}/{len(self.containers)})", style="dim")
        title.append(f"  follow {'on' if self.follow else 'off'}", style="dim")
        title.append(f"  wrap {'on' if self.wrap else 'off'}", style="dim")
        if self.log_status:
            title.append(f"  {self.log_status}", style="yellow")
        self.query_one("#logs-title", Static).update(title)

    def _restart(self) -> None:
        self._close_stream()
        self.generation += 1
        self.log_lines.clear()
        log = self.query_one("#log", RichLog)
        log.clear()
        self.log_status = "connecting…"
        self._title()
        self._read(self.generation, self.container, self.follow)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()

    @work(thread=True, exclusive=True, group="logs")
    def _read(self, generation: int, container: str | None, follow: bool) -> None:
        provider = self.arborist.providers.stream_logs
        assert provider is not None
        worker = get_current_worker()
        try:
            stream = provider(self.ref.namespace, self.ref.name, container, follow)
        except Exception as exc:
            self.post_message(LogLines(generation, [], ended=f"failed: {exc}"))
            return
        self._stream = stream
        ended = "end of log" if not follow else "stream closed"
        try:
            for line in stream:
                if worker.is_cancelled or generation != self.generation:
                    return
                self._incoming.append((generation, line.rstrip("\n")))
        except Exception as exc:
            ended = f"stream ended: {exc}"
        finally:
            with contextlib.suppress(Exception):
                stream.close()
        self.post_message(LogLines(generation, [], ended=ended))

    def _drain(self) -> None:
        """Move the lines the reader thread queued into the log (a few times a second, not per line)."""
        log = self.query_one("#log", RichLog)
        wrote = False
        while self._incoming:
            generation, line = self._incoming.popleft()
            if generation != self.generation:
                continue
            self.log_lines.append(line)
            log.write(Text(line))
            wrote = True
        if wrote and self.log_status == "connecting…":
            self.log_status = "following" if self.follow else ""
            self._title()

    @on(LogLines)
    def _lines(self, message: LogLines) -> None:
        if message.generation != self.generation:
            return
        self._drain()
        if message.ended is not None:
            if not self.log_lines:
                self.query_one("#log", RichLog).write(Text("(no output)", style="dim"))
            self.log_status = message.ended
            self._title()

    def action_follow(self) -> None:
        if self.can_stream:
            self.follow = not self.follow
            self._restart()

    def action_container(self) -> None:
        if self.can_stream and len(self.containers) > 1:
            self.container_index = (self.container_index + 1) % len(self.containers)
            self._restart()

    def action_wrap(self) -> None:
        self.wrap = not self.wrap
        log = self.query_one("#log", RichLog)
        log.wrap = self.wrap
        if self.can_stream:
            log.clear()
            for line in self.log_lines:
                log.write(Text(line))
        self._title()

    def on_unmount(self) -> None:
        self.generation += 1
        self._close_stream()

"""What the user sees while collecting: a Rich progress bar on a terminal, plain lines on stderr otherwise.

Both write to stderr only: stdout carries nothing but the bundle's path.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from grove.commands.diagnostics.runner import Done, Job


def _line(done: Done) -> str:
    r = done.result
    if r.status == "ok":
        what = f": {r.count}" if r.count is not None else ""
        return f"[ok] {r.name}{what} ({r.seconds:.2f}s)"
    if r.status == "skipped":
        return f"[skipped] {r.name}: {r.message}"
    return f"[failed] {r.name}: {r.reason}" + (f" ({r.message})" if r.message else "")


class PlainProgress:
    """One line per finished item (for logs and CI)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def started(self, job: Job) -> None:
        pass

    def finished(self, done: Done) -> None:
        self.stream.write(f"diagnostics: {_line(done)}\n")
        self.stream.flush()

    def phase(self, text: str) -> None:
        self.stream.write(f"diagnostics: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class RichProgress:
    """A bar over every item started so far; failures stay printed above it."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(file=stream, highlight=False)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task: Any = self.progress.add_task("connecting", total=0)
        self.total = 0
        self.progress.start()

    def started(self, job: Job) -> None:
        self.total += 1
        self.progress.update(self.task, total=self.total, description=job.name)

    def finished(self, done: Done) -> None:
        self.progress.advance(self.task)
        if done.result.status == "failed":
            from rich.text import Text

            self.progress.console.print(Text(f"✖ {_line(done)}", style="yellow"))

    def phase(self, text: str) -> None:
        self.progress.update(self.task, description=text)

    def close(self) -> None:
        self.progress.stop()


Progress = PlainProgress | RichProgress


def make_progress(stream: IO[str] | None = None) -> Progress:
    out = stream or sys.stderr
    return RichProgress(out) if out.isatty() else PlainProgress(out)

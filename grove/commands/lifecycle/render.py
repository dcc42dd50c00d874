"""Output of a mutating command: the change, its preview (the simulation of what Grove will do), and the notes
that follow (what the server said, what was written). Text on a console, or one document with ``-o json|yaml``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from grove.commands.errors import UsageError
from grove.commands.lifecycle.flow import Change, command_line
from grove.reducers.state import State


def pod_start(args: argparse.Namespace) -> float | None:
    text = getattr(args, "pod_start", None)
    if not text:
        return None
    from grove.reducers.fields import parse_duration

    try:
        seconds = float(text)
    except ValueError:
        seconds = parse_duration(text, -1.0)
    if seconds <= 0:
        raise UsageError(f"--pod-start {text!r} is not a duration (use seconds or e.g. 90s, 2m)")
    return seconds


def simulate(args: argparse.Namespace, state: State, change: Change) -> tuple[Any, str]:
    """The preview of the change (``grove.simulate.preview``) or None, and why there is none."""
    try:
        import grove.views.preview  # noqa: F401 - the preview is only worth computing when it can be shown
        from grove.simulate.preview import PreviewError, preview
    except ImportError:
        return None, "no preview: this build has no simulator"
    try:
        return preview(state, change.intents, pod_start=pod_start(args)), ""
    except PreviewError as exc:
        return None, f"no preview: {exc}"


def change_document(change: Change) -> dict[str, Any]:
    return {
        "title": change.title,
        "changes": list(change.lines),
        "writes": [w.what for w in change.writes],
        "warnings": list(change.warnings),
    }


def emit(args: argparse.Namespace, state: State, change: Change) -> None:
    """Print the change and its preview; write the preview recording when asked."""
    predicted, why = simulate(args, state, change) if change.intents else (None, "")
    if getattr(args, "preview_record", None) and predicted is None:
        note(args, f"--preview-record: nothing recorded ({why or 'this change has nothing to simulate'})")
    if getattr(args, "preview_record", None) and predicted is not None:
        from grove.simulate.preview import write_preview_recording

        context = None if getattr(args, "replay", None) else getattr(args, "context", None)
        write_preview_recording(predicted, args.preview_record, context=context, command=command_line(args))
    output = getattr(args, "output", None)
    if output:
        from grove.views.serialize import dumps

        doc: dict[str, Any] = {"kind": "ChangePreview", "change": change_document(change), "preview": None}
        if why:
            doc["noPreview"] = why
        if predicted is not None:
            from grove.views.preview import preview_document

            doc["preview"] = preview_document(predicted)
        text = dumps(doc, output)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from rich.text import Text

    from grove.commands.output import make_console

    console = make_console(args)
    console.print(Text(change.title, style="bold"))
    for line in change.lines:
        console.print(Text("  " + line))
    for warning in change.warnings:
        console.print(Text("warning: " + warning, style="yellow"))
    if predicted is not None:
        from grove.views.preview import render_preview

        console.print(render_preview(predicted, console.width))
    elif why:
        console.print(Text(f"({why})", style="dim"))
    if getattr(args, "preview_record", None) and predicted is not None:
        console.print(Text(f"preview recorded to {args.preview_record} (kubectl grove replay {args.preview_record})"))


def note(args: argparse.Namespace, *lines: str, prefix: str = "") -> None:
    """Status lines after the preview: stdout in text mode, stderr when stdout carries a document."""
    stream = sys.stderr if getattr(args, "output", None) else sys.stdout
    for line in lines:
        stream.write(f"{prefix}{line}\n")
    stream.flush()

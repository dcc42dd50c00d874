"""The shared shape of the read commands: load (or watch) state, build the report, print it."""

from __future__ import annotations

import argparse
import importlib
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from grove.commands.errors import UsageError
from grove.commands.output import make_console
from grove.commands.source import Scope, load_state
from grove.events.gc_pause import cyclic_gc_paused
from grove.reducers.state import State

BuildReport = Callable[[State, Scope], Any]
Render = Callable[[Any, int], Any]  # (report, terminal width) -> renderable


def check_flags(args: argparse.Namespace) -> None:
    if getattr(args, "all_namespaces", False) and getattr(args, "namespace", None):
        raise UsageError("-n/--namespace and -A/--all-namespaces cannot be used together")
    if getattr(args, "watch", False) and getattr(args, "output", None) in ("json", "yaml"):
        raise UsageError("-w cannot be combined with -o json/yaml")


def import_in_background(modules: Sequence[str]) -> None:
    """Import ``modules`` on a daemon thread. A failure is left for the main thread's own import to report."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the caller imports it again and sees the error
                return

    if modules:
        threading.Thread(target=load, name="grove-preload", daemon=True).start()


def run_read(
    args: argparse.Namespace,
    kinds: Sequence[str],
    build: BuildReport,
    render: Render,
    doc_kind: str,
    cluster_wide: Sequence[str] = (),
    preload: Sequence[str] = (),
) -> int:
    """``preload``: the modules ``build`` and ``render`` import; on a live cluster they are imported on a thread while
    the lists download (~0.25 s otherwise spent before the first request)."""
    check_flags(args)
    if not getattr(args, "replay", None):
        import_in_background(preload)
    if getattr(args, "watch", False):
        from grove.commands.watch import run_watch

        return run_watch(args, kinds, build, render, cluster_wide)
    # A one-shot read builds its whole state and report once, prints it and exits: nothing it makes is a cycle worth
    # collecting, then or later.
    with cyclic_gc_paused(then_freeze=True):
        state, scope = load_state(args, kinds, cluster_wide, slim=True)
        report = build(state, scope)
        fmt = getattr(args, "output", None)
        if fmt in ("json", "yaml"):
            from grove.views.serialize import document, dumps

            sys.stdout.write(dumps(document(doc_kind, report), fmt))
            return 0
        from grove.views.plain import print_renderable

        console = make_console(args)
        print_renderable(console, render(report, console.width))
    return 0

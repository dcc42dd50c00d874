"""Where output goes: a Rich console on stdout, colour following the terminal (NO_COLOR, non-TTY → plain)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def wants_color(args: argparse.Namespace) -> bool:
    choice = getattr(args, "color", "auto")
    if getattr(args, "no_color", False) or choice == "never":
        return False
    if choice == "always":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def make_console(args: argparse.Namespace) -> Any:
    from rich.console import Console

    color = wants_color(args)
    width = getattr(args, "width", None)
    if width is None and not sys.stdout.isatty():
        width = int(os.environ.get("COLUMNS", "0") or 0) or 120
    return Console(
        file=sys.stdout,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )

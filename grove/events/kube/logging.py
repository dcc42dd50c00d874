"""The program's logger: structlog, imported at the first call that is not filtered out.

Importing structlog costs ~0.1 s before a command's first request (it loads rich's tracebacks, pygments and asyncio),
and the live source logs at debug level all the time. ``defer_setup`` (called by ``grove.commands.logging``) gives
the level and the structlog set-up; a call below the level returns at once, and the set-up runs before the first
call that passes. Without ``defer_setup`` every call goes to structlog as configured elsewhere (tests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


_SETUP_LOCK = threading.Lock()


def _dropped(*args: Any, **kwargs: Any) -> None:
    return None


class _LazyLogger:
    def __init__(self) -> None:
        self.level = logging.NOTSET
        self.setup: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> Any:
        if _LEVELS.get(name, logging.CRITICAL) < self.level:
            return _dropped
        if self.setup is not None:
            with _SETUP_LOCK:
                setup, self.setup = self.setup, None
                if setup is not None:
                    setup()
        import structlog

        return getattr(structlog.get_logger(), name)


log = _LazyLogger()


def defer_setup(level: int, setup: Callable[[], None]) -> None:
    """Calls below ``level`` are dropped; ``setup`` runs before the first one that is not."""
    log.level, log.setup = level, setup

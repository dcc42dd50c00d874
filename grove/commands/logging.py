"""structlog set-up: logs go to stderr (or ``--log-file``), never to stdout, which carries output only."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from grove.events.kube.logging import defer_setup


def configure_logging(debug: bool = False, log_file: str | None = None) -> None:
    """Logs at debug level with ``--debug``, else warnings and errors; structlog is set up at the first log line
    that passes (``grove.events.kube.logging``), so a command that logs nothing never imports it."""
    level = logging.DEBUG if debug else logging.WARNING
    defer_setup(level, lambda: _set_up_structlog(level, log_file))


def _set_up_structlog(level: int, log_file: str | None) -> None:
    import structlog

    stream: TextIO = open(log_file, "a", encoding="utf-8") if log_file else sys.stderr  # noqa: SIM115
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False) if not log_file else structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )

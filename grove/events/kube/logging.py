"""The package's logger."""

from __future__ import annotations

from typing import Any


class _LazyLogger:
    """structlog's logger, imported at first use: importing structlog loads rich, which the core must not import."""

    def __getattr__(self, name: str) -> Any:
        import structlog

        return getattr(structlog.get_logger(), name)


log = _LazyLogger()

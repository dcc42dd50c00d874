"""Errors a user can cause: each ends the command with one clear line and an exit code, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; ``str()`` is the one line shown. Exit code 1 (2 for usage errors)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(UserError):
    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)

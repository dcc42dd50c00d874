"""Fixtures for the recording readers."""

from __future__ import annotations

import os

import pytest

from grove.events.recordings import two_cores


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Read every recording on two cores, however small; the list counts the forks."""
    forked: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(two_cores, "PARALLEL_MIN_BYTES", 0)
    # Other tests' servers may still be winding down threads; the child only reads bytes, so forking is safe here.
    monkeypatch.setattr(two_cores, "_can_fork", lambda: True)
    monkeypatch.setattr(two_cores.os, "fork", counting_fork)
    return forked

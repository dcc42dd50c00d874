"""Fixtures of the metrics tests that talk to the loopback API server: the fake-engine world and a clean client
environment (no kubeconfig, proxies or in-cluster variables from the machine running the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.metrics import world as w


@pytest.fixture
def world() -> Iterator[w.World]:
    yield from w.worlds()


@pytest.fixture
def clean_client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

"""The loopback API server seeded with the bundled recordings' final states, and a runner for the CLI."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grove.commands.lifecycle import flow
from grove.commands.main import main
from tests.support.kube_server import KubeServer, objects_from_recording, write_kubeconfig

REPLAYS = Path(__file__).resolve().parents[3] / "replays"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        for name in ("multi-tenant", "rolling-update"):
            objects = objects_from_recording(REPLAYS / f"{name}.jsonl")
            # both recordings hold nodes and the binding: the first seeding keeps them
            srv.seed_state({k: v for k, v in objects.items() if name == "multi-tenant" or k not in ("Node",
                            "ClusterTopologyBinding")})  # fmt: skip
        yield srv


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(flow, "stdin_is_terminal", lambda: False)


@pytest.fixture
def kubeconfig(server: KubeServer, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", server.url, "inference", token="t")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], kubeconfig: Path) -> Run:
    def _run(*args: str, live: bool = True) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = [*args, "--kubeconfig", str(kubeconfig), "--width", "160"] if live else [*args, "--width", "160"]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def stored(server: KubeServer, kind: str, namespace: str, name: str) -> dict:  # type: ignore[type-arg]
    """A copy of what the server holds now (changing it changes nothing on the server)."""
    return copy.deepcopy(
        next(
            o for o in server.objects(kind) if o["metadata"]["name"] == name and o["metadata"]["namespace"] == namespace
        )
    )

"""``kubectl grove version`` against the loopback API server: each version read where it lives, else why not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove import __version__
from grove.commands.main import main
from grove.commands.version import image_tag
from grove.events.kinds import PODGANG
from tests.support.kube_server import KubeServer, write_kubeconfig

DEPLOYMENTS = "/apis/apps/v1/namespaces/grove-system/deployments"


def _deployment(image: str, name: str = "grove-operator") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "grove-system", "labels": {"app.kubernetes.io/name": "grove-operator"}},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "sidecar", "image": "busybox:1"}, {"name": name, "image": image}]}
            }
        },
    }


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer(installed=[k for k in ("PodCliqueSet", "PodCliqueScalingGroup", "PodClique", "Pod")]) as srv:
        yield srv


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _version(server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    config = write_kubeconfig(tmp_path / "kc", server.url)
    code, out, err = _run(capsys, "version", "--kubeconfig", str(config), "-o", "json", *extra)
    assert code == 0, err
    return dict(json.loads(out))


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("ghcr.io/ai-dynamo/grove/grove-operator:v0.1.0", "v0.1.0"),
        ("registry.local:5000/grove-operator:v0.2.0-rc.1@sha256:" + "a" * 64, "v0.2.0-rc.1"),
        ("registry.local:5000/grove-operator", None),
        ("grove-operator@sha256:" + "b" * 64, None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_every_version_from_the_cluster(server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes[DEPLOYMENTS] = {"kind": "DeploymentList", "items": [_deployment("ghcr.io/x/grove-operator:v0.4.2")]}
    doc = _version(server, tmp_path, capsys)
    assert doc["clientVersion"]["kubectlGrove"] == __version__
    assert doc["serverVersion"] == {"version": "v1.36.0"}
    assert doc["groveOperator"]["version"] == "v0.4.2"
    assert "grove-system/grove-operator" in doc["groveOperator"]["source"]
    assert doc["groveCRDs"]["podcliquesets.grove.io"] == ["v1alpha1"]
    assert doc["groveCRDs"]["podgangs.scheduler.grove.io"] == []  # not installed on this server
    selector = next(r.query for r in server.requests if r.path == DEPLOYMENTS)
    assert selector == {"labelSelector": "app.kubernetes.io/name=grove-operator"}


def test_text_and_yaml(server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes[DEPLOYMENTS] = {"kind": "DeploymentList", "items": [_deployment("grove-operator:v0.4.2")]}
    config = write_kubeconfig(tmp_path / "kc", server.url)
    code, out, _ = _run(capsys, "version", "--kubeconfig", str(config))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Client Version: kubectl-grove {__version__} ({lines[0].split('(')[1]}"
    assert lines[1] == "Server Version: v1.36.0"
    assert lines[2].startswith("Grove Operator: v0.4.2 (Deployment grove-system/grove-operator, image ")
    assert any(line.split() == [f"{PODGANG.lower()}s.scheduler.grove.io", "not", "installed"] for line in lines)
    code, out, _ = _run(capsys, "version", "--kubeconfig", str(config), "-o", "yaml")
    assert yaml.safe_load(out)["groveOperator"]["version"] == "v0.4.2"


def test_forbidden_operator_namespace_says_so(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes[DEPLOYMENTS] = (
        403,
        {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
         "message": 'deployments.apps is forbidden: User "tenant" cannot list resource "deployments"'},
    )  # fmt: skip
    doc = _version(server, tmp_path, capsys)
    assert doc["groveOperator"]["version"] == "unknown"
    assert doc["groveOperator"]["reason"].startswith("deployments in namespace grove-system are forbidden")
    assert doc["serverVersion"] == {"version": "v1.36.0"}  # the rest is still there


def test_operator_elsewhere_or_missing(server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _version(server, tmp_path, capsys)
    assert doc["groveOperator"]["version"] == "unknown"
    assert "--operator-namespace" in doc["groveOperator"]["reason"]
    server.routes["/apis/apps/v1/namespaces/ops/deployments"] = {"items": []}
    server.routes["/apis/apps/v1/namespaces/ops/deployments/grove-operator"] = _deployment("grove:v9")
    doc = _version(server, tmp_path, capsys, "--operator-namespace", "ops")
    assert doc["groveOperator"]["version"] == "v9"  # found by name when the label is not there


def test_no_cluster_is_one_error_line_after_the_client_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "version")
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0], "Server Version: unknown"]
    assert err.startswith("error: no kubeconfig") and err.count("\n") == 1
    code, out, err = _run(capsys, "version", "--client", "-o", "json")
    assert (code, err) == (0, "")
    assert set(json.loads(out)) == {"clientVersion"}

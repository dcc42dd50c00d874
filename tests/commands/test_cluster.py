"""Kubeconfig resolution (as kubectl does it), authentication, TLS, pre-flight and the live connection."""

from __future__ import annotations

import argparse
import base64
import os
import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.commands import cluster
from grove.commands.errors import UsageError, UserError
from grove.commands.source import load_state
from grove.events.kinds import ALL_KINDS
from grove.events.model import SourceStatus
from tests.support.kube_server import Collector, KubeServer, TlsFiles, make_tls, sample_objects

FAST = {"watch_timeout": 30.0, "read_grace": 5.0, "backoff_initial": 0.01, "backoff_max": 0.05, "join_timeout": 1.0}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real kubeconfig, proxy or in-cluster settings leak into a test."""
    for name in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cluster, "DEFAULT_SOURCE_OPTIONS", dict(FAST))


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(sample_objects())
        yield srv


def kubeconfig(
    path: Path,
    contexts: dict[str, dict[str, Any]],
    current: str | None = None,
) -> Path:
    """contexts: name → {"server": URL, "namespace": ..., "cluster": {...extra}, "user": {...}}."""
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for name, spec in contexts.items():
        cluster_name = spec.get("cluster_name", f"{name}-cluster")
        user_name = spec.get("user_name", f"{name}-user")
        doc["clusters"].append({"name": cluster_name, "cluster": {"server": spec["server"], **spec.get("cluster", {})}})
        doc["users"].append({"name": user_name, "user": spec.get("user", {})})
        context: dict[str, Any] = {"cluster": cluster_name, "user": user_name}
        if spec.get("namespace"):
            context["namespace"] = spec["namespace"]
        doc["contexts"].append({"name": name, "context": context})
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return path


def args(**values: Any) -> argparse.Namespace:
    base = {
        "namespace": None,
        "all_namespaces": False,
        "context": None,
        "kubeconfig": None,
        "request_timeout": "5s",
        "replay": None,
        "at": None,
    }
    return argparse.Namespace(**{**base, **values})


# ------------------------------------------------------------------------------------------------------ kubeconfig


def test_kubeconfig_list_is_merged_first_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = kubeconfig(
        tmp_path / "a.yaml",
        {"shared": {"server": "https://first.example:6443", "namespace": "team-a"}},
        current="shared",
    )
    second = kubeconfig(
        tmp_path / "b.yaml",
        {
            "shared": {"server": "https://second.example:6443"},
            "other": {"server": "https://other.example:6443", "user": {"token": "t-other"}},
        },
        current="other",
    )
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing.yaml'}{os.pathsep}{first}{os.pathsep}{second}")
    access = cluster.access_from_args(args())
    assert access.context == "shared"  # current-context of the first file that sets one
    assert access.server == "https://first.example:6443"  # first definition of a name wins
    assert access.namespace == "team-a"
    other = cluster.access_from_args(args(context="other"))
    assert other.server == "https://other.example:6443"
    assert other.headers == {"Authorization": "Bearer t-other"}
    assert other.namespace == "default"


def test_namespace_flags(tmp_path: Path, server: KubeServer) -> None:
    path = kubeconfig(tmp_path / "c.yaml", {"ctx": {"server": server.url, "namespace": "from-context"}}, "ctx")
    access = cluster.access_from_args(args(kubeconfig=str(path)))
    assert cluster.namespace_from_args(args(), access) == "from-context"
    assert cluster.namespace_from_args(args(namespace="flag"), access) == "flag"
    assert cluster.namespace_from_args(args(namespace="flag", all_namespaces=True), access) is None
    bare = kubeconfig(tmp_path / "d.yaml", {"ctx": {"server": server.url}}, "ctx")
    assert cluster.namespace_from_args(args(), cluster.access_from_args(args(kubeconfig=str(bare)))) == "default"


def test_unknown_context_names_the_available_ones(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "c.yaml", {"dev": {"server": "https://a:1"}, "prod": {"server": "https://b:1"}}, "dev")
    with pytest.raises(UserError, match=r'context "staging" not found in the kubeconfig \(available: dev, prod\)'):
        cluster.access_from_args(args(kubeconfig=str(path), context="staging"))


def test_no_current_context(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "c.yaml", {"dev": {"server": "https://a:1"}})
    with pytest.raises(UserError, match=r"no current context: pass --context \(available: dev\)"):
        cluster.access_from_args(args(kubeconfig=str(path)))


def test_missing_and_invalid_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError) as missing:
        cluster.access_from_args(args())
    assert str(missing.value) == "no kubeconfig: set KUBECONFIG or pass --kubeconfig, or use --replay FILE"
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(UserError, match="no kubeconfig"):
        cluster.access_from_args(args())
    with pytest.raises(UserError, match="not found"):
        cluster.access_from_args(args(kubeconfig=str(tmp_path / "nope.yaml")))
    broken = tmp_path / "broken.yaml"
    broken.write_text("clusters: [unterminated\n")
    with pytest.raises(UserError, match=r"invalid kubeconfig .*broken\.yaml"):
        cluster.access_from_args(args(kubeconfig=str(broken)))


def test_request_timeout_parsing() -> None:
    assert cluster.parse_timeout("30s") == 30.0
    assert cluster.parse_timeout("1m30s") == 90.0
    assert cluster.parse_timeout("5") == 5.0
    assert cluster.parse_timeout("0") == 0.0
    with pytest.raises(UsageError, match="--request-timeout 'soon'"):
        cluster.parse_timeout("soon")


def test_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".internal,10.0.0.1")
    assert cluster._env_proxy("https://api.example.com:6443") == "http://proxy.corp:3128"
    assert cluster._env_proxy("https://k8s.internal:6443") is None
    assert cluster._env_proxy("https://10.0.0.1:6443") is None
    assert cluster._env_proxy("https://127.0.0.1:6443") is None  # loopback never goes through a proxy


# ------------------------------------------------------------------------------------------------------ auth & TLS


def test_token_auth(tmp_path: Path) -> None:
    with KubeServer(token="s3cret") as srv:
        good = kubeconfig(tmp_path / "good.yaml", {"ctx": {"server": srv.url, "user": {"token": "s3cret"}}}, "ctx")
        info = cluster.cluster_info(args(kubeconfig=str(good)))
        assert (info.context, info.user, info.server_version) == ("ctx", "ctx-user", "v1.36.0")
        token_file = tmp_path / "token"
        token_file.write_text("s3cret")
        from_file = kubeconfig(
            tmp_path / "file.yaml", {"ctx": {"server": srv.url, "user": {"tokenFile": str(token_file)}}}, "ctx"
        )
        assert cluster.cluster_info(args(kubeconfig=str(from_file))).server_version == "v1.36.0"
        bad = kubeconfig(tmp_path / "bad.yaml", {"ctx": {"server": srv.url, "user": {"token": "wrong"}}}, "ctx")
        with pytest.raises(UserError, match=r'rejected the credentials of user "ctx-user" \(401 Unauthorized\)'):
            cluster.connect(args(kubeconfig=str(bad)), ALL_KINDS)


def test_exec_plugin_token_is_refreshed_after_401(tmp_path: Path) -> None:
    token_file = tmp_path / "current-token"
    token_file.write_text("first")
    plugin = tmp_path / "credential-plugin"
    plugin.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, pathlib
            token = pathlib.Path({str(token_file)!r}).read_text()
            print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                              "status": {{"token": token}}}}))
            """
        )
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}}
    with KubeServer(token="first") as srv:
        srv.seed_state(sample_objects())
        path = kubeconfig(
            tmp_path / "exec.yaml", {"ctx": {"server": srv.url, "user": user, "namespace": "demo"}}, "ctx"
        )
        connection = cluster.connect(args(kubeconfig=str(path)), ["Pod"])
        collector = Collector()
        try:
            collector.subscribe(connection.events)
            assert collector.wait_for(lambda c: "Pod" in c.state.listed)
            srv.token = "second"  # the credential expired: the plugin now hands out another one
            token_file.write_text("second")
            srv.drop_watches()
            srv.put("Pod", {"metadata": {"name": "after-rotation", "namespace": "demo"}})
            assert collector.wait_for(lambda c: ("demo", "after-rotation") in c.state.of_kind("Pod"))
        finally:
            connection.close()
        assert any(r.user is None for r in srv.requests)  # a 401 happened, then the refresh fixed it


def test_client_certificate_and_ca_bundle(tmp_path: Path, tls: TlsFiles) -> None:
    with KubeServer(tls=tls, client_cert_auth=True) as srv:
        # relative paths resolve against the kubeconfig's directory, as kubectl does
        for name, source in (("ca.crt", tls.ca_cert), ("client.crt", tls.client_cert), ("client.key", tls.client_key)):
            (tmp_path / name).write_bytes(Path(source).read_bytes())
        user = {"client-certificate": "client.crt", "client-key": "client.key"}
        path = kubeconfig(
            tmp_path / "tls.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority": "ca.crt"}, "user": user}},
            "ctx",
        )
        assert cluster.cluster_info(args(kubeconfig=str(path))).server_version == "v1.36.0"
        assert srv.requests[-1].user == "alice"  # the server saw the client certificate
        no_cert = kubeconfig(
            tmp_path / "nocert.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority": "ca.crt"}}},
            "ctx",
        )
        with pytest.raises(UserError, match="401 Unauthorized"):
            cluster.cluster_info(args(kubeconfig=str(no_cert)))


def test_ca_data_insecure_and_wrong_ca(tmp_path: Path, tls: TlsFiles) -> None:
    with KubeServer(tls=tls) as srv:
        srv.seed_state(sample_objects())
        ca_data = base64.b64encode(Path(tls.ca_cert).read_bytes()).decode()
        good = kubeconfig(
            tmp_path / "data.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority-data": ca_data}}},
            "ctx",
        )
        assert cluster.cluster_info(args(kubeconfig=str(good))).server_version == "v1.36.0"
        insecure = kubeconfig(
            tmp_path / "insecure.yaml",
            {"ctx": {"server": srv.url, "cluster": {"insecure-skip-tls-verify": True}}},
            "ctx",
        )
        assert cluster.cluster_info(args(kubeconfig=str(insecure))).server_version == "v1.36.0"
        wrong = kubeconfig(
            tmp_path / "wrong.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority": tls.other_ca_cert}}},
            "ctx",
        )
        with pytest.raises(UserError) as error:
            cluster.connect(args(kubeconfig=str(wrong)), ALL_KINDS)
        message = str(error.value)
        assert "TLS handshake" in message and "certificate verify failed" in message and "\n" not in message
        assert "certificate-authority" in message
        name = kubeconfig(
            tmp_path / "name.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority": tls.ca_cert, "tls-server-name": "nope"}}},
            "ctx",
        )
        with pytest.raises(UserError, match="TLS handshake"):
            cluster.cluster_info(args(kubeconfig=str(name)))


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    with KubeServer() as srv:
        url = srv.url
    path = kubeconfig(tmp_path / "c.yaml", {"ctx": {"server": url}}, "ctx")
    with pytest.raises(UserError) as error:
        cluster.connect(args(kubeconfig=str(path)), ALL_KINDS)
    assert str(error.value) == (
        f'connection to {url} refused; is the cluster running, and is context "ctx" the right one? '
        "(kubectl config get-contexts)"
    )


# ------------------------------------------------------------------------------------------------------ pre-flight


def test_grove_not_installed_is_an_error(tmp_path: Path) -> None:
    with KubeServer(installed=["Pod", "Node", "Event"]) as srv:
        path = kubeconfig(tmp_path / "c.yaml", {"ctx": {"server": srv.url}}, "ctx")
        with pytest.raises(UserError) as error:
            cluster.connect(args(kubeconfig=str(path)), ALL_KINDS)
        assert str(error.value) == "Grove is not installed in this cluster: podcliquesets.grove.io not found"
        assert error.value.exit_code == 1
        connection = cluster.connect(args(kubeconfig=str(path)), ["Pod", "Node"])  # no Grove kind asked for
        connection.close()


def test_optional_kinds_missing_are_reported_not_watched(tmp_path: Path) -> None:
    installed = [k for k in ALL_KINDS if k not in ("PodGang", "ClusterTopologyBinding")]
    with KubeServer(installed=installed) as srv:
        srv.seed_state(sample_objects())
        path = kubeconfig(tmp_path / "c.yaml", {"ctx": {"server": srv.url, "namespace": "demo"}}, "ctx")
        before = len(srv.requests)
        connection = cluster.connect(args(kubeconfig=str(path)), ALL_KINDS)
        assert [r.path for r in srv.requests[before:]] == ["/apis", "/version"]  # one discovery call
        assert connection.scope.origin == "live" and connection.scope.namespace == "demo"
        assert connection.scope.context == "ctx" and connection.settle_timeout == 5.0
        assert (connection.user, connection.server_version) == ("ctx-user", "v1.36.0")
        collector = Collector()
        try:
            collector.subscribe(connection.events)
            assert collector.wait_for(lambda c: {"Pod", "PodClique", "Node"} <= c.state.listed)
        finally:
            connection.close()
        assert collector.health("PodGang") is SourceStatus.NOT_INSTALLED
        assert collector.state.sources["ClusterTopologyBinding"].message == (
            "clustertopologybindings.grove.io is not installed in this cluster"
        )
        assert not any("podgangs" in r.path or "clustertopologybindings" in r.path for r in srv.requests)


def test_load_state_from_the_live_cluster_with_a_forbidden_kind(tmp_path: Path) -> None:
    with KubeServer(forbidden={"Node": "readonly"}) as srv:
        srv.seed_state(sample_objects())
        path = kubeconfig(tmp_path / "c.yaml", {"ctx": {"server": srv.url}}, "ctx")
        state, scope = load_state(args(kubeconfig=str(path), all_namespaces=True), ALL_KINDS)
        assert scope.namespace is None and scope.origin == "live"
        assert state.count("Pod") == 4 and state.count("PodClique") == 2
        assert state.sources["Node"].status is SourceStatus.FORBIDDEN
        assert 'User "readonly" cannot list resource "nodes"' in state.sources["Node"].message

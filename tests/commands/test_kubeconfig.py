"""The kubeconfig read without the Kubernetes client: inline certificates, exec plugins, in-cluster, errors, and the
proof that a live read imports neither the client package nor structlog when nothing is logged."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grove.commands import cluster, kubeconfig
from grove.commands.errors import UserError
from tests.commands import test_cluster
from tests.commands.test_cluster import args
from tests.commands.test_cluster import kubeconfig as write_kubeconfig
from tests.support.kube_server import KubeServer, TlsFiles, sample_objects
from tests.support.kube_server import write_kubeconfig as simple_config

ROOT = Path(__file__).resolve().parents[2]

# the cluster tests' fixtures: a TLS CA with server and client certificates; no kubeconfig, proxy or in-cluster
# setting of the machine leaks into a test
tls = test_cluster.tls
clean_env = test_cluster.clean_env


def b64(path: str | Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()


def plugin(path: Path, body: str) -> Path:
    """An executable exec credential plugin written in Python."""
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def credential(status: dict[str, Any], api: str = "client.authentication.k8s.io/v1") -> str:
    return json.dumps({"apiVersion": api, "kind": "ExecCredential", "status": status})


def test_inline_client_certificate_and_ca_data_reach_the_server(tmp_path: Path, tls: TlsFiles) -> None:
    with KubeServer(tls=tls, client_cert_auth=True) as srv:
        user = {"client-certificate-data": b64(tls.client_cert), "client-key-data": b64(tls.client_key)}
        path = write_kubeconfig(
            tmp_path / "inline.yaml",
            {"ctx": {"server": srv.url, "cluster": {"certificate-authority-data": b64(tls.ca_cert)}, "user": user}},
            "ctx",
        )
        access = cluster.access_from_args(args(kubeconfig=str(path)))
        assert access.ca_file is None and access.ca_data == Path(tls.ca_cert).read_text()
        assert access.cert_file and Path(access.cert_file).read_bytes() == Path(tls.client_cert).read_bytes()
        assert stat.S_IMODE(os.stat(access.cert_file).st_mode) == 0o600
        assert cluster.cluster_info(args(kubeconfig=str(path)), access).server_version == "v1.36.0"
        assert srv.requests[-1].user == "alice"
    kubeconfig._remove_temp_files()
    assert access.key_file is not None and not Path(access.cert_file).exists() and not Path(access.key_file).exists()


def test_exec_plugin_gets_its_env_and_cluster_info_and_may_answer_a_certificate(tmp_path: Path, tls: TlsFiles) -> None:
    seen = tmp_path / "exec-info.json"
    script = f"""\
        import json, os, pathlib
        pathlib.Path({str(seen)!r}).write_text(json.dumps({{"info": json.loads(os.environ["KUBERNETES_EXEC_INFO"]),
                                                          "region": os.environ.get("REGION"), "cwd": os.getcwd()}}))
        print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {{
            "clientCertificateData": pathlib.Path({tls.client_cert!r}).read_text(),
            "clientKeyData": pathlib.Path({tls.client_key!r}).read_text()}}}}))
        """
    (tmp_path / "bin").mkdir()
    plugin(tmp_path / "bin" / "get-cert", script)
    with KubeServer(tls=tls, client_cert_auth=True) as srv:
        user = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "./bin/get-cert",  # relative to the kubeconfig's directory, as kubectl resolves it
                "args": [],
                "env": [{"name": "REGION", "value": "eu-1"}],
                "provideClusterInfo": True,
                "interactiveMode": "Never",
            }
        }
        extension = [{"name": "client.authentication.k8s.io/exec", "extension": {"audience": "grove"}}]
        path = write_kubeconfig(
            tmp_path / "exec.yaml",
            {
                "ctx": {
                    "server": srv.url,
                    "cluster": {"certificate-authority": tls.ca_cert, "extensions": extension},
                    "user": user,
                }
            },
            "ctx",
        )
        assert cluster.cluster_info(args(kubeconfig=str(path))).server_version == "v1.36.0"
        assert srv.requests[-1].user == "alice"
    recorded = json.loads(seen.read_text())
    assert recorded["region"] == "eu-1" and recorded["cwd"] == str(tmp_path)
    info = recorded["info"]
    assert (info["apiVersion"], info["kind"], info["spec"]["interactive"]) == (
        "client.authentication.k8s.io/v1",
        "ExecCredential",
        False,
    )
    assert info["spec"]["cluster"]["server"] == srv.url and info["spec"]["cluster"]["config"] == {"audience": "grove"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "import sys; sys.stderr.write('expired session\\n'); sys.exit(3)",
            r"failed \(exit 3\): expired session \(run aws sso login\)",
        ),
        ("print('not json')", "did not print an ExecCredential"),
        (
            f"print({credential({'token': 't'}, api='client.authentication.k8s.io/v1beta1')!r})",
            "answered client.authentication.k8s.io/v1beta1",
        ),
        (f"print({credential({})!r})", "neither a token nor a client certificate"),
    ],
)
def test_a_failing_exec_plugin_is_one_line(tmp_path: Path, body: str, message: str) -> None:
    plugin(tmp_path / "cred", body + "\n")
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(tmp_path / "cred"),
            "installHint": "run aws sso login",
        }
    }
    path = write_kubeconfig(tmp_path / "k.yaml", {"ctx": {"server": "https://127.0.0.1:1", "user": user}}, "ctx")
    with pytest.raises(UserError, match=message) as error:
        cluster.access_from_args(args(kubeconfig=str(path)))
    assert "\n" not in str(error.value)


def test_a_missing_exec_plugin_says_how_to_install_it(tmp_path: Path) -> None:
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "no-such-plugin-here",
            "installHint": "install it",
        }
    }
    path = write_kubeconfig(tmp_path / "k.yaml", {"ctx": {"server": "https://127.0.0.1:1", "user": user}}, "ctx")
    with pytest.raises(UserError, match=r"credential plugin no-such-plugin-here cannot run: .*\(install it\)"):
        cluster.access_from_args(args(kubeconfig=str(path)))


def test_token_file_and_basic_auth_and_refresh_rereads_the_file(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    path = write_kubeconfig(
        tmp_path / "k.yaml", {"ctx": {"server": "https://a:1", "user": {"tokenFile": "token"}}}, "ctx"
    )
    access = cluster.access_from_args(args(kubeconfig=str(path)))
    assert access.headers == {"Authorization": "Bearer one"}
    token.write_text("two")
    assert access.refresh_headers is not None and access.refresh_headers() == {"Authorization": "Bearer two"}
    basic = write_kubeconfig(
        tmp_path / "b.yaml", {"ctx": {"server": "https://a:1", "user": {"username": "ann", "password": "pw"}}}, "ctx"
    )
    assert cluster.access_from_args(args(kubeconfig=str(basic))).headers == {
        "Authorization": "Basic " + base64.b64encode(b"ann:pw").decode()
    }


def test_a_context_naming_an_undefined_cluster_or_user(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: real, cluster: {server: 'https://a:1'}}]\n"
        "contexts: [{name: c, context: {cluster: gone, user: me}}, {name: d, context: {cluster: real, user: nobody}}]\n"
    )
    with pytest.raises(UserError, match='context "c" names cluster "gone", which is not defined'):
        cluster.access_from_args(args(kubeconfig=str(path)))
    with pytest.raises(UserError, match='context "d" names user "nobody", which is not defined'):
        cluster.access_from_args(args(kubeconfig=str(path), context="d"))
    path.write_text("clusters: {a: 1}\n")
    with pytest.raises(UserError, match=r"invalid kubeconfig .*k\.yaml: clusters is not a list"):
        cluster.access_from_args(args(kubeconfig=str(path)))


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_an_auth_provider_user_goes_through_the_client_package(tmp_path: Path) -> None:
    id_token = _jwt({"exp": int(time.time()) + 3600, "iss": "https://issuer.example"})
    user = {
        "auth-provider": {
            "name": "oidc",
            "config": {"id-token": id_token, "idp-issuer-url": "https://issuer.example", "client-id": "x"},
        }
    }
    path = write_kubeconfig(
        tmp_path / "k.yaml", {"ctx": {"server": "https://a:1", "user": user, "namespace": "ns"}}, "ctx"
    )
    access = cluster.access_from_args(args(kubeconfig=str(path)))
    assert access.headers == {"Authorization": f"Bearer {id_token}"}
    assert (access.server, access.context, access.namespace) == ("https://a:1", "ctx", "ns")


def test_in_cluster_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: TlsFiles) -> None:
    secrets = tmp_path / "sa"
    secrets.mkdir()
    (secrets / "token").write_text("sa-token-1")
    (secrets / "ca.crt").write_bytes(Path(tls.ca_cert).read_bytes())
    (secrets / "namespace").write_text("grove-system")
    monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_DIR", secrets)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    access = cluster.access_from_args(args())
    assert (access.server, access.namespace, access.ca_file) == (
        "https://10.96.0.1:443",
        "grove-system",
        str(secrets / "ca.crt"),
    )
    assert access.headers == {"Authorization": "Bearer sa-token-1"}
    (secrets / "token").write_text("sa-token-2")  # bound tokens rotate: a 401 reads the file again
    assert access.refresh_headers is not None and access.refresh_headers() == {"Authorization": "Bearer sa-token-2"}
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert cluster.access_from_args(args()).server == "https://[fd00::1]:443"


def test_a_live_read_imports_neither_the_client_package_nor_structlog(tmp_path: Path) -> None:
    """The start-up a live command pays before its first request: no ``kubernetes`` (~0.4 s), no structlog (~0.1 s)
    while nothing is logged; with --debug structlog is set up and logs to stderr."""
    probe = (
        "import sys\nfrom grove.commands.main import main\ncode = main(sys.argv[1:])\nsys.stdout.flush()\n"
        "print('MODULES', 'kubernetes' in sys.modules, 'structlog' in sys.modules, file=sys.stderr)\nsys.exit(code)\n"
    )
    with KubeServer() as srv:
        srv.seed_state(sample_objects())
        config = simple_config(tmp_path / "config", srv.url, namespace="demo")
        env = {**os.environ, "KUBECONFIG": str(config), "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
        quiet = subprocess.run(
            [sys.executable, "-c", probe, "status"], env=env, capture_output=True, text=True, check=False
        )
        debug = subprocess.run(
            [sys.executable, "-c", probe, "status", "--debug"], env=env, capture_output=True, text=True, check=False
        )
    assert quiet.returncode == 0, quiet.stderr
    assert "MODULES False False" in quiet.stderr and "NAME" in quiet.stdout.upper()
    assert debug.returncode == 0, debug.stderr
    assert "MODULES False True" in debug.stderr and "listed" in debug.stderr and "listed" not in debug.stdout

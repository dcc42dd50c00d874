"""The kubeconfig read the way kubectl reads it, without the Kubernetes client package.

Importing the ``kubernetes`` package costs ~0.4 s (its generated client pulls in pydantic), and every live command
starts by resolving the kubeconfig, before a single list can be asked for. This module handles what kubeconfigs hold
in practice: the files merged (first definition of a name wins, ``current-context`` from the first file that sets
one), paths relative to the file that names them, CA bundles (file or inline data), ``insecure-skip-tls-verify``,
``tls-server-name``, ``proxy-url``, bearer tokens, token files, client certificates (files or inline data) and exec
credential plugins (client.authentication.k8s.io ExecCredential: a token or a client certificate). A user with a
legacy ``auth-provider`` (gcp, azure, oidc) is left to the package: ``needs_client_package`` says so.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml

from grove.commands.errors import UserError


@attrs.frozen
class Entry:
    """One named cluster, user or context body, and the directory its relative paths resolve against."""

    body: Mapping[str, Any]
    base: Path


@attrs.frozen
class KubeConfig:
    """The merged kubeconfig files."""

    files: tuple[str, ...]
    current_context: str | None
    contexts: Mapping[str, Entry]
    clusters: Mapping[str, Entry]
    users: Mapping[str, Entry]


@attrs.frozen
class Credentials:
    """What a user entry resolves to: request headers and, for certificate auth, the PEM files."""

    headers: Mapping[str, str]
    cert_file: str | None = None
    key_file: str | None = None


def _load_yaml(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def _named(entries: Any, field: str, path: str) -> dict[str, Mapping[str, Any]]:
    """``[{name: N, <field>: {...}}, ...]`` → {N: {...}}, the first of a repeated name kept."""
    out: dict[str, Mapping[str, Any]] = {}
    if entries is None:
        return out
    if not isinstance(entries, list):
        raise UserError(f"invalid kubeconfig {path}: {field}s is not a list")
    for item in entries:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise UserError(f"invalid kubeconfig {path}: an entry of {field}s has no name")
        body = item.get(field)
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise UserError(f"invalid kubeconfig {path}: {field} {item['name']!r} is not a mapping")
        out.setdefault(item["name"], body)
    return out


def read_kubeconfig(files: Sequence[str]) -> KubeConfig:
    """Merge ``files`` (in precedence order) as kubectl does."""
    current: str | None = None
    merged: dict[str, dict[str, Entry]] = {"context": {}, "cluster": {}, "user": {}}
    for path in files:
        try:
            doc = _load_yaml(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"invalid kubeconfig {path}: {reason}") from None
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise UserError(f"invalid kubeconfig {path}: not a mapping")
        base = Path(path).resolve().parent
        for field, entries in merged.items():
            for name, body in _named(doc.get(field + "s"), field, path).items():
                entries.setdefault(name, Entry(body, base))
        if current is None and doc.get("current-context"):
            current = str(doc["current-context"])
    return KubeConfig(tuple(files), current, merged["context"], merged["cluster"], merged["user"])


def needs_client_package(user: Mapping[str, Any]) -> bool:
    """A legacy ``auth-provider`` (gcp, azure, oidc): the Kubernetes client package knows those."""
    return bool(user.get("auth-provider"))


def resolve_path(value: Any, base: Path) -> str:
    """A path from the kubeconfig: ``~`` expanded, relative ones against the file's directory."""
    path = Path(os.path.expanduser(str(value)))
    return str(path if path.is_absolute() else base / path)


def decode_data(value: Any, what: str) -> bytes:
    """Inline ``*-data`` fields are base64 of the PEM."""
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        raise UserError(f"invalid kubeconfig: {what} is not base64") from None


_TEMP_FILES: list[str] = []


def _remove_temp_files() -> None:
    for path in _TEMP_FILES:
        with contextlib.suppress(OSError):
            os.unlink(path)
    _TEMP_FILES.clear()


def temp_pem(data: bytes) -> str:
    """A private temporary file holding ``data`` (TLS libraries load client certificates from files); removed at
    exit."""
    if not _TEMP_FILES:
        atexit.register(_remove_temp_files)
    fd, path = tempfile.mkstemp(prefix="kubectl-grove-", suffix=".pem")
    _TEMP_FILES.append(path)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def _pem(entry: Entry, file_key: str, data_key: str, what: str) -> str | None:
    body = entry.body
    if body.get(data_key):
        return temp_pem(decode_data(body[data_key], f"{what} ({data_key})"))
    if body.get(file_key):
        path = resolve_path(body[file_key], entry.base)
        if not os.path.isfile(path):
            raise UserError(f"invalid kubeconfig: {file_key} {path} not found")
        return path
    return None


def user_credentials(user: Entry, cluster: Entry) -> Credentials:
    """Headers and client certificate of a user entry; runs its exec plugin when it has one."""
    body = user.body
    headers: dict[str, str] = {}
    cert_file = _pem(user, "client-certificate", "client-certificate-data", "the client certificate")
    key_file = _pem(user, "client-key", "client-key-data", "the client key")
    token = body.get("token")
    if not token and body.get("tokenFile"):
        path = resolve_path(body["tokenFile"], user.base)
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"invalid kubeconfig: cannot read tokenFile {path}: {exc.strerror or exc}") from None
    if not token and body.get("username") and body.get("password") is not None:
        pair = f"{body['username']}:{body['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    exec_config = body.get("exec")
    if isinstance(exec_config, Mapping):
        from_plugin = run_exec_plugin(exec_config, user.base, cluster)
        token = from_plugin.headers.get("Authorization", "").removeprefix("Bearer ") or token
        cert_file, key_file = from_plugin.cert_file or cert_file, from_plugin.key_file or key_file
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Credentials(headers, cert_file, key_file)


def _exec_command(command: str, base: Path) -> str:
    """A command with a path separator is relative to the kubeconfig's directory (as kubectl resolves it); a bare
    name is looked up on PATH."""
    if os.sep in command or (os.altsep and os.altsep in command):
        return resolve_path(command, base)
    return shutil.which(command) or command


def run_exec_plugin(config: Mapping[str, Any], base: Path, cluster: Entry) -> Credentials:
    """Run a client.authentication.k8s.io exec plugin and read its ExecCredential."""
    command, api_version = config.get("command"), config.get("apiVersion")
    if not command or not api_version:
        raise UserError("invalid kubeconfig: an exec plugin needs command and apiVersion")
    interactive = sys.stdin.isatty() and config.get("interactiveMode") != "Never"
    spec: dict[str, Any] = {"interactive": interactive}
    if config.get("provideClusterInfo"):
        info = dict(cluster.body)
        for extension in info.get("extensions") or ():
            if isinstance(extension, Mapping) and extension.get("name") == "client.authentication.k8s.io/exec":
                info["config"] = extension.get("extension")
        spec["cluster"] = info
    env = dict(os.environ)
    for item in config.get("env") or ():
        if isinstance(item, Mapping) and item.get("name"):
            env[str(item["name"])] = str(item.get("value", ""))
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "spec": spec})
    argv = [_exec_command(str(command), base), *(str(a) for a in config.get("args") or ())]
    hint = f" ({config['installHint']})" if config.get("installHint") else ""
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None if interactive else subprocess.PIPE,
            cwd=base,
            check=False,
        )
    except OSError as exc:
        raise UserError(
            f"the kubeconfig's credential plugin {command} cannot run: {exc.strerror or exc}{hint}"
        ) from None
    if done.returncode != 0:
        detail = (done.stderr or b"").decode(errors="replace").strip().splitlines()
        raise UserError(
            f"the kubeconfig's credential plugin {command} failed (exit {done.returncode})"
            + (f": {detail[-1]}" if detail else "")
            + hint
        )
    try:
        answer = json.loads(done.stdout)
        status = answer["status"]
        if answer.get("kind") != "ExecCredential" or not isinstance(status, Mapping):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise UserError(f"the kubeconfig's credential plugin {command} did not print an ExecCredential") from None
    if answer.get("apiVersion") != api_version:
        raise UserError(
            f"the kubeconfig's credential plugin {command} answered {answer.get('apiVersion')}, "
            f"the kubeconfig asks for {api_version}"
        )
    headers = {"Authorization": f"Bearer {status['token']}"} if status.get("token") else {}
    cert = key = None
    if status.get("clientCertificateData") and status.get("clientKeyData"):
        cert = temp_pem(str(status["clientCertificateData"]).encode())
        key = temp_pem(str(status["clientKeyData"]).encode())
    if not headers and cert is None:
        raise UserError(f"the kubeconfig's credential plugin {command} gave neither a token nor a client certificate")
    return Credentials(headers, cert, key)

"""Reaching the cluster: kubeconfig resolution (as kubectl does it), pre-flight checks, and the live connection.

The kubeconfig is read by ``grove.commands.kubeconfig`` (the ``kubernetes`` package only for a legacy
``auth-provider`` user: it is slow to import); what it resolves becomes a plain ``ClusterAccess`` that the live source
in ``grove.events.kube`` uses with urllib3. This module is imported lazily (only when a command talks to a cluster).
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from grove.commands.errors import UsageError, UserError
from grove.commands.kubeconfig import (
    Entry,
    KubeConfig,
    decode_data,
    needs_client_package,
    read_kubeconfig,
    resolve_path,
    user_credentials,
)
from grove.commands.source import Scope
from grove.events.access import ClusterAccess
from grove.events.kinds import KINDS
from grove.events.kube import (
    ApiError,
    Forbidden,
    Http,
    LiveSource,
    TransportError,
    Unauthorized,
    discover_api,
    server_version,
)
from grove.events.kube.logging import log

NO_KUBECONFIG = "no kubeconfig: set KUBECONFIG or pass --kubeconfig, or use --replay FILE"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")  # token, ca.crt, namespace

DEFAULT_SOURCE_OPTIONS: dict[str, Any] = {}
"""Extra ``LiveSource`` keyword arguments for every connection (tests shorten the timeouts here)."""


@attrs.frozen
class ClusterInfo:
    """Who and where: for the TUI header, ``record`` headers and messages."""

    context: str | None
    cluster: str | None
    user: str | None
    server: str
    namespace: str  # the context's namespace (or "default")
    server_version: str = ""


@attrs.frozen
class LiveConnection:
    """What ``grove.commands.source`` needs from a live cluster (see ``_load_live`` and ``live_stream``)."""

    events: Any  # reactivex Observable[Event]
    scope: Scope
    server: str
    settle_timeout: float
    close: Callable[[], None]
    info: ClusterInfo
    source: LiveSource
    kinds: tuple[str, ...]  # every kind asked for (the watched ones and those reported NOT_INSTALLED)

    @property
    def context(self) -> str | None:
        return self.info.context

    @property
    def user(self) -> str | None:
        return self.info.user

    @property
    def server_version(self) -> str:
        return self.info.server_version


# ------------------------------------------------------------------------------------------------------ durations


def parse_timeout(text: str | None, flag: str = "--request-timeout", default: float = 30.0) -> float:
    """``30s``, ``1m``, ``2m30s`` or plain seconds; ``0`` means no timeout (returned as 0.0)."""
    if text is None or not str(text).strip():
        return default
    text = str(text).strip()
    try:
        seconds = float(text)
    except ValueError:
        from grove.reducers.fields import parse_duration

        seconds = parse_duration(text, -1.0)
    if seconds < 0:
        raise UsageError(f"{flag} {text!r} is not a duration (use e.g. 30s, 1m or 2m30s)")
    return seconds


# ------------------------------------------------------------------------------------------------------ kubeconfig


def kubeconfig_files(kubeconfig: str | None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The kubeconfig files kubectl would read, in precedence order (only existing, non-empty files)."""
    env = os.environ if environ is None else environ
    if kubeconfig:
        path = os.path.expanduser(kubeconfig)
        if not os.path.isfile(path):
            raise UserError(f"kubeconfig {kubeconfig} not found (from --kubeconfig)")
        return [path]
    listed = env.get("KUBECONFIG", "")
    if listed:
        candidates = [os.path.expanduser(p) for p in listed.split(os.pathsep) if p]
    else:
        candidates = [os.path.join(os.path.expanduser("~"), ".kube", "config")]
    files: list[str] = []
    for path in candidates:
        if path in files or not os.path.isfile(path):
            continue
        try:
            if not Path(path).read_text(encoding="utf-8").strip():
                continue
        except OSError as exc:
            raise UserError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
        files.append(path)
    return files


def _headers_of(configuration: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    value = configuration.get_api_key_with_prefix("BearerToken")  # runs the refresh hook (expired exec tokens)
    if value:
        headers["Authorization"] = str(value)
    return headers


def _env_proxy(server: str) -> str | None:
    """HTTPS_PROXY/HTTP_PROXY/NO_PROXY as Go's net/http reads them (loopback never goes through a proxy)."""
    parts = urllib.parse.urlsplit(server)
    host = parts.hostname or ""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme or "https")
    if not proxy or _no_proxy(host, proxies.get("no", "")):
        return None
    return proxy


def _no_proxy(host: str, no_proxy: str) -> bool:
    """NO_PROXY entries: ``*``, exact hosts, and domain suffixes (``.corp.example`` or ``corp.example``)."""
    host = host.lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split(":", 1)[0] if entry.count(":") == 1 else entry
        domain = entry.lstrip(".")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _access_from(
    configuration: Any,
    *,
    context: str | None,
    cluster: str | None,
    user: str | None,
    namespace: str,
    request_timeout: float,
    refresh: Callable[[], Mapping[str, str]] | None,
) -> ClusterAccess:
    server = str(configuration.host or "").rstrip("/")
    return ClusterAccess(
        server=server,
        headers=_headers_of(configuration),
        ca_file=configuration.ssl_ca_cert or None,
        cert_file=configuration.cert_file or None,
        key_file=configuration.key_file or None,
        verify=bool(configuration.verify_ssl),
        tls_server_name=getattr(configuration, "tls_server_name", None) or None,
        proxy=getattr(configuration, "proxy", None) or _env_proxy(server),
        context=context,
        cluster=cluster,
        user=user,
        namespace=namespace,
        request_timeout=request_timeout,
        refresh_headers=refresh,
    )


def resolve_access(
    kubeconfig: str | None = None,
    context: str | None = None,
    request_timeout: float = 30.0,
    environ: Mapping[str, str] | None = None,
) -> ClusterAccess:
    """Resolve the kubeconfig like kubectl: ``--kubeconfig``, else the ``KUBECONFIG`` list (merged, first file wins
    for each name and for ``current-context``), else ``~/.kube/config``; in a pod without any, the service account."""
    env = os.environ if environ is None else environ
    files = kubeconfig_files(kubeconfig, env)
    if not files:
        if env.get("KUBERNETES_SERVICE_HOST") and env.get("KUBERNETES_SERVICE_PORT"):
            return _in_cluster_access(env, request_timeout)
        raise UserError(NO_KUBECONFIG)
    config = read_kubeconfig(files)
    available = ", ".join(config.contexts) if config.contexts else "none"
    context = context or config.current_context
    if context is None:
        raise UserError(f"the kubeconfig sets no current context: pass --context (available: {available})")
    if context not in config.contexts:
        raise UserError(f'context "{context}" not found in the kubeconfig (available: {available})')
    ctx = config.contexts[context].body
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    cluster_entry = config.clusters.get(str(cluster_name))
    if cluster_entry is None:
        raise UserError(f'invalid kubeconfig: context "{context}" names cluster "{cluster_name}", which is not defined')
    user_entry = config.users.get(str(user_name)) if user_name else None
    if user_name and user_entry is None:
        raise UserError(f'invalid kubeconfig: context "{context}" names user "{user_name}", which is not defined')
    user_entry = user_entry or Entry({}, cluster_entry.base)
    namespace = str(ctx.get("namespace") or "default")
    if needs_client_package(user_entry.body):
        return _access_through_client(config, context, namespace, request_timeout)
    cluster = cluster_entry.body
    server = str(cluster.get("server") or "").rstrip("/")
    if not server:
        raise UserError(f'invalid kubeconfig: the cluster of context "{context}" has no server')
    ca_data = cluster.get("certificate-authority-data")
    ca_file = None if ca_data else cluster.get("certificate-authority")
    if ca_file:
        ca_file = resolve_path(ca_file, cluster_entry.base)
        if not os.path.isfile(ca_file):
            raise UserError(f"invalid kubeconfig: certificate-authority {ca_file} not found")
    credentials = user_credentials(user_entry, cluster_entry)

    def refresh() -> Mapping[str, str]:
        """Read the user's credentials again: re-runs exec plugins, re-reads token files."""
        return user_credentials(user_entry, cluster_entry).headers

    return ClusterAccess(
        server=server,
        headers=credentials.headers,
        ca_file=ca_file,
        ca_data=decode_data(ca_data, "certificate-authority-data").decode(errors="replace") if ca_data else None,
        cert_file=credentials.cert_file,
        key_file=credentials.key_file,
        verify=not cluster.get("insecure-skip-tls-verify"),
        tls_server_name=str(cluster.get("tls-server-name") or "") or None,
        proxy=str(cluster.get("proxy-url") or "") or _env_proxy(server),
        context=context,
        cluster=str(cluster_name),
        user=str(user_name) if user_name else None,
        namespace=namespace,
        request_timeout=request_timeout,
        refresh_headers=refresh,
    )


def _kubernetes_config() -> tuple[Any, type[Exception]]:
    """The client's Configuration class and ConfigException (imported lazily: the client is slow to import)."""
    client: Any = importlib.import_module("kubernetes.client")
    errors: Any = importlib.import_module("kubernetes.config.config_exception")
    return client.Configuration, errors.ConfigException


def _access_through_client(config: KubeConfig, context: str, namespace: str, request_timeout: float) -> ClusterAccess:
    """A user with a legacy ``auth-provider``: the Kubernetes client package resolves it."""
    Configuration, ConfigException = _kubernetes_config()
    kube_config: Any = importlib.import_module("kubernetes.config.kube_config")
    merger: Any = None
    for path in config.files:
        if merger is None:
            merger = kube_config.KubeConfigMerger(path)
        else:
            merger.load_config(path)

    def load() -> tuple[Any, Any]:
        loader = kube_config.KubeConfigLoader(config_dict=merger.config, active_context=context, config_base_path=None)
        configuration = Configuration()
        loader.load_and_set(configuration)
        return loader, configuration

    try:
        loader, configuration = load()
    except ConfigException as exc:
        raise UserError(f'invalid kubeconfig (context "{context}"): {exc}') from None
    except OSError as exc:
        raise UserError(f'invalid kubeconfig (context "{context}"): {exc.strerror or exc}') from None
    if not configuration.host:
        raise UserError(f'invalid kubeconfig: the cluster of context "{context}" has no server')

    def refresh() -> Mapping[str, str]:
        fresh = Configuration()
        loader.load_and_set(fresh)
        return _headers_of(fresh)

    ctx = loader.current_context.get("context") or {}
    return _access_from(
        configuration,
        context=context,
        cluster=ctx.get("cluster"),
        user=ctx.get("user"),
        namespace=namespace,
        request_timeout=request_timeout,
        refresh=refresh,
    )


def _in_cluster_access(env: Mapping[str, str], request_timeout: float) -> ClusterAccess:
    """The pod's service account, as client-go's in-cluster config reads it (the token re-read on a 401: bound
    tokens rotate)."""
    host, port = env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]
    secrets = SERVICE_ACCOUNT_DIR

    def token_headers() -> Mapping[str, str]:
        try:
            token = (secrets / "token").read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"{NO_KUBECONFIG} (in-cluster configuration failed: {exc.strerror or exc})") from None
        return {"Authorization": f"Bearer {token}"} if token else {}

    if not (secrets / "ca.crt").is_file():
        raise UserError(f"{NO_KUBECONFIG} (in-cluster configuration failed: {secrets / 'ca.crt'} not found)")
    try:
        namespace = (secrets / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    address = f"[{host}]" if ":" in host else host
    return ClusterAccess(
        server=f"https://{address}:{port}",
        headers=token_headers(),
        ca_file=str(secrets / "ca.crt"),
        cluster="in-cluster",
        user="serviceaccount",
        namespace=namespace,
        request_timeout=request_timeout,
        refresh_headers=token_headers,
    )


def access_from_args(args: argparse.Namespace) -> ClusterAccess:
    return resolve_access(
        kubeconfig=getattr(args, "kubeconfig", None),
        context=getattr(args, "context", None),
        request_timeout=parse_timeout(getattr(args, "request_timeout", None)),
    )


def namespace_from_args(args: argparse.Namespace, access: ClusterAccess) -> str | None:
    """``-A`` → None (all); else ``-n``; else the context's namespace; else ``default``."""
    if getattr(args, "all_namespaces", False):
        return None
    return getattr(args, "namespace", None) or access.namespace or "default"


# ------------------------------------------------------------------------------------------------------ errors


def explain(exc: Exception, access: ClusterAccess) -> UserError:
    """One line for a failed request: what happened and what to do."""
    server = access.server
    context = f'context "{access.context}"' if access.context else "the current context"
    if isinstance(exc, Unauthorized):
        who = f'user "{access.user}"' if access.user else "the user"
        return UserError(
            f"the API server at {server} rejected the credentials of {who} (401 Unauthorized): "
            f"log in again or refresh the kubeconfig ({context})"
        )
    if isinstance(exc, Forbidden):
        return UserError(f"the API server at {server} refused: {exc.message}")
    if isinstance(exc, ApiError):
        return UserError(f"the API server at {server} answered {exc.status} {exc.reason}: {exc.message}".strip())
    if isinstance(exc, TransportError):
        hints = {
            "refused": f"is the cluster running, and is {context} the right one? (kubectl config get-contexts)",
            "dns": f"check the server address of {context} and your network/VPN",
            "tls": (
                "check certificate-authority and tls-server-name in the kubeconfig "
                "(insecure-skip-tls-verify only for test clusters)"
            ),
            "timeout": "check the network/VPN, or raise --request-timeout",
            "proxy": "check HTTPS_PROXY/NO_PROXY or the cluster's proxy-url",
        }
        hint = hints.get(exc.category, "check the network and the API server")
        return UserError(f"{exc.message}; {hint}")
    return UserError(str(exc))


# ------------------------------------------------------------------------------------------------------ pre-flight


CORE_GROVE_KINDS = tuple(k for k, info in KINDS.items() if info.group and not info.optional)


def preflight(access: ClusterAccess, kinds: Sequence[str], http: Http | None = None) -> dict[str, str]:
    """One discovery call. Core Grove CRDs missing → UserError; returns optional kinds not installed → message."""
    try:
        discovery = discover_api(access, http)
    except (ApiError, TransportError) as exc:
        raise explain(exc, access) from None
    for kind in CORE_GROVE_KINDS:
        if kind in kinds and not discovery.served.get(kind, False):
            info = KINDS[kind]
            others = discovery.versions.get(kind, ())
            detail = (
                f" (the cluster serves {info.group} {', '.join(others)}; this kubectl-grove reads {info.version})"
                if others
                else ""
            )
            raise UserError(f"Grove is not installed in this cluster: {info.crd_name} not found{detail}")
    missing: dict[str, str] = {}
    for kind in kinds:
        if not discovery.served.get(kind, True):
            info = KINDS[kind]
            missing[kind] = f"{info.crd_name} is not installed in this cluster"
    return missing


def cluster_info(args: argparse.Namespace, access: ClusterAccess | None = None) -> ClusterInfo:
    """Context, user, server and server version (one ``GET /version``), for headers and messages."""
    access = access or access_from_args(args)
    try:
        version = server_version(access)
    except (ApiError, TransportError) as exc:
        raise explain(exc, access) from None
    return ClusterInfo(access.context, access.cluster, access.user, access.server, access.namespace, version)


def connect(
    args: argparse.Namespace,
    kinds: Sequence[str],
    *,
    label_selector: str | None = None,
    cluster_wide: Sequence[str] = (),
    **source_options: Any,
) -> LiveConnection:
    """Resolve the kubeconfig, check the cluster (one discovery call, one version call) and set up the live source.

    The source starts when ``events`` is first subscribed to; ``close()`` stops it.
    """
    access = access_from_args(args)
    namespace = namespace_from_args(args, access)
    http = Http(access)
    try:
        not_installed = preflight(access, kinds, http)
        try:
            version = server_version(access, http)
        except (ApiError, TransportError) as exc:
            raise explain(exc, access) from None
    finally:
        http.close()
    options = {**DEFAULT_SOURCE_OPTIONS, **source_options}
    source = LiveSource(
        access,
        kinds,
        namespace=namespace,
        label_selector=label_selector or getattr(args, "selector", None),
        not_installed=not_installed,
        cluster_wide=cluster_wide,
        **options,
    )
    info = ClusterInfo(access.context, access.cluster, access.user, access.server, access.namespace, version)
    log.debug("connected", server=access.server, context=access.context, version=version, namespace=namespace)
    settle = parse_timeout(getattr(args, "request_timeout", None))
    return LiveConnection(
        events=source.events,
        scope=Scope(namespace=namespace, context=access.context, origin="live", label=access.context or access.server),
        server=access.server,
        settle_timeout=settle if settle > 0 else 365 * 86400.0,
        close=source.stop,
        info=info,
        source=source,
        kinds=tuple(kinds),
    )

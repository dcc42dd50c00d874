"""HTTP to one API server: credentials, TLS, keepalive, a 401 refresh; raw bytes decoded with orjson."""

from __future__ import annotations

import socket
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import urllib3

from grove import __version__
from grove.events.access import ClusterAccess
from grove.events.kinds import KindInfo
from grove.events.kube.errors import TransportError, api_error, transport_error
from grove.events.kube.logging import log

USER_AGENT = f"kubectl-grove/{__version__}"
_MAX_ERROR_BODY = 64 * 1024


def _socket_options() -> list[tuple[int, int, int]]:
    """TCP keepalive so a silently dead peer (VPN dropped) is noticed within about a minute."""
    options: list[tuple[int, int, int]] = list(urllib3.connection.HTTPConnection.default_socket_options or [])
    options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


class Http:
    """GET requests to one API server with the access's credentials; a 401 triggers one credential refresh."""

    def __init__(self, access: ClusterAccess, maxsize: int = 4) -> None:
        self.access = access
        self.server = access.server
        self._headers: dict[str, str] = dict(access.headers)
        self._generation = 0
        self._refresh_lock = threading.Lock()
        pool_kw: dict[str, Any] = {"maxsize": maxsize, "block": False, "socket_options": _socket_options()}
        if access.is_tls:
            if access.verify:
                pool_kw["cert_reqs"] = "CERT_REQUIRED"
                if access.ca_file:
                    pool_kw["ca_certs"] = access.ca_file
                if access.ca_data:
                    pool_kw["ca_cert_data"] = access.ca_data
                if access.tls_server_name:
                    pool_kw["server_hostname"] = access.tls_server_name
                    pool_kw["assert_hostname"] = access.tls_server_name
            else:
                pool_kw["cert_reqs"] = "CERT_NONE"
                pool_kw["assert_hostname"] = False
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            if access.cert_file:
                pool_kw["cert_file"] = access.cert_file
                pool_kw["key_file"] = access.key_file
        self._pool: urllib3.PoolManager
        if access.proxy:
            self._pool = urllib3.ProxyManager(access.proxy, num_pools=4, **pool_kw)
        else:
            self._pool = urllib3.PoolManager(num_pools=4, **pool_kw)

    def url(self, path: str, query: Mapping[str, str | int] | None = None) -> str:
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def open(
        self,
        path: str,
        query: Mapping[str, str | int] | None = None,
        *,
        timeout: urllib3.Timeout | float | None = None,
        accept: str = "application/json",
        gzip: bool = False,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None = None,
        method: str = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """A 2xx response, body not read yet (the caller reads and releases it); raises ApiError/TransportError.

        A write (``method`` other than GET) is never retried on a transport error: it may have reached the server.
        """
        url = self.url(path, query)
        if timeout is None:
            timeout = self.access.timeout
        for attempt in (0, 1):
            generation = self._generation
            headers = {**self._headers, "Accept": accept, "User-Agent": USER_AGENT}
            if gzip:
                headers["Accept-Encoding"] = "gzip"
            if content_type is not None:
                headers["Content-Type"] = content_type
            try:
                response = self._pool.request(
                    method,
                    url,
                    body=body,
                    headers=headers,
                    timeout=timeout,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                )
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_error(exc, self.server) from exc
            if 200 <= response.status < 300:
                if on_response is not None:
                    on_response(response)
                return response
            try:
                body = response.read(_MAX_ERROR_BODY)
            except (urllib3.exceptions.HTTPError, OSError):
                body = b""
            discard(response)
            if response.status == 401 and attempt == 0 and self._refresh(generation):
                continue
            raise api_error(response.status, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(
        self,
        path: str,
        query: Mapping[str, str | int] | None = None,
        *,
        accept: str = "application/json",
        gzip: bool = False,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None = None,
    ) -> Any:
        return self._json(self.get_bytes(path, query, accept=accept, gzip=gzip, on_response=on_response), path)

    def get_bytes(
        self,
        path: str,
        query: Mapping[str, str | int] | None = None,
        *,
        accept: str = "application/json",
        gzip: bool = False,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None = None,
    ) -> bytes:
        """The whole body of a 200 answer."""
        response = self.open(path, query, accept=accept, gzip=gzip, on_response=on_response)
        return self._read(response, on_response)

    def send_json(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        query: Mapping[str, str | int] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """A write (POST/PUT/PATCH/DELETE) with a JSON (or YAML-apply) body; the decoded answer."""
        response = self.open(path, query, method=method, body=body, content_type=content_type)
        return self._json(self._read(response, None), path)

    def _read(
        self,
        response: urllib3.BaseHTTPResponse,
        on_response: Callable[[urllib3.BaseHTTPResponse | None], None] | None,
    ) -> bytes:
        try:
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            discard(response)
            raise transport_error(exc, self.server) from exc
        else:
            response.release_conn()
        finally:
            if on_response is not None:
                on_response(None)
        return bytes(data)

    def _json(self, data: bytes, path: str) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise TransportError("protocol", f"{self.server}{path} answered with invalid JSON ({exc.msg})") from None

    def _refresh(self, generation: int) -> bool:
        """Fresh credentials after a 401 (one refresh for many threads); False when there is nothing to refresh."""
        refresher = self.access.refresh_headers
        if refresher is None:
            return False
        with self._refresh_lock:
            if self._generation != generation:
                return True  # another thread refreshed while this request was in flight
            try:
                fresh = dict(refresher())
            except Exception as exc:
                log.warning("credential refresh failed", error=str(exc))
                return False
            if fresh == self._headers:
                return False
            self._headers = fresh
            self._generation += 1
            log.info("credentials refreshed after 401")
            return True

    def close(self) -> None:
        self._pool.clear()


def discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close a response whose body was not read to the end (its connection must not be reused as is)."""
    try:
        response.close()
        response.release_conn()
    except Exception:
        pass


def resource_path(info: KindInfo, namespace: str | None) -> str:
    """The collection URL path of a kind (cluster-scoped kinds ignore the namespace)."""
    base = f"/api/{info.version}" if not info.group else f"/apis/{info.group}/{info.version}"
    if info.namespaced and namespace is not None:
        return f"{base}/namespaces/{urllib.parse.quote(namespace, safe='')}/{info.plural}"
    return f"{base}/{info.plural}"

"""What the API server (or the wire) said when a request failed: one exception class per answer a caller treats apart.

``ApiError.causes`` carries the ``Status.details.causes`` (a 422's field paths, a server-side apply's conflicts by
field and manager), so a write can say which field was refused and why.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import attrs
import orjson
import urllib3


@attrs.frozen
class Cause:
    """One entry of a Status's ``details.causes``: the field it is about, why, and the server's words."""

    field: str
    reason: str
    message: str


class ApiError(Exception):
    """The API server answered with an error status; ``message`` is its own words (a ``Status.message``)."""

    def __init__(self, status: int, reason: str, message: str, causes: tuple[Cause, ...] = ()) -> None:
        super().__init__(message or f"HTTP {status} {reason}")
        self.status = status
        self.reason = reason
        self.message = message or f"HTTP {status} {reason}"
        self.causes = causes


class Unauthorized(ApiError):
    """401: the credentials were rejected."""


class Forbidden(ApiError):
    """403: RBAC denies the request."""


class NotFound(ApiError):
    """404: the resource is not served (a CRD not installed), or the object does not exist."""


class Conflict(ApiError):
    """409: the object changed since it was read (a resourceVersion precondition), or a server-side apply conflict."""


class Gone(ApiError):
    """410: the resourceVersion (or continue token) is too old; re-list."""


class Invalid(ApiError):
    """422: the server's validation refused the object; ``causes`` name the fields."""


class TransportError(Exception):
    """No usable HTTP answer: refused, unreachable, TLS failure, timeout, dropped connection, garbage."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category  # refused | dns | tls | timeout | dropped | protocol | proxy
        self.message = message


_CLASSES: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
}
_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    422: "Invalid",
    429: "TooManyRequests",
}


def api_error(status: int, body: bytes) -> ApiError:
    """The exception for an error answer, from its ``Status`` body when there is one."""
    reason, message = "", ""
    causes: tuple[Cause, ...] = ()
    text = body.strip()
    if text.startswith(b"{"):
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            reason = str(decoded.get("reason") or "")
            message = str(decoded.get("message") or "")
            causes = _causes(decoded.get("details"))
    if not message:
        message = text.decode("utf-8", "replace").splitlines()[0] if text else ""
    cls = _CLASSES.get(status, ApiError)
    return cls(status, reason or _REASONS.get(status, ""), message, causes)


def _causes(details: Any) -> tuple[Cause, ...]:
    if not isinstance(details, dict):
        return ()
    return tuple(
        Cause(str(c.get("field") or ""), str(c.get("reason") or ""), str(c.get("message") or ""))
        for c in details.get("causes") or ()
        if isinstance(c, dict)
    )


def transport_error(exc: BaseException, server: str) -> TransportError:
    """One line saying what went wrong on the wire."""
    inner = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return TransportError("dns", f"cannot resolve the API server host of {server}")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return TransportError("refused", f"connection to {server} refused")
        return TransportError("refused", f"cannot connect to {server}: {_tail(text)}")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return TransportError("tls", f"TLS handshake with {server} failed: {_ssl_reason(exc)}")
    if isinstance(exc, urllib3.exceptions.ProxyError):
        return TransportError("proxy", f"proxy error reaching {server}: {_tail(str(inner))}")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return TransportError("timeout", f"connecting to {server} timed out")
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | socket.timeout | TimeoutError):
        return TransportError("timeout", f"{server} stopped answering (read timed out)")
    if isinstance(exc, urllib3.exceptions.ProtocolError | ConnectionError):
        return TransportError("dropped", f"the connection to {server} broke off")
    return TransportError("protocol", f"talking to {server}: {_tail(str(exc))}")


def _ssl_reason(exc: BaseException) -> str:
    """The innermost ``ssl`` error in words ("certificate verify failed: unable to get local issuer certificate")."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError) and current.reason:
            return str(current.reason).lower().replace("_", " ")
        todo.extend([*current.args, getattr(current, "reason", None), current.__cause__, current.__context__])
    return _tail(str(exc))


def _tail(text: str) -> str:
    """The useful end of urllib3's nested messages ("...: [Errno 111] Connection refused")."""
    text = text.strip().strip("()")
    return text.rsplit(": ", 1)[-1] if ": " in text else text

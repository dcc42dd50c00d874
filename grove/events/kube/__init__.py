"""The plugin's own Kubernetes client, one module per verb (as kopf splits its client): ``errors`` (what a failed
request said), ``http`` (one API server's connection), ``discovery`` (what it serves), ``watching`` (the live
source: list + watch as events) and ``writing`` (scale, patch, server-side apply, dry runs and preconditions).

The names most callers need are re-exported here.
"""

from grove.events.kube.discovery import Discovery, discover, discover_api, server_version
from grove.events.kube.errors import (
    ApiError,
    Cause,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    TransportError,
    Unauthorized,
    transport_error,
)
from grove.events.kube.http import Http, resource_path
from grove.events.kube.watching import LiveSource

__all__ = [
    "ApiError",
    "Cause",
    "Conflict",
    "Discovery",
    "Forbidden",
    "Gone",
    "Http",
    "Invalid",
    "LiveSource",
    "NotFound",
    "TransportError",
    "Unauthorized",
    "discover",
    "discover_api",
    "resource_path",
    "server_version",
    "transport_error",
]

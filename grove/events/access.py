"""How to reach one API server: a plain value the live source uses without the Kubernetes client.

``grove.commands.cluster`` resolves the kubeconfig (with the ``kubernetes`` package) into a ``ClusterAccess``; the live
source in ``grove.events.kube`` talks HTTP with urllib3 from it. Keeping the value plain keeps the core free of the
Kubernetes client (an import-linter contract) and makes the live source testable against a loopback server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

HeaderRefresher = Callable[[], Mapping[str, str]]
"""Returns fresh request headers (e.g. re-runs an exec credential plugin); called after a 401."""


def _frozen_headers(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@attrs.frozen
class ClusterAccess:
    """Everything needed to open authenticated connections to one API server."""

    server: str  # e.g. https://10.0.0.1:6443 (no trailing slash)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_headers, repr=False, eq=False)
    ca_file: str | None = None  # PEM bundle path
    ca_data: str | None = None  # PEM bundle text (when not written to a file)
    cert_file: str | None = None  # client certificate (PEM)
    key_file: str | None = None  # client key (PEM)
    verify: bool = True  # False: insecure-skip-tls-verify
    tls_server_name: str | None = None  # name checked against the server certificate (and sent as SNI)
    proxy: str | None = None  # proxy URL, if the cluster is reached through one
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str = "default"  # the context's namespace (or "default")
    request_timeout: float = 30.0  # seconds for one non-watch request
    refresh_headers: HeaderRefresher | None = attrs.field(default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "server", self.server.rstrip("/"))

    @property
    def timeout(self) -> float | None:
        """The request timeout for urllib3 (None: no timeout, what ``--request-timeout 0`` asks for)."""
        return self.request_timeout if self.request_timeout > 0 else None

    @property
    def is_tls(self) -> bool:
        return self.server.startswith("https://")

    def with_headers(self, headers: Mapping[str, str]) -> ClusterAccess:
        """The same access with other default headers (after a credential refresh)."""
        return attrs.evolve(self, headers=headers)

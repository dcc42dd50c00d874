"""Discovery: which of the kinds the plugin reads the server serves (one aggregated call), and its version."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from grove.events.access import ClusterAccess
from grove.events.kinds import KINDS
from grove.events.kube.errors import NotFound
from grove.events.kube.http import Http

AGGREGATED_DISCOVERY_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@attrs.frozen
class Discovery:
    """Which of KINDS the server serves, and which versions it serves of each resource otherwise."""

    served: Mapping[str, bool]
    versions: Mapping[str, tuple[str, ...]]  # kind -> versions of its group that serve its plural
    aggregated: bool  # answered by one aggregated-discovery call


def discover_api(access: ClusterAccess, http: Http | None = None) -> Discovery:
    """One aggregated discovery call (``GET /apis``); per-group calls only on servers without it (< 1.26)."""
    own = http or Http(access)
    try:
        body = own.get_json("/apis", accept=AGGREGATED_DISCOVERY_ACCEPT)
        resources: dict[tuple[str, str], set[str]] = {}  # (group, version) -> plurals
        aggregated = isinstance(body, dict) and body.get("kind") == "APIGroupDiscoveryList"
        if aggregated:
            for group in body.get("items") or ():
                name = str((group.get("metadata") or {}).get("name") or "")
                for version in group.get("versions") or ():
                    plurals = {str(r.get("resource")) for r in version.get("resources") or ()}
                    resources[(name, str(version.get("version")))] = plurals
        else:
            groups = {
                str(g.get("name")): [str(v.get("version")) for v in g.get("versions") or ()]
                for g in (body.get("groups") or () if isinstance(body, dict) else ())
            }
            wanted = {info.group for info in KINDS.values() if info.group}
            for group in wanted:
                for version in groups.get(group, ()):
                    try:
                        listing = own.get_json(f"/apis/{group}/{version}")
                    except NotFound:
                        continue
                    resources[(group, version)] = {
                        str(r.get("name")) for r in listing.get("resources") or () if "/" not in str(r.get("name"))
                    }
    finally:
        if http is None:
            own.close()
    served: dict[str, bool] = {}
    versions: dict[str, tuple[str, ...]] = {}
    for kind, info in KINDS.items():
        if not info.group:
            served[kind] = True  # core/v1 is always there
            versions[kind] = (info.version,)
            continue
        served[kind] = info.plural in resources.get((info.group, info.version), ())
        versions[kind] = tuple(
            sorted(v for (g, v), plurals in resources.items() if g == info.group and info.plural in plurals)
        )
    return Discovery(served=served, versions=versions, aggregated=aggregated)


def discover(access: ClusterAccess, http: Http | None = None) -> dict[str, bool]:
    """kind → served? for every kind in KINDS (one discovery call)."""
    return dict(discover_api(access, http).served)


def server_version(access: ClusterAccess, http: Http | None = None) -> str:
    """The server's ``gitVersion`` (``GET /version``), e.g. ``v1.36.0``."""
    own = http or Http(access)
    try:
        body = own.get_json("/version")
    finally:
        if http is None:
            own.close()
    return str(body.get("gitVersion") or "") if isinstance(body, dict) else ""

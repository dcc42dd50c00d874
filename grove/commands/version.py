"""``kubectl grove version``: this client, the API server, the Grove operator and the Grove CRD versions served.

The operator's version is the tag of its Deployment's image (found in ``--operator-namespace`` by the Helm chart's
label ``app.kubernetes.io/name=grove-operator``, else by the name ``grove-operator``); whatever cannot be read is
``unknown`` with the reason (forbidden, not found, unreachable), never a failure of the whole command.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Mapping
from typing import Any

import attrs

from grove import __version__
from grove.commands.options import add_common_options, add_operator_namespace_option

UNKNOWN = "unknown"


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "version",
        help="versions: this client, the API server, the Grove operator, the Grove CRDs served",
        description=(
            "Print the kubectl-grove version, the API server's version, the Grove operator's version (the image tag of "
            "its Deployment in --operator-namespace) and the versions the cluster serves of each Grove CRD. What "
            "cannot be read is 'unknown' with the reason."
        ),
    )
    parser.add_argument("--client", action="store_true", help="only this client's version (no cluster needed)")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="json or yaml instead of text")
    parser.add_argument("--context", help="kubeconfig context to use")
    parser.add_argument("--kubeconfig", help="path to the kubeconfig file")
    parser.add_argument(
        "--request-timeout", default="10s", metavar="DURATION", help="timeout of one API request (default 10s)"
    )
    add_operator_namespace_option(parser)
    add_common_options(parser)
    parser.set_defaults(run="grove.commands.version:run")


@attrs.frozen
class Known:
    """A version, or ``unknown`` with why."""

    version: str
    reason: str = ""
    source: str = ""  # where it was read (e.g. the Deployment and its image)

    def as_dict(self) -> dict[str, str]:
        out = {"version": self.version}
        if self.source:
            out["source"] = self.source
        if self.reason:
            out["reason"] = self.reason
        return out

    def text(self) -> str:
        detail = self.source or self.reason
        return f"{self.version} ({detail})" if detail else self.version


@attrs.frozen
class Versions:
    client: str
    python: str
    server: Known | None  # None with --client
    operator: Known | None
    crds: Mapping[str, tuple[str, ...]] | None  # CRD name -> versions served (empty: not installed)
    crds_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"clientVersion": {"kubectlGrove": self.client, "python": self.python}}
        if self.server is not None:
            out["serverVersion"] = self.server.as_dict()
        if self.operator is not None:
            out["groveOperator"] = self.operator.as_dict()
        if self.crds is not None:
            out["groveCRDs"] = {name: list(served) for name, served in self.crds.items()}
        if self.crds_reason:
            out["groveCRDsReason"] = self.crds_reason
        return out

    def text(self) -> str:
        lines = [f"Client Version: kubectl-grove {self.client} (Python {self.python})"]
        if self.server is not None:
            lines.append(f"Server Version: {self.server.text()}")
        if self.operator is not None:
            lines.append(f"Grove Operator: {self.operator.text()}")
        if self.crds is not None:
            lines.append("Grove CRDs:")
            width = max((len(n) for n in self.crds), default=0)
            for name, served in self.crds.items():
                lines.append(f"  {name:<{width}}  {', '.join(served) if served else 'not installed'}")
        elif self.crds_reason:
            lines.append(f"Grove CRDs:     {UNKNOWN} ({self.crds_reason})")
        return "\n".join(lines) + "\n"


def image_tag(image: str) -> str | None:
    """``registry:5000/grove/grove-operator:v0.1.0@sha256:…`` → ``v0.1.0``; None when the image has no tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def operator_from(deployments: list[Mapping[str, Any]], namespace: str) -> Known:
    """The operator's version from the Deployments found (the image of its container named like it, else the
    first container)."""
    from grove.commands.diagnostics.collect import OPERATOR_NAME

    if not deployments:
        return Known(
            UNKNOWN,
            f"no grove-operator Deployment in namespace {namespace}; pass --operator-namespace if it runs elsewhere",
        )
    deployment = deployments[0]
    name = str((deployment.get("metadata") or {}).get("name") or OPERATOR_NAME)
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = [c for c in pod_spec.get("containers") or () if isinstance(c, Mapping)]
    chosen = next((c for c in containers if c.get("name") == OPERATOR_NAME), containers[0] if containers else None)
    image = str((chosen or {}).get("image") or "")
    where = f"Deployment {namespace}/{name}"
    if not image:
        return Known(UNKNOWN, f"{where} names no container image")
    tag = image_tag(image)
    if tag is None:
        return Known(UNKNOWN, f"the image of {where} has no tag: {image}")
    return Known(tag, source=f"{where}, image {image}")


def _operator(http: Any, namespace: str) -> Known:
    from grove.commands.diagnostics.collect import OPERATOR_NAME, OPERATOR_SELECTOR
    from grove.events.kube import ApiError, Forbidden, NotFound, TransportError

    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    try:
        found = list(http.get_json(path, {"labelSelector": OPERATOR_SELECTOR}).get("items") or ())
        if not found:  # installed some other way: the Helm chart's name
            found = [http.get_json(f"{path}/{OPERATOR_NAME}")]
    except NotFound:
        found = []
    except Forbidden:
        return Known(
            UNKNOWN,
            f"deployments in namespace {namespace} are forbidden: needs get/list on deployments (apps) there",
        )
    except (ApiError, TransportError) as exc:
        return Known(UNKNOWN, f"cannot read deployments in namespace {namespace}: {exc}")
    return operator_from(found, namespace)


def _crds(http: Any, access: Any) -> tuple[dict[str, tuple[str, ...]] | None, str]:
    from grove.events.kinds import KINDS
    from grove.events.kube import ApiError, TransportError, discover_api

    try:
        discovery = discover_api(access, http)
    except (ApiError, TransportError) as exc:
        return None, f"discovery failed: {exc}"
    return {info.crd_name: discovery.versions.get(kind, ()) for kind, info in KINDS.items() if info.group}, ""


def collect(args: argparse.Namespace) -> tuple[Versions, str | None]:
    """Every version that can be read, and the error that kept the server from being reached at all (or None)."""
    from grove.commands.cluster import explain, parse_timeout, resolve_access
    from grove.commands.errors import UserError
    from grove.events.kube import ApiError, Http, TransportError, server_version

    client = Versions(__version__, platform.python_version(), None, None, None)
    if args.client:
        return client, None
    try:
        access = resolve_access(args.kubeconfig, args.context, parse_timeout(args.request_timeout, default=10.0))
    except UserError as exc:
        return attrs.evolve(client, server=Known(UNKNOWN, str(exc))), str(exc)
    http = Http(access)
    try:
        try:
            server = Known(server_version(access, http) or UNKNOWN)
        except (ApiError, TransportError) as exc:
            message = str(explain(exc, access))
            return attrs.evolve(client, server=Known(UNKNOWN, message)), message
        crds, crds_reason = _crds(http, access)
        operator = _operator(http, args.operator_namespace)
    finally:
        http.close()
    return attrs.evolve(client, server=server, operator=operator, crds=crds, crds_reason=crds_reason), None


def run(args: argparse.Namespace) -> int:
    versions, failure = collect(args)
    if args.output == "json":
        sys.stdout.write(json.dumps(versions.as_dict(), indent=2) + "\n")
    elif args.output == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(versions.as_dict(), sort_keys=False, width=1000))
    elif failure is not None:  # the reason is the error line below, not twice on the terminal
        sys.stdout.write(attrs.evolve(versions, server=Known(UNKNOWN)).text())
    else:
        sys.stdout.write(versions.text())
    if failure is not None:
        sys.stderr.write(f"error: {failure}\n")
        return 1
    return 0

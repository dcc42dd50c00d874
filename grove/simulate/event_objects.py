"""Kubernetes Event objects as client-go's recorders write them (core/v1 and events.k8s.io series)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grove.simulate.builders import object_meta
from grove.simulate.names import DEFAULT_SCHEDULER, Obj, micro_ts, ts

# -------------------------------------------------------------------------------------------------------- events


def event_object(
    involved: Mapping[str, Any],
    reason: str,
    message: str,
    at: float,
    *,
    uid: str,
    seq: int,
    type_: str = "Normal",
    component: str,
    host: str | None = None,
) -> Obj:
    """A core/v1 Event as client-go's legacy recorder writes it (kubelet, controller-runtime controllers)."""
    meta = involved["metadata"]
    ns = meta.get("namespace") or "default"
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": object_meta(f"{meta['name']}.{int(at * 1e9) + seq:x}", uid, at, namespace=ns),
        "involvedObject": involved_ref(involved),
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": ts(at),
        "lastTimestamp": ts(at),
        "count": 1,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


def scheduler_event_object(
    involved: Mapping[str, Any],
    reason: str,
    message: str,
    at: float,
    *,
    uid: str,
    seq: int,
    type_: str,
    action: str,
    scheduler: str = DEFAULT_SCHEDULER,
) -> Obj:
    """An Event written through events.k8s.io/v1, as kube-scheduler does, seen through the core/v1 API.

    Such events carry ``eventTime``, ``reportingComponent`` and (once repeated) ``series``; ``source`` is empty and
    ``firstTimestamp``/``lastTimestamp``/``count`` are unset.
    """
    meta = involved["metadata"]
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": object_meta(f"{meta['name']}.{int(at * 1e9) + seq:x}", uid, at, namespace=meta["namespace"]),
        "involvedObject": involved_ref(involved),
        "reason": reason,
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": type_,
        "eventTime": micro_ts(at),
        "action": action,
        "reportingComponent": scheduler,
        "reportingInstance": f"{scheduler}-control-plane-1",
    }


def involved_ref(obj: Mapping[str, Any]) -> Obj:
    meta = obj["metadata"]
    out: Obj = {"kind": obj["kind"]}
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    out["name"] = meta["name"]
    out["uid"] = meta["uid"]
    out["apiVersion"] = obj["apiVersion"]
    out["resourceVersion"] = meta.get("resourceVersion", "")
    return out

"""Objects slimmed to what the read commands derive from, as soon as a list page or watch event is decoded.

A 10,000-pod cluster lists ~85 MB of JSON, most of it fields no report reads: ``managedFields``, container
environments, volumes, probes, image ids. ``status``, ``topology``, ``health`` (and their ``-w``) keep only what
``grove.reducers`` reads, which bounds their memory; a recording, the TUI and diagnostics keep whole objects (their
YAML shows everything). Fields are dropped by name (a deny list), so a field a derivation starts reading stays
unless it is named here.

A slimmed object's strings are also shared: 10,000 pods repeat the same node names, images, label values, condition
types and timestamps thousands of times, each decoded as its own string. Replacing every string value by one kept
copy per distinct value takes a fifth off the peak memory of ``status -A`` at that size (orjson already shares
dictionary keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grove.events.model import KubeObject

_POD_SPEC_DROP = frozenset(
    {
        "volumes",
        "tolerations",
        "affinity",
        "securityContext",
        "dnsConfig",
        "imagePullSecrets",
        "readinessGates",
        "topologySpreadConstraints",
        "hostAliases",
        "dnsPolicy",
        "enableServiceLinks",
        "hostname",
        "subdomain",
        "preemptionPolicy",
        "priority",
        "schedulerName",
        "terminationGracePeriodSeconds",
    }
)
_POD_STATUS_DROP = frozenset({"hostIP", "hostIPs", "podIP", "podIPs", "qosClass"})
_CONTAINER_DROP = frozenset(
    {
        "env",
        "envFrom",
        "volumeMounts",
        "volumeDevices",
        "command",
        "args",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "ports",
        "securityContext",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "workingDir",
    }
)
_CONTAINER_STATUS_DROP = frozenset({"imageID", "containerID", "volumeMounts", "user", "allocatedResourcesStatus"})


def _without(value: Any, drop: frozenset[str]) -> Any:
    if type(value) is not dict:
        return value
    return {k: v for k, v in value.items() if k not in drop}


def _each_without(value: Any, drop: frozenset[str]) -> Any:
    return [_without(item, drop) for item in value] if type(value) is list else value


def slim_pod_spec(spec: Any) -> Any:
    """A pod spec without volumes, scheduling hints and container details (names, images and resources stay)."""
    if type(spec) is not dict:
        return spec
    out = {k: v for k, v in spec.items() if k not in _POD_SPEC_DROP}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        if key in out:
            out[key] = _each_without(out[key], _CONTAINER_DROP)
    return out


def _slim_pod(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    out["spec"] = slim_pod_spec(obj.get("spec"))
    status = obj.get("status")
    if type(status) is dict:
        status = {k: v for k, v in status.items() if k not in _POD_STATUS_DROP}
        for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
            if key in status:
                status[key] = _each_without(status[key], _CONTAINER_STATUS_DROP)
        out["status"] = status
    return out


def _slim_clique_spec(spec: Any) -> Any:
    if type(spec) is not dict or "podSpec" not in spec:
        return spec
    return {**spec, "podSpec": slim_pod_spec(spec["podSpec"])}


def _slim_podclique(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "spec": _slim_clique_spec(obj.get("spec"))}


def _slim_podcliqueset(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    template = spec.get("template") if type(spec) is dict else None
    cliques = template.get("cliques") if type(template) is dict else None
    if type(cliques) is not list:
        return obj
    slimmed = [{**c, "spec": _slim_clique_spec(c.get("spec"))} if type(c) is dict else c for c in cliques]
    assert type(spec) is dict and type(template) is dict
    return {**obj, "spec": {**spec, "template": {**template, "cliques": slimmed}}}


_SLIMMERS = {"Pod": _slim_pod, "PodClique": _slim_podclique, "PodCliqueSet": _slim_podcliqueset}


MAX_SHARED = 1 << 18
"""Distinct strings kept for sharing; past it, strings not yet kept stay as decoded (a bound on a long ``-w``)."""

_SHARED: dict[str, str] = {}


def _shared(text: str) -> str:
    kept = _SHARED.get(text)
    if kept is not None:
        return kept
    if len(_SHARED) < MAX_SHARED:
        _SHARED[text] = text
    return text


def share_strings(value: Any) -> None:
    """Replace, in place, every string value inside ``value`` (dicts and lists, at any depth) by the one kept copy of
    an equal string. Equal values stay equal; only their identity changes."""
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                value[key] = _shared(item)
            elif kind is dict or kind is list:
                share_strings(item)
    elif type(value) is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str:
                value[index] = _shared(item)
            elif kind is dict or kind is list:
                share_strings(item)


def slim_object(kind: str, obj: Mapping[str, Any]) -> KubeObject:
    """``obj`` with the fields no report reads left out and its strings shared (see the module's docstring). The
    input keeps its values; objects of an unexpected shape come back as they are."""
    if type(obj) is not dict:
        return obj
    slimmer = _SLIMMERS.get(kind)
    out = slimmer(obj) if slimmer is not None else obj
    share_strings(out)
    return out

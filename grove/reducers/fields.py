"""Safe readers for fields of decoded Kubernetes objects: never raise on odd shapes."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from grove.events.model import KubeObject

MANAGED_BY = "app.kubernetes.io/managed-by"
PART_OF = "app.kubernetes.io/part-of"
COMPONENT = "app.kubernetes.io/component"
PCS_REPLICA_INDEX = "grove.io/podcliqueset-replica-index"
PODCLIQUE_LABEL = "grove.io/podclique"
POD_INDEX = "grove.io/podclique-pod-index"
PODGANG_LABEL = "grove.io/podgang"
BASE_PODGANG = "grove.io/base-podgang"
PCSG_LABEL = "grove.io/podcliquescalinggroup"
PCSG_REPLICA_INDEX = "grove.io/podcliquescalinggroup-replica-index"
POD_TEMPLATE_HASH = "grove.io/pod-template-hash"
TOPOLOGY_NAME_ANNOTATION = "grove.io/topology-name"
MNNVL_GROUP = "grove.io/mnnvl-group"
HOSTNAME_KEY = "kubernetes.io/hostname"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"

_EMPTY: Mapping[str, Any] = {}


def get(obj: Any, *path: str | int) -> Any:
    """``obj[path[0]][path[1]]…`` or None when any step is missing or of the wrong type."""
    cur = obj
    for step in path:
        if type(cur) is dict and type(step) is str:  # the common case (decoded JSON), without ABC checks
            cur = cur.get(step)
            continue
        if isinstance(step, int):
            if not isinstance(cur, Sequence) or isinstance(cur, str) or not -len(cur) <= step < len(cur):
                return None
            cur = cur[step]
        else:
            if not isinstance(cur, Mapping):
                return None
            cur = cur.get(step)
    return cur


def mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def integer(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def name(obj: KubeObject) -> str:
    return text(get(obj, "metadata", "name"))


def namespace(obj: KubeObject) -> str:
    return text(get(obj, "metadata", "namespace"))


def labels(obj: KubeObject) -> Mapping[str, Any]:
    return mapping(get(obj, "metadata", "labels"))


def annotations_of(obj: KubeObject) -> Mapping[str, Any]:
    return mapping(get(obj, "metadata", "annotations"))


def label(obj: KubeObject, key: str) -> str | None:
    try:
        value = obj["metadata"]["labels"][key]  # fast path for well-formed objects
    except (KeyError, TypeError, IndexError):
        value = labels(obj).get(key)
    return value if isinstance(value, str) else None


def controller_owner(obj: KubeObject, kind: str | None = None) -> Mapping[str, Any] | None:
    """The controlling owner reference (optionally only when of ``kind``)."""
    refs = seq(get(obj, "metadata", "ownerReferences"))
    for ref in refs:
        if isinstance(ref, Mapping) and ref.get("controller") is True and (kind is None or ref.get("kind") == kind):
            return ref
    for ref in refs:  # tolerate references without the controller flag
        if isinstance(ref, Mapping) and (kind is None or ref.get("kind") == kind):
            return ref
    return None


def owner_name(obj: KubeObject, kind: str) -> str | None:
    ref = controller_owner(obj, kind)
    return text(ref.get("name")) or None if ref is not None else None


def condition(obj: KubeObject, ctype: str) -> Mapping[str, Any] | None:
    for cond in seq(get(obj, "status", "conditions")):
        if isinstance(cond, Mapping) and cond.get("type") == ctype:
            return cond
    return None


@lru_cache(maxsize=65536)
def parse_time(value: str) -> float | None:
    """RFC 3339 timestamp to epoch seconds."""
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def timestamp(value: Any) -> float | None:
    return parse_time(value) if isinstance(value, str) and value else None


def created(obj: KubeObject) -> float | None:
    return timestamp(get(obj, "metadata", "creationTimestamp"))


_SUFFIX = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
}


@lru_cache(maxsize=4096)
def _parse_quantity(value: str) -> float | None:
    value = value.strip()
    for suffix in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"):
        if value.endswith(suffix):
            try:
                return float(value[: -len(suffix)]) * _SUFFIX[suffix]
            except ValueError:
                return None
    if value and value[-1] in "numkMGTPE":
        try:
            return float(value[:-1]) * _SUFFIX[value[-1]]
        except ValueError:
            return None
    try:
        return float(value)
    except ValueError:
        return None


def quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity ("2", "500m", "1Gi", 3) as a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _parse_quantity(value)
    return None


def parse_duration(value: Any, default: float) -> float:
    """A Go duration ("4h", "1h30m", "90s", "500ms") in seconds."""
    if not isinstance(value, str) or not value:
        return default
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    total, num, i = 0.0, "", 0
    while i < len(value):
        ch = value[i]
        if ch.isdigit() or ch == ".":
            num += ch
            i += 1
            continue
        unit = value[i : i + 2] if value[i : i + 2] in units else ch
        if unit not in units or not num:
            return default
        total += float(num) * units[unit]
        num = ""
        i += len(unit)
    return default if num else total

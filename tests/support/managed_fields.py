"""``metadata.managedFields`` as a real API server sends them in every list, for benchmark bodies.

Server-side apply tracks which manager owns which field as a ``fieldsV1`` tree: ``f:<field>`` for map keys,
``k:{"name":...}`` for list items keyed by name (containers, conditions by type), ``.: {}`` for a node that is itself
owned. The tree is derived from the object's own fields, so its size follows the object's as it does on a real server
(a 10,000-pod list is a third bigger with them). The spec and metadata belong to the controller that created the
object, the status to its ``status`` subresource writer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_MANAGERS = {  # kind -> (creator, status writer)
    "Pod": ("grove-operator", "kubelet"),
    "Node": ("kubelet", "kubelet"),
    "Event": ("kubelet", ""),
}
_ITEM_KEYS = ("name", "type", "containerPort", "key", "ip")


def _fields(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {f"f:{k}": _fields(v) if isinstance(v, Mapping | list) else {} for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, Mapping):
                out[f"v:{json.dumps(item)}"] = {}
                continue
            key = next((k for k in _ITEM_KEYS if k in item), None)
            if key is None:
                continue
            out[f"k:{json.dumps({key: item[key]}, separators=(',', ':'))}"] = {".": {}, **_fields(item)}
        return out
    return {}


def with_managed_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` whose metadata carries the managedFields a server would list with it."""
    creator, status_writer = _MANAGERS.get(kind, ("grove-operator", "grove-operator"))
    meta = obj.get("metadata") or {}
    stamp = meta.get("creationTimestamp") or "2026-01-01T00:00:00Z"
    owned_meta = {k: v for k, v in meta.items() if k in ("labels", "annotations", "ownerReferences", "finalizers")}
    body = {"metadata": owned_meta, **{k: v for k, v in obj.items() if k not in ("metadata", "status", "kind")}}
    entries = [
        {
            "manager": creator,
            "operation": "Update",
            "apiVersion": str(obj.get("apiVersion") or "v1"),
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields(body),
        }
    ]
    if status_writer and isinstance(obj.get("status"), Mapping):
        entries.append(
            {
                "manager": status_writer,
                "operation": "Update",
                "apiVersion": str(obj.get("apiVersion") or "v1"),
                "time": stamp,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": _fields(obj["status"])},
                "subresource": "status",
            }
        )
    return {**obj, "metadata": {**meta, "managedFields": entries}}

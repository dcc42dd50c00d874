"""Derived models as plain JSON-able data, for ``-o json`` and ``-o yaml`` (schema: docs/output.md).

Times stay numbers (seconds since the epoch) and the report carries ``now``, so ages are ``now - created``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

API_VERSION = "kubectl-grove/v1"


def to_data(value: Any) -> Any:
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            if field.name.startswith("_") or field.repr is False:
                continue
            out[_camel(field.name)] = to_data(getattr(value, field.name))
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_data(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def document(kind: str, report: Any) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, **to_data(report)}


def dumps(data: Any, fmt: str) -> str:
    if fmt == "json":
        import orjson

        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    import yaml

    return str(yaml.safe_dump(data, sort_keys=True, default_flow_style=False, allow_unicode=True))

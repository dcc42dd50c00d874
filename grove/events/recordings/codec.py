"""One event as the dict on its line, and back: what each event type writes, and the checks a line must pass.

Objects are stored as the API server sent them minus ``metadata.managedFields``. A change line puts its head (``t``,
``type``, ``kind``, ``key``) before the object, so readers can skim it without decoding (line_heads.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from grove.events.model import (
    Applied,
    ClockAdvanced,
    Compacted,
    Event,
    KubeObject,
    Listed,
    MetricsSampled,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)


def strip_object(obj: KubeObject) -> dict[str, Any]:
    """The object without ``metadata.managedFields`` (a shallow copy; the input is not changed)."""
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _offset(at: float, start: float) -> float:
    return round(at - start, 3)


def object_key(obj: Any) -> tuple[str, str] | None:
    """(namespace or "", name) from the object's metadata, or None when it has no usable name."""
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    name = meta.get("name") if isinstance(meta, Mapping) else None
    namespace = meta.get("namespace", "") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name or not isinstance(namespace, str):
        return None
    return namespace, name


def _change(t: float, typ: str, event: Applied | Removed) -> dict[str, Any]:
    # The head (t, type, kind, key) comes before the object so that a reader can skim it (events/heads.py).
    line: dict[str, Any] = {"t": t, "type": typ, "kind": event.kind}
    key = object_key(event.object)
    if key is not None:
        line["key"] = list(key)
    line["object"] = strip_object(event.object)
    return line


def event_to_json(event: Event, start: float) -> dict[str, Any]:
    """One event as the dict written on its line."""
    t = _offset(event.at, start)
    if isinstance(event, Applied):
        return _change(t, "applied", event)
    if isinstance(event, Removed):
        return _change(t, "removed", event)
    if isinstance(event, Listed):
        line: dict[str, Any] = {
            "t": t,
            "type": "listed",
            "kind": event.kind,
            "objects": [strip_object(o) for o in event.objects],
        }
        if event.namespace is not None:
            line["namespace"] = event.namespace
        return line
    if isinstance(event, SourceHealthChanged):
        line = {"t": t, "type": "source", "kind": event.kind, "status": event.status.value}
        if event.message:
            line["message"] = event.message
        if event.since is not None:
            line["since"] = _offset(event.since, start)
        return line
    if isinstance(event, MetricsSampled):
        return _metrics_line(t, event)
    if isinstance(event, Compacted):  # a reader's product, not something that happened
        raise TypeError("a compacted run is not recorded: record the events it was made from")
    return {"t": t, "type": "clock"}


def _metrics_line(t: float, event: MetricsSampled) -> dict[str, Any]:
    """A metrics sample; a histogram is a list of [le, cumulative count] pairs, ``+Inf`` written as the string."""
    series: dict[str, Any] = {}
    for name, value in event.series.items():
        if isinstance(value, tuple):
            series[name] = [["+Inf" if bound == math.inf else bound, count] for bound, count in value]
        else:
            series[name] = value
    line: dict[str, Any] = {
        "t": t,
        "type": "metrics",
        "namespace": event.namespace,
        "pod": event.pod,
        "source": event.source,
        "series": series,
    }
    if event.endpoint:
        line["endpoint"] = event.endpoint
    if event.problem:
        line["problem"] = event.problem
    return line


def _decode_metrics(raw: Mapping[str, Any], at: float) -> MetricsSampled:
    series_raw = raw.get("series", {})
    _require(isinstance(series_raw, dict), "'series' must be a JSON object")
    series: dict[str, float | tuple[tuple[float, float], ...]] = {}
    for name, value in series_raw.items():
        if isinstance(value, list):
            pairs = []
            for pair in value:
                _require(isinstance(pair, list) and len(pair) == 2, f"histogram {name!r}: pairs of [le, count]")
                bound = math.inf if pair[0] == "+Inf" else float(pair[0])
                pairs.append((bound, float(pair[1])))
            series[name] = tuple(pairs)
        else:
            _require(isinstance(value, int | float) and not isinstance(value, bool), f"series {name!r}: a number")
            series[name] = float(value)
    texts = {key: raw.get(key, "") for key in ("namespace", "pod", "source", "problem", "endpoint")}
    _require(all(isinstance(v, str) for v in texts.values()), "metrics: namespace, pod, source must be strings")
    return MetricsSampled(
        at, texts["namespace"], texts["pod"], texts["source"], series, texts["problem"], texts["endpoint"]
    )


def _require(cond: bool, reason: str) -> None:
    if not cond:
        raise ValueError(reason)


def _object(raw: Any) -> KubeObject:
    _require(isinstance(raw, dict), "'object' must be a JSON object")
    return raw  # type: ignore[no-any-return]


def _kind(raw: Mapping[str, Any]) -> str:
    kind = raw.get("kind")
    _require(isinstance(kind, str) and bool(kind), "missing 'kind'")
    return kind  # type: ignore[return-value]


def decode_event(raw: Any, start: float) -> Event:
    _require(isinstance(raw, dict), "an event line must be a JSON object")
    t = raw.get("t")
    _require(isinstance(t, int | float) and not isinstance(t, bool), "missing or non-numeric 't'")
    at = start + float(t)
    kind_of_event = raw.get("type")
    if kind_of_event == "applied":
        return Applied(at, _kind(raw), _object(raw.get("object")))
    if kind_of_event == "removed":
        return Removed(at, _kind(raw), _object(raw.get("object")))
    if kind_of_event == "listed":
        objects = raw.get("objects")
        _require(isinstance(objects, list), "'objects' must be a list")
        return Listed(at, _kind(raw), tuple(_object(o) for o in objects), raw.get("namespace"))
    if kind_of_event == "clock":
        return ClockAdvanced(at)
    if kind_of_event == "metrics":
        return _decode_metrics(raw, at)
    if kind_of_event == "source":
        try:
            status = SourceStatus(raw.get("status"))
        except ValueError:
            raise ValueError(f"unknown source status {raw.get('status')!r}") from None
        since = raw.get("since")
        return SourceHealthChanged(
            at,
            _kind(raw),
            status,
            str(raw.get("message", "")),
            start + float(since) if isinstance(since, int | float) else None,
        )
    raise ValueError(f"unknown event type {kind_of_event!r}")

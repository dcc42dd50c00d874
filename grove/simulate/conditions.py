"""Conditions as metav1 and the pod API write them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grove.simulate.names import Obj, ts

# ---------------------------------------------------------------------------------------------------- conditions


def condition(ctype: str, status: str, reason: str, message: str, at: float, observed: int | None = None) -> Obj:
    """A metav1.Condition."""
    out: Obj = {"type": ctype, "status": status}
    if observed is not None:
        out["observedGeneration"] = observed
    out["lastTransitionTime"] = ts(at)
    out["reason"] = reason
    out["message"] = message
    return out


def set_condition(conditions: Sequence[Mapping[str, Any]], new: Obj) -> list[Obj]:
    """``meta.SetStatusCondition``: replace by type, keeping ``lastTransitionTime`` while the status is unchanged."""
    out: list[Obj] = []
    found = False
    for cond in conditions:
        if cond.get("type") == new["type"]:
            found = True
            if cond.get("status") == new["status"]:
                new = {**new, "lastTransitionTime": cond["lastTransitionTime"]}
            out.append(new)
        else:
            out.append(dict(cond))
    if not found:
        out.append(new)
    return out


def find_condition(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for cond in obj.get("status", {}).get("conditions", ()):
        if cond.get("type") == ctype:
            return cond  # type: ignore[no-any-return]
    return None


def pod_condition(ctype: str, status: str, at: float, reason: str | None = None, message: str | None = None) -> Obj:
    out: Obj = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": ts(at)}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out

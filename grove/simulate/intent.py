"""What a lifecycle command asks of the cluster, before anything is written: the input of a preview.

An intent names the object it changes by the keys the state uses (namespace, name). The simulator turns the current
state plus intents into the events Grove would produce; the write path turns the same intents into API calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs


@attrs.frozen
class ScaleSet:
    """``spec.replicas`` of a PodCliqueSet (its ``/scale`` subresource)."""

    namespace: str
    pcs: str
    replicas: int


@attrs.frozen
class ScaleClique:
    """``spec.replicas`` of one standalone PodClique (never a scaling-group member)."""

    namespace: str
    pclq: str
    replicas: int


@attrs.frozen
class ScaleGroup:
    """``spec.replicas`` of one PodCliqueScalingGroup."""

    namespace: str
    pcsg: str
    replicas: int


@attrs.frozen
class ChangeTemplate:
    """A new ``spec.template`` for a PodCliqueSet (update, apply, undo, and restart by template annotation).

    ``update_strategy`` set: the PCS's ``spec.updateStrategy.type`` changes too (None: unchanged).
    """

    namespace: str
    pcs: str
    template: Mapping[str, Any]
    update_strategy: str | None = None


@attrs.frozen
class DeletePods:
    """Pods the plugin deletes itself (a restart driven from the plugin); Grove recreates them."""

    namespace: str
    pods: tuple[str, ...]


@attrs.frozen
class ContinueUpdate:
    """The rolling update Grove is carrying out now, to its end (``rollout status``'s estimate; nothing is written):
    pods whose pod-template hash differs from their PodClique's target are still to be replaced, and the replicas
    Grove has not reached yet are still to be updated."""

    namespace: str
    pcs: str


Intent: TypeAlias = ScaleSet | ScaleClique | ScaleGroup | ChangeTemplate | DeletePods | ContinueUpdate

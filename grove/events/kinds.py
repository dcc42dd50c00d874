"""The Kubernetes kinds kubectl-grove follows, with what is needed to list and watch them."""

from __future__ import annotations

from typing import Final

import attrs


@attrs.frozen
class KindInfo:
    """API coordinates of one kind."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    optional: bool  # the commands still work (degraded) without it

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


PODCLIQUESET: Final = "PodCliqueSet"
PODCLIQUESCALINGGROUP: Final = "PodCliqueScalingGroup"
PODCLIQUE: Final = "PodClique"
PODGANG: Final = "PodGang"
CLUSTERTOPOLOGYBINDING: Final = "ClusterTopologyBinding"
POD: Final = "Pod"
NODE: Final = "Node"
EVENT: Final = "Event"

KINDS: Final[dict[str, KindInfo]] = {
    k.kind: k
    for k in (
        KindInfo(PODCLIQUESET, "grove.io", "v1alpha1", "podcliquesets", True, False),
        KindInfo(PODCLIQUESCALINGGROUP, "grove.io", "v1alpha1", "podcliquescalinggroups", True, False),
        KindInfo(PODCLIQUE, "grove.io", "v1alpha1", "podcliques", True, False),
        KindInfo(PODGANG, "scheduler.grove.io", "v1alpha1", "podgangs", True, True),
        KindInfo(CLUSTERTOPOLOGYBINDING, "grove.io", "v1alpha1", "clustertopologybindings", False, True),
        KindInfo(POD, "", "v1", "pods", True, False),
        KindInfo(NODE, "", "v1", "nodes", False, True),
        KindInfo(EVENT, "", "v1", "events", True, True),
    )
}

ALL_KINDS: Final[tuple[str, ...]] = tuple(KINDS)

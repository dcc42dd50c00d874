"""Names, ids and time: RFC 3339 stamps, Grove-style hashes, deterministic uids and resourceVersions."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import random
import uuid
from collections.abc import Mapping
from typing import Any, Final

import orjson

from grove.events import kinds

Obj = dict[str, Any]

START: Final = _dt.datetime(2026, 11, 2, 9, 0, tzinfo=_dt.UTC).timestamp()
"""2026-11-02T09:00:00Z, the moment every bundled recording starts."""

# ------------------------------------------------------------------------------------------- names and constants

APP_NAME: Final = "app.kubernetes.io/name"
SCHEDULER_NAME: Final = "grove.io/scheduler-name"
OPERATOR: Final = "grove-operator"
KAI: Final = "kai-scheduler"
DEFAULT_SCHEDULER: Final = "default-scheduler"

GROVE_GROUP: Final = "grove.io/v1alpha1"
SCHEDULER_GROUP: Final = "scheduler.grove.io/v1alpha1"
GROVE_KINDS: Final = frozenset(
    {kinds.PODCLIQUESET, kinds.PODCLIQUESCALINGGROUP, kinds.PODCLIQUE, kinds.PODGANG, kinds.CLUSTERTOPOLOGYBINDING}
)

ALNUM: Final = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet of Kubernetes ``generateName`` suffixes (k8s.io/apimachinery/pkg/util/rand)."""

SAFE_DIGITS: Final = str.maketrans("0123456789", "456789bcdf")
EVENT_TTL: Final = 3600.0
"""kube-apiserver's default ``--event-ttl``: older events are gone when a recording starts."""

DEFAULT_TOLERATIONS: Final = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)


def ts(at: float) -> str:
    """RFC 3339 with second precision, as metav1.Time is written."""
    return _ts_seconds(int(at))


@functools.lru_cache(maxsize=65_536)
def _ts_seconds(seconds: int) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_ts(at: float) -> str:
    """RFC 3339 with microseconds, as metav1.MicroTime (``eventTime``) is written."""
    return _dt.datetime.fromtimestamp(round(at, 6), _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def grove_hash(value: Any) -> str:
    """A hash spelled like Grove's: decimal digits of a 64-bit hash passed through ``rand.SafeEncodeString``."""
    digest = hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).digest()
    return str(int.from_bytes(digest[:8], "big")).translate(SAFE_DIGITS)


@functools.lru_cache(maxsize=65_536)
def hex_digest(seed: str, n: int = 64) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def sorted_map(mapping: Mapping[str, Any]) -> Obj:
    """Go encodes maps with sorted keys (labels, annotations, resource lists)."""
    return {k: mapping[k] for k in sorted(mapping)}


def sort_deep(value: Any) -> Any:
    """Custom resources are stored unstructured, so every level of their JSON comes back with sorted keys."""
    if isinstance(value, dict):
        return {k: sort_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_deep(v) for v in value]
    return value


class Ids:
    """Deterministic uids, resourceVersions and ``generateName`` suffixes from one seed."""

    def __init__(self, seed: int, first_rv: int = 48_000) -> None:
        self.rng = random.Random(seed)
        self._rv = first_rv

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(n))

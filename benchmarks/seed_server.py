"""Load the synthetic cluster of ``bench_live.py`` into a real kube-apiserver (``../shared/realk8s``), for figures
that carry over to real clusters.

    .venv/bin/python benchmarks/seed_server.py --kubeconfig /tmp/realk8s/kubeconfig [--nodes 1000] [--pods 10000] ...

The objects are created parents first (bindings, nodes, namespaces, PodCliqueSets, scaling groups, PodGangs,
PodCliques, pods, Events) with every owner reference rewritten to the uid the server gave the owner, then each
status is written through the status subresource, as Grove's operator and the kubelets would. Pods are bound at
creation (``spec.nodeName``): no scheduler runs there. The shape flags are ``bench_live.py``'s; the server then holds
what ``bench_live.py --kubeconfig`` measures. A namespace that already exists is left alone (so a second run adds
nothing). No controllers run on that server: delete the namespaces to start again.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shape import add_shape_arguments, synthetic_cluster  # noqa: E402

from grove.commands.cluster import resolve_access  # noqa: E402
from grove.events.kinds import KINDS  # noqa: E402
from grove.events.kube import resource_path  # noqa: E402
from grove.events.kube.errors import ApiError  # noqa: E402
from grove.events.kube.http import Http  # noqa: E402
from grove.events.model import Listed  # noqa: E402

ORDER = (
    "ClusterTopologyBinding",
    "Node",
    "PodCliqueSet",
    "PodCliqueScalingGroup",
    "PodGang",
    "PodClique",
    "Pod",
    "Event",
)
_SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink")


def _for_create(obj: dict[str, Any], uids: dict[str, str]) -> dict[str, Any]:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in _SERVER_SET}
    owners = meta.get("ownerReferences")
    if owners:
        meta["ownerReferences"] = [{**o, "uid": uids.get(o.get("uid", ""), o.get("uid", ""))} for o in owners]
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def _parallel(work: Callable[[dict[str, Any]], None], items: Iterable[dict[str, Any]], threads: int) -> int:
    failures = [0]
    lock = threading.Lock()

    def guarded(item: dict[str, Any]) -> None:
        try:
            work(item)
        except ApiError as exc:
            with lock:
                failures[0] += 1
                if failures[0] <= 3:
                    print(f"  {item.get('kind')} {item['metadata'].get('name')}: {exc}", flush=True)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(guarded, items))
    return failures[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", required=True)
    add_shape_arguments(parser)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    cluster = synthetic_cluster(args)
    objects: dict[str, list[dict[str, Any]]] = {}
    for event in cluster.listed():
        if isinstance(event, Listed):
            objects.setdefault(event.kind, []).extend(dict(o) for o in event.objects)
    http = Http(resolve_access(kubeconfig=args.kubeconfig, context=None, request_timeout=60.0), maxsize=args.threads)
    namespaces = sorted(
        {o["metadata"]["namespace"] for v in objects.values() for o in v if o["metadata"].get("namespace")}
    )
    existing = {n["metadata"]["name"] for n in http.get_json("/api/v1/namespaces")["items"]}
    fresh = [n for n in namespaces if n not in existing]
    if namespaces and not fresh:
        print(f"the server already holds the {len(namespaces)} namespaces: nothing to do")
        return 0
    for name in fresh:
        http.send_json("POST", "/api/v1/namespaces", orjson.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                                    "metadata": {"name": name}}))  # fmt: skip
    uids: dict[str, str] = {}
    lock = threading.Lock()
    began = time.perf_counter()
    for kind in ORDER:
        items = [o for o in objects.get(kind, []) if o["metadata"].get("namespace") in (None, *fresh)]
        if kind in ("ClusterTopologyBinding", "Node") and existing & set(namespaces):
            items = []  # a partly seeded server keeps its cluster-wide objects
        info = KINDS[kind]
        started = time.perf_counter()

        def create(obj: dict[str, Any], info: Any = info, kind: str = kind) -> None:
            meta = obj["metadata"]
            collection = resource_path(info, meta.get("namespace"))
            made = http.send_json("POST", collection, orjson.dumps(_for_create(obj, uids)))
            with lock:
                uids[meta.get("uid", "")] = made["metadata"]["uid"]
            if obj.get("status") and kind != "Event":
                patch = orjson.dumps({"status": obj["status"]})
                http.send_json(
                    "PATCH", f"{collection}/{meta['name']}/status", patch, content_type="application/merge-patch+json"
                )

        failed = _parallel(create, items, args.threads)
        print(f"{kind:24s} {len(items):6,d} in {time.perf_counter() - started:5.1f}s  ({failed} failed)", flush=True)
    print(f"seeded in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

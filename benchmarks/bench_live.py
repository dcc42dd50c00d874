"""Live source against the loopback API server: ``kubectl-grove topology -A`` vs ``kubectl get pods,nodes -A -o json``.

    .venv/bin/python benchmarks/bench_live.py [--nodes 1000] [--pods 10000] [--runs 3]

Starts the test API server (``tests/kube_server.py``) in this process with a synthetic cluster
(``grove.simulate.synthetic`` when present, else simple generated objects), writes a temporary kubeconfig pointing
at it, then times each command ``--runs`` times (best and median wall time) and reads each child's peak RSS from
``os.wait4``. Both commands talk to the same server, which serves pages of 500 objects. Prints figures; never fails on
time. If ``topology`` cannot run yet, the live source's initial list + fold is timed in-process instead, and the output
says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from kube_server import KubeServer  # noqa: E402

from grove.events.kinds import ALL_KINDS, KINDS  # noqa: E402

BIN = Path(sys.executable).parent


def synthetic_objects(nodes: int, pods: int) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Objects per kind, and where they came from."""
    try:
        from grove.events.model import Listed
        from grove.simulate.synthetic import SyntheticCluster
    except ImportError:
        return _simple_objects(nodes, pods), "simple generated objects"
    cluster = SyntheticCluster(nodes, max(1, pods // 40), pods)
    objects: dict[str, list[dict[str, Any]]] = {}
    for event in cluster.listed():
        if isinstance(event, Listed):
            objects.setdefault(event.kind, []).extend(dict(o) for o in event.objects)
    return objects, "grove.simulate.synthetic"


def _simple_objects(nodes: int, pods: int) -> dict[str, list[dict[str, Any]]]:
    node_objs = [
        {
            "metadata": {"name": f"node-{i:04d}", "labels": {"kubernetes.io/hostname": f"node-{i:04d}"}},
            "status": {"allocatable": {"nvidia.com/gpu": "8", "cpu": "96"}, "capacity": {"nvidia.com/gpu": "8"}},
        }
        for i in range(nodes)
    ]
    pod_objs = [
        {
            "metadata": {
                "name": f"pod-{i:05d}",
                "namespace": f"ns-{i % 10}",
                "labels": {"app": "bench", "grove.io/podclique": f"pcs-{i // 40}-0-worker"},
            },
            "spec": {
                "nodeName": f"node-{i % max(nodes, 1):04d}",
                "containers": [{"name": "main", "image": "x", "resources": {"requests": {"nvidia.com/gpu": "1"}}}],
            },
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        }
        for i in range(pods)
    ]
    return {"Node": node_objs, "Pod": pod_objs}


def write_kubeconfig(path: Path, server: str) -> None:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: loop\n  cluster:\n    server: {server}\n"
        "users:\n- name: bench\n  user: {}\n"
        "contexts:\n- name: bench\n  context: {cluster: loop, user: bench}\n"
        "current-context: bench\n"
    )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(wall seconds, exit code, peak RSS in MB of that child alone, stderr tail)."""
    with tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip()[-300:]
    return wall, proc.returncode, usage.ru_maxrss // 1024, tail


def in_process_list_and_fold(url: str) -> tuple[float, int]:
    """Fallback: the live source's initial lists + fold, timed in this process."""
    import threading

    from grove.events.access import ClusterAccess
    from grove.events.kube import LiveSource
    from grove.reducers.reduce import reduce
    from grove.reducers.state import empty_state

    state = [empty_state()]
    done = threading.Event()

    def on_next(event: Any) -> None:
        state[0] = reduce(state[0], event)
        if set(ALL_KINDS) <= state[0].listed:
            done.set()

    began = time.perf_counter()
    source = LiveSource(ClusterAccess(server=url), ALL_KINDS, namespace=None)
    source.events.subscribe(on_next=on_next)
    done.wait(300)
    wall = time.perf_counter() - began
    source.stop()
    return wall, sum(state[0].count(k) for k in KINDS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    began = time.perf_counter()
    objects, origin = synthetic_objects(args.nodes, args.pods)
    counts = {k: len(v) for k, v in objects.items()}
    print(f"objects: {origin}: " + ", ".join(f"{k}={n}" for k, n in sorted(counts.items())))
    print(f"generated in {time.perf_counter() - began:.1f}s")

    kubectl = shutil.which("kubectl")
    grove = BIN / "kubectl-grove"
    with KubeServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.seed_state(objects)
        config = Path(tmp) / "kubeconfig"
        write_kubeconfig(config, server.url)
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("HTTPS_PROXY", "https_proxy")},
            "KUBECONFIG": str(config),
            "HOME": tmp,  # kubectl's discovery cache lives here: warm after its first run, like grove's nothing
            "NO_COLOR": "1",
            "COLUMNS": "160",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        results: dict[str, list[float]] = {}
        rss: dict[str, int] = {}
        commands: dict[str, list[str]] = {"kubectl-grove topology -A": [str(grove), "topology", "-A"]}
        if kubectl:
            commands["kubectl get pods,nodes -A -o json"] = [kubectl, "get", "pods,nodes", "-A", "-o", "json"]
        topology_ok = True
        for run in range(args.runs):
            for name, argv in commands.items():
                if name.startswith("kubectl-grove") and not topology_ok:
                    continue
                wall, code, peak, tail = timed(argv, env)
                if code != 0:
                    print(f"{name}: exit {code}: {tail}")
                    if name.startswith("kubectl-grove"):
                        topology_ok = False
                    continue
                results.setdefault(name, []).append(wall)
                rss[name] = max(rss.get(name, 0), peak)
                print(f"run {run + 1}: {name}: {wall:.2f}s, peak RSS {peak} MB")
        print()
        for name, walls in results.items():
            best, median = min(walls), statistics.median(walls)
            print(f"{name:40s} best {best:6.2f}s  median {median:6.2f}s  peak RSS {rss[name]} MB")
        grove_name, kubectl_name = "kubectl-grove topology -A", "kubectl get pods,nodes -A -o json"
        if grove_name in results and kubectl_name in results:
            ratio = min(results[grove_name]) / min(results[kubectl_name])
            median_ratio = statistics.median(results[grove_name]) / statistics.median(results[kubectl_name])
            print(f"ratio grove/kubectl: best {ratio:.2f}, median {median_ratio:.2f} (goal <= 1.2)")
            print(f"grove peak RSS: {rss[grove_name]} MB (goal <= 300 MB)")
        if not topology_ok or grove_name not in results:
            wall, total = in_process_list_and_fold(server.url)
            print(
                f"topology is not runnable yet: timed the live source's initial list + fold in-process instead: "
                f"{wall:.2f}s for {total} objects"
            )
        if not kubectl:
            print("kubectl not found: no comparison")
    return 0


if __name__ == "__main__":
    sys.exit(main())

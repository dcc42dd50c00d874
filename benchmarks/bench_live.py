"""One-shot reads against the loopback API server, each beside the wire: the same lists fetched plainly.

    .venv/bin/python benchmarks/bench_live.py [--nodes 1000] [--pods 10000] [--pcs 473] [--runs 3] [--kubectl]

Starts the test API server (``tests/support/kube_server.py``) here with a synthetic cluster at a realistic shape
(``grove.simulate.synthetic``: hundreds of PodCliqueSets, thousands of PodCliques, several ClusterTopologyBindings,
Events; every object with the ``managedFields`` a real server lists), writes a temporary kubeconfig pointing at it,
then times, ``--runs`` times each, side by side:

- the wire: a child process that GETs the lists a command reads (pages of 500, ``continue`` followed, one thread per
  list, as the live source does), bodies read and dropped;
- ``kubectl-grove topology -A``, ``status -A``, ``health -A`` and ``topology PCS -n NS``;
- with ``--kubectl``: ``kubectl get pods,nodes -A -o json``.

It prints best and median wall time, each command's ratio to its own wire (goal <= 1.5) and each child's peak RSS from
``os.wait4`` (goal <= 250 MB). Prints figures; never fails on time. The machine may be shared: read ranges.
"""

from __future__ import annotations

import argparse
import contextlib
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
sys.path.insert(0, str(ROOT / "benchmarks"))  # shape.py, when this file is loaded by path (tests)
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from shape import add_shape_arguments, synthetic_cluster  # noqa: E402

from grove.events.kinds import KINDS  # noqa: E402
from tests.support.kube_server import KubeServer  # noqa: E402

BIN = Path(sys.executable).parent
PAGE = 500  # the live source's page size


def synthetic_objects(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    """Objects per kind at the shape asked for, each with the managedFields a real server sends."""
    from support.managed_fields import with_managed_fields

    from grove.events.model import Listed

    cluster = synthetic_cluster(args)
    objects: dict[str, list[dict[str, Any]]] = {}
    for event in cluster.listed():
        if isinstance(event, Listed):
            objects.setdefault(event.kind, []).extend(with_managed_fields(event.kind, o) for o in event.objects)
    return objects


def list_paths(kinds: list[str], namespace: str | None, cluster_wide: tuple[str, ...] = ()) -> list[str]:
    """The collection paths a command lists (as ``LiveSource`` picks them)."""
    from grove.events.kube import resource_path

    return [resource_path(KINDS[k], None if k in cluster_wide else namespace) for k in kinds]


def continue_token(body: bytes) -> str:
    """The list's ``metadata.continue``, "" on its last page. A built-in kind's list puts its metadata before the
    items; a custom resource's list (keys in alphabetical order) after them, at the end of the body."""
    for part in (body[:2048], body[-2048:]):
        at = part.find(b'"continue":"')
        if at >= 0:
            return part[at + 12 : part.index(b'"', at + 12)].decode()
    return ""


def wire(url: str, paths: list[str]) -> int:
    """Child-process mode: GET every path's pages in parallel, bodies read and dropped; prints the bytes read.

    ``url`` is the server's address, or ``kubeconfig=PATH`` for a server that needs the kubeconfig's credentials."""
    import threading

    import urllib3

    if url.startswith("kubeconfig="):
        from grove.commands.cluster import resolve_access
        from grove.events.kube.http import Http

        http = Http(resolve_access(kubeconfig=url.split("=", 1)[1], context=None), maxsize=len(paths) + 2)

        def get(path: str, cont: str) -> bytes:
            return http.get_bytes(path, {"limit": PAGE, **({"continue": cont} if cont else {})})
    else:
        pool = urllib3.PoolManager(maxsize=len(paths) + 2)

        def get(path: str, cont: str) -> bytes:
            query = f"?limit={PAGE}" + (f"&continue={cont}" if cont else "")
            return pool.request("GET", url + path + query, headers={"Accept": "application/json"}).data

    total = [0]
    lock = threading.Lock()

    def fetch(path: str) -> None:
        cont = ""
        while True:
            body = get(path, cont)
            with lock:
                total[0] += len(body)
            cont = continue_token(body)
            if not cont:
                return

    threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(total[0])
    return 0


def write_kubeconfig(path: Path, server: str) -> None:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: loop\n  cluster:\n    server: {server}\n"
        "users:\n- name: bench\n  user: {}\n"
        "contexts:\n- name: bench\n  context: {cluster: loop, user: bench}\n"
        "current-context: bench\n"
    )


# A small launcher between this process and the command: a child forked from this process would count this process's
# memory (the server's objects) in its peak RSS until it execs, so the launcher forks the command and reports the
# command's own rusage.
_LAUNCHER = """
import os, sys, time
began = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - began, os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(wall seconds, exit code, peak RSS in MB of that child alone, stderr tail)."""
    with tempfile.TemporaryFile() as err:
        out = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, *argv], stdout=subprocess.PIPE, stderr=err, env=env, cwd=ROOT
        ).stdout
        err.seek(0)
        tail = err.read().decode(errors="replace").strip()[-300:]
    wall, code, maxrss = out.decode().split()
    return float(wall), int(code), int(maxrss) // 1024, tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_shape_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="run only commands whose name contains this (repeatable)")
    parser.add_argument("--kubectl", action="store_true", help="also time kubectl get pods,nodes -A -o json")
    parser.add_argument(
        "--kubeconfig",
        help="measure against this server (seeded by benchmarks/seed_server.py) instead of the loopback one",
    )
    parser.add_argument("--wire", nargs="+", metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wire:
        return wire(args.wire[0], args.wire[1:])

    from grove.commands import health, status, topology

    began = time.perf_counter()
    objects = synthetic_objects(args)
    counts = {k: len(v) for k, v in objects.items()}
    print("objects: " + ", ".join(f"{k}={n:,}" for k, n in sorted(counts.items())))
    print(f"generated in {time.perf_counter() - began:.1f}s")
    pcs = objects["PodCliqueSet"][len(objects["PodCliqueSet"]) // 2]["metadata"]
    grove = str(BIN / "kubectl-grove")
    # name -> (argv, the lists it reads)
    commands: dict[str, tuple[list[str], list[str]]] = {
        "topology -A": ([grove, "topology", "-A"], list_paths(list(topology.KINDS), None)),
        "status -A": ([grove, "status", "-A"], list_paths(list(status.KINDS), None)),
        "health -A": ([grove, "health", "-A"], list_paths(list(health.KINDS), None)),
        "topology PCS": (
            [grove, "topology", pcs["name"], "-n", pcs["namespace"]],
            list_paths(list(topology.KINDS), pcs["namespace"], cluster_wide=("Pod",)),
        ),
    }
    if args.only:
        commands = {k: v for k, v in commands.items() if any(o in k for o in args.only)}
    kubectl = shutil.which("kubectl") if args.kubectl else None

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if args.kubeconfig:  # a real server that benchmarks/seed_server.py loaded with the same shape
            config, where = Path(args.kubeconfig), f"kubeconfig={args.kubeconfig}"
        else:
            server = stack.enter_context(KubeServer())
            server.seed_state(objects)
            config, where = Path(tmp) / "kubeconfig", server.url
            write_kubeconfig(config, server.url)
        env = {
            # PYTHONDONTWRITEBYTECODE (set on the development machines) would make every run compile grove's sources
            # again (~0.15 s); an installed plugin has its bytecode cached, so the first run writes it here
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("HTTPS_PROXY", "https_proxy", "PYTHONDONTWRITEBYTECODE")
            },
            "KUBECONFIG": str(config),
            "HOME": tmp,  # kubectl's discovery cache lives here: warm after its first run, like grove's nothing
            "NO_COLOR": "1",
            "COLUMNS": "160",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        walls: dict[str, list[float]] = {}
        rss: dict[str, int] = {}
        failed: set[str] = set()

        def run(label: str, argv: list[str]) -> None:
            if label in failed:
                return
            wall, code, peak, tail = timed(argv, env)
            if code != 0:
                print(f"{label}: exit {code}: {tail}")
                failed.add(label)
                return
            walls.setdefault(label, []).append(wall)
            rss[label] = max(rss.get(label, 0), peak)
            print(f"  {label:28s} {wall:6.2f}s  peak RSS {peak:4d} MB", flush=True)

        for n in range(args.runs):
            print(f"run {n + 1}:")
            for name, (argv, paths) in commands.items():
                run(f"wire for {name}", [sys.executable, __file__, "--wire", where, *paths])
                run(name, argv)
            if kubectl:
                run("kubectl get pods,nodes", [kubectl, "get", "pods,nodes", "-A", "-o", "json"])
        print()
        print(f"{'':28s} {'best':>7s} {'median':>7s}  {'× wire (median)':>15s}  peak RSS")
        for name in [*commands, "kubectl get pods,nodes"]:
            if name not in walls:
                continue
            best, median = min(walls[name]), statistics.median(walls[name])
            base = walls.get(f"wire for {name}")
            ratio = f"{median / statistics.median(base):.2f}" if base else "-"
            if base:
                print(f"{'wire for ' + name:28s} {min(base):6.2f}s {statistics.median(base):6.2f}s")
            print(f"{name:28s} {best:6.2f}s {median:6.2f}s  {ratio:>15s}  {rss[name]:5d} MB")
        print("goals: each command <= 1.5x its wire, <= 250 MB peak RSS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

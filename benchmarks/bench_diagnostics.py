"""``kubectl grove diagnostics -A`` on 10,000 pods: collection time, bundle size, and how fast the bundle replays.

    .venv/bin/python benchmarks/bench_diagnostics.py [--nodes 1000] [--pcs 20] [--pods 10000] [--runs 2]

Starts the loopback API server (``tests/support/kube_server.py``) in this process, seeded from
``grove.simulate.synthetic.synthetic_events(nodes, pcs, pods, churn_events=0)``, with a few hundred log lines for each
unhealthy pod, writes a temporary kubeconfig, and runs the command ``--runs`` times in a child process (wall time,
peak RSS from ``os.wait4``). Prints the manifest's own timings, the archive's size, its biggest files, and the time
``status --replay BUNDLE.tgz`` takes. Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from grove.commands.diagnostics.collect import unhealthy  # noqa: E402
from grove.events.model import Listed  # noqa: E402
from grove.simulate.synthetic import synthetic_events  # noqa: E402
from tests.support.kube_server import KubeServer  # noqa: E402

BIN = Path(sys.executable).parent


def objects(nodes: int, pcs: int, pods: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for event in synthetic_events(nodes=nodes, pcs_count=pcs, pods=pods, churn_events=0):
        if isinstance(event, Listed):
            out.setdefault(event.kind, []).extend(dict(o) for o in event.objects)
    return out


def kubeconfig(path: Path, server: str) -> None:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: loop\n  cluster:\n    server: {server}\n"
        "users:\n- name: bench\n  user: {}\n"
        "contexts:\n- name: bench\n  context: {cluster: loop, user: bench}\n"
        "current-context: bench\n"
    )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str, str]:
    """(wall seconds, exit code, peak RSS in MB of the child, stdout, stderr tail)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        return (
            wall,
            os.waitstatus_to_exitcode(status),
            usage.ru_maxrss // 1024,
            out.read().decode().strip(),
            err.read().decode(errors="replace").strip()[-400:],
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pcs", type=int, default=20)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    began = time.perf_counter()
    seeded = objects(args.nodes, args.pcs, args.pods)
    sick = [p for p in seeded.get("Pod", []) if unhealthy(p)]
    print(
        "objects: "
        + ", ".join(f"{k}={len(v)}" for k, v in sorted(seeded.items()))
        + f"; {len(sick)} unhealthy pods; generated in {time.perf_counter() - began:.1f}s"
    )
    with KubeServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.seed_state(seeded)
        for pod in sick:
            meta = pod["metadata"]
            for cs in pod.get("status", {}).get("containerStatuses") or ():
                line = f"{meta['name']} {cs['name']}: serving request id=%d tokens=128 latency_ms=42\n"
                server.set_log(meta["namespace"], meta["name"], cs["name"], "".join(line % i for i in range(300)))
        config = Path(tmp) / "kubeconfig"
        kubeconfig(config, server.url)
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("HTTPS_PROXY", "https_proxy")},
            "KUBECONFIG": str(config),
            "HOME": tmp,
        }
        walls: list[float] = []
        bundle = Path()
        for run in range(args.runs):
            out_dir = Path(tmp) / f"run{run}"
            argv = [str(BIN / "kubectl-grove"), "diagnostics", "-A", "-o", str(out_dir)]
            wall, code, rss, stdout, tail = timed(argv, env)
            if code != 0:
                print(f"run {run + 1}: exit {code}: {tail}")
                return 0
            bundle = Path(stdout)
            walls.append(wall)
            print(f"run {run + 1}: {wall:.2f}s wall, peak RSS {rss} MB, {tail.splitlines()[-1]}")

        with tarfile.open(bundle, "r:gz") as tar:
            sizes = {m.name.split("/", 1)[1]: m.size for m in tar.getmembers() if m.isfile()}
            handle = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("/manifest.json")))
            assert handle is not None
            manifest = json.loads(handle.read())
        summary = manifest["summary"]
        print()
        print(
            f"diagnostics -A: best {min(walls):.2f}s, median {statistics.median(walls):.2f}s wall "
            f"(collect {summary['collectSeconds']:.2f}s, write {summary['writeSeconds']:.2f}s, rest is start-up "
            "and archiving)"
        )
        print(
            f"bundle: {bundle.stat().st_size / 1e6:.1f} MB compressed, {sum(sizes.values()) / 1e6:.1f} MB in "
            f"{len(sizes)} files; {summary['logs']} logs; {summary['redactions']} redactions"
        )
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:6]:
            print(f"  {size / 1e6:8.2f} MB  {name}")
        slowest = sorted(manifest["items"], key=lambda i: -i["seconds"])[:3]
        print("slowest items: " + ", ".join(f"{i['name']} {i['seconds']:.2f}s" for i in slowest))
        wall, code, rss, _, tail = timed([str(BIN / "kubectl-grove"), "status", "-A", "--replay", str(bundle)], env)
        print(
            f"status -A --replay BUNDLE.tgz: {wall:.2f}s, peak RSS {rss} MB"
            + (f" (exit {code}: {tail})" if code else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the recordings bundled in ``replays/`` (demo data and test fixtures).

    .venv/bin/python scripts/make_replays.py [OUT_DIR]

Every recording is scripted with ``grove.simulate`` from a fixed start (2026-11-02T09:00:00Z) and a fixed
seed, so running this twice writes byte-identical files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from grove.events import kinds
from grove.events.recordings.format import Header
from grove.events.recordings.writer import write_recording
from grove.reducers.fields import HOSTNAME_KEY
from grove.simulate.cluster import Cluster
from grove.simulate.names import START
from grove.simulate.runner import Process, ProcessRunner, run
from grove.simulate.scripted import bring_up, job_pod, plain, roll_clique
from grove.simulate.spec import Clique, Pack, ScalingGroup, WorkloadSpec
from grove.simulate.workload import Workload

REPLAYS = Path(__file__).resolve().parent.parent / "replays"
TOOL = "kubectl-grove scripts/make_replays.py"
MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

H100 = "NVIDIA-H100-80GB-HBM3"
H200 = "NVIDIA-H200"
B200 = "NVIDIA-B200"


def write(c: Cluster, path: Path, note: str, context: str) -> int:
    header = Header(start=START, tool=TOOL, context=context, kinds=kinds.ALL_KINDS, note=note)
    return write_recording(path, header, c.events)


# ------------------------------------------------------------------------------------------ disagg-fragmented


def disagg_fragmented() -> Cluster:
    """The seed example (GREP-001): 11 pods land in rack-1, one decode pod has to wait for rack-2."""
    c = Cluster(seed=2026_11_02, history=30 * DAY, first_rv=731_000)
    c.add_binding("gpu-fabric", [("rack", "topology.kubernetes.io/rack"), ("host", HOSTNAME_KEY)])
    for n in range(1, 6):
        c.add_node(
            f"node-gpu-{n:02d}", labels={"topology.kubernetes.io/rack": f"rack-{1 if n <= 3 else 2}"}, product=H100
        )
    notebook = plain(
        c,
        -3 * HOUR,
        "node-gpu-03",
        name="jupyter-alice-0",
        namespace="research",
        gpus=2,
        image="nvcr.io/nvidia/pytorch:25.09-py3",
        labels={"app": "jupyter", "statefulset.kubernetes.io/pod-name": "jupyter-alice-0", "user": "alice"},
        owner=("StatefulSet", "jupyter-alice", None),
        container="notebook",
    )
    run(c, [notebook], until=-2 * HOUR)
    c.at(-2 * HOUR)
    c.set_schedulable("node-gpu-04", False)  # rack-2 in maintenance
    c.set_schedulable("node-gpu-05", False)
    c.at(0)
    c.begin()

    spec = WorkloadSpec(
        name="my-inference",
        namespace="prod",
        pack=Pack("gpu-fabric", preferred="rack"),
        cliques=(
            Clique("prefill", 4, gpus=2, role="prefill", cpu="16", memory="128Gi", args=("--role", "prefill")),
            Clique("decode", 8, gpus=2, role="decode", cpu="16", memory="128Gi", args=("--role", "decode")),
        ),
        labels={"app": "my-inference"},
    )
    wl = Workload(c, spec)
    n1, n2, n3 = "node-gpu-01", "node-gpu-02", "node-gpu-03"
    placement: dict[str, list[str | None]] = {
        "my-inference-0-prefill": [n1, n1, n3, n3],
        "my-inference-0-decode": [n1, n1, n2, n2, n2, n2, n3, None],
    }
    message = (
        "0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient nvidia.com/gpu. "
        "preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    )

    def last_decode() -> Process:
        yield 5.0
        pod = wl.pods("my-inference-0-decode")[7]
        c.unschedulable(pod, message)
        for t in (16.0, 36.0, 66.0):  # the scheduler's back-off
            yield t
            c.unschedulable(pod, message)
        yield 72.0
        c.set_schedulable("node-gpu-04")  # maintenance over
        c.set_schedulable("node-gpu-05")
        yield 72.4
        c.bind(pod, "node-gpu-04")
        yield 73.4
        c.kubelet(pod, "creating")
        yield 118.0
        c.kubelet(pod, "ready")

    run(c, [bring_up(c, wl, 3.0, placement, pull=(25.0, 95.0)), last_decode()], until=180.0)
    return c


# ------------------------------------------------------------------------------------------------ multi-tenant


def multi_tenant() -> Cluster:
    """Two zones of B200 and H200 nodes shared by three PodCliqueSets, Jobs and a notebook."""
    c = Cluster(seed=4711, history=40 * DAY, first_rv=18_204_000)
    levels = [
        ("zone", "topology.kubernetes.io/zone"),
        ("block", "network.example.com/block"),
        ("rack", "network.example.com/rack"),
        ("host", HOSTNAME_KEY),
    ]
    c.add_binding("dc-topology", levels)
    layout = {  # zone → block → rack → node count
        ("zone-a", B200): {"block-a1": {"rack-a1-1": 3, "rack-a1-2": 3}, "block-a2": {"rack-a2-1": 4}},
        ("zone-b", H200): {"block-b1": {"rack-b1-1": 3, "rack-b1-2": 3}, "block-b2": {"rack-b2-1": 4}},
    }
    for (zone, product), blocks in layout.items():
        n = 0
        for block, racks in blocks.items():
            for rack, count in racks.items():
                for _ in range(count):
                    n += 1
                    c.add_node(
                        f"dgx-{product.split('-')[1].lower()}-{n:02d}",
                        labels={
                            "topology.kubernetes.io/zone": zone,
                            "network.example.com/block": block,
                            "network.example.com/rack": rack,
                        },
                        product=product,
                    )

    def b(n: int) -> str:
        return f"dgx-b200-{n:02d}"

    def h(n: int) -> str:
        return f"dgx-h200-{n:02d}"

    kai_labels = {"kai.scheduler/queue": "serving"}
    b200 = {"nvidia.com/gpu.product": B200}
    h200 = {"nvidia.com/gpu.product": H200}
    llama = WorkloadSpec(
        name="llama-70b",
        namespace="inference",
        pack=Pack("dc-topology", required="block"),
        cliques=(
            Clique(
                "router",
                2,
                role="router",
                cpu="4",
                memory="16Gi",
                labels=kai_labels,
                scheduler="kai-scheduler",
                node_selector=b200,
                image="nvcr.io/nvidia/ai-dynamo/frontend:0.6.1",
            ),
            Clique(
                "pleader",
                1,
                gpus=4,
                role="prefill-leader",
                labels=kai_labels,
                scheduler="kai-scheduler",
                node_selector=b200,
            ),
            Clique(
                "pworker",
                2,
                gpus=4,
                role="prefill-worker",
                labels=kai_labels,
                scheduler="kai-scheduler",
                node_selector=b200,
            ),
            Clique(
                "dleader",
                1,
                gpus=2,
                role="decode-leader",
                labels=kai_labels,
                scheduler="kai-scheduler",
                node_selector=b200,
            ),
            Clique(
                "dworker",
                2,
                gpus=2,
                role="decode-worker",
                labels=kai_labels,
                scheduler="kai-scheduler",
                node_selector=b200,
            ),
        ),
        groups=(
            ScalingGroup(
                "prefill",
                ("pleader", "pworker"),
                replicas=2,
                min_available=1,
                pack=Pack("dc-topology", required="rack"),
            ),
            ScalingGroup(
                "decode",
                ("dleader", "dworker"),
                replicas=3,
                min_available=1,
                pack=Pack("dc-topology", required="rack"),
                max_replicas=4,
            ),
        ),
        labels={"app": "llama-70b", "team": "serving"},
        priority_class="inference-high",
    )
    qwen = WorkloadSpec(
        name="qwen-moe",
        namespace="research",
        pack=Pack("dc-topology", required="zone", preferred="rack"),
        cliques=(
            Clique(
                "frontend",
                1,
                role="frontend",
                cpu="4",
                memory="16Gi",
                node_selector=h200,
                image="nvcr.io/nvidia/ai-dynamo/frontend:0.6.1",
            ),
            Clique("pleader", 1, gpus=4, role="prefill-leader", node_selector=h200),
            Clique("pworker", 1, gpus=4, role="prefill-worker", node_selector=h200),
            Clique("dleader", 1, gpus=2, role="decode-leader", node_selector=h200),
            Clique("dworker", 1, gpus=2, role="decode-worker", node_selector=h200),
        ),
        groups=(
            ScalingGroup("prefill", ("pleader", "pworker")),
            ScalingGroup("decode", ("dleader", "dworker"), max_replicas=3),
        ),
        labels={"app": "qwen-moe"},
    )
    embed = WorkloadSpec(
        name="embed-svc",
        namespace="inference",
        replicas=2,
        cliques=(
            Clique(
                "embed",
                2,
                gpus=1,
                role="embedding",
                cpu="8",
                memory="32Gi",
                node_selector=h200,
                pack=Pack("dc-topology", required="host"),
                image="nvcr.io/nvidia/nim/nv-embedqa:1.5.0",
            ),
        ),
        labels={"app": "embed-svc"},
    )
    wl_llama, wl_qwen, wl_embed = Workload(c, llama), Workload(c, qwen), Workload(c, embed)
    s = ProcessRunner(c)
    s.add(
        bring_up(
            c,
            wl_llama,
            -26 * HOUR,
            {
                "llama-70b-0-router": [b(3), b(3)],
                "llama-70b-0-prefill-0-pleader": [b(1)],
                "llama-70b-0-prefill-0-pworker": [b(1), b(2)],
                "llama-70b-0-decode-0-dleader": [b(2)],
                "llama-70b-0-decode-0-dworker": [b(2), b(3)],
                "llama-70b-0-prefill-1-pleader": [b(4)],  # scaled gangs: another rack
                "llama-70b-0-prefill-1-pworker": [b(4), b(5)],
                "llama-70b-0-decode-1-dleader": [b(5)],
                "llama-70b-0-decode-1-dworker": [b(5), b(6)],
                "llama-70b-0-decode-2-dleader": [b(7)],  # … and another block
                "llama-70b-0-decode-2-dworker": [b(7), b(7)],
            },
            pull=(60.0, 240.0),
        ),
        job_pod(c, -6 * HOUR, b(8), "finetune-7b", "batch", 8, "nvcr.io/nvidia/nemo:25.09", run_for=6 * HOUR + 150),
        bring_up(
            c,
            wl_qwen,
            -5 * HOUR,
            {
                "qwen-moe-0-frontend": [h(2)],
                "qwen-moe-0-prefill-0-pleader": [h(1)],
                "qwen-moe-0-prefill-0-pworker": [h(1)],
                "qwen-moe-0-decode-0-dleader": [h(2)],
                "qwen-moe-0-decode-0-dworker": [h(2)],
            },
            pull=(40.0, 120.0),
        ),
        bring_up(
            c,
            wl_embed,
            -3 * HOUR,
            {"embed-svc-0-embed": [h(2), h(2)], "embed-svc-1-embed": [h(6), h(6)]},
        ),
        job_pod(c, -2 * HOUR, h(3), "train-reward-model", "research", 8, "nvcr.io/nvidia/nemo:25.09"),
        plain(
            c,
            -50 * MINUTE,
            b(3),
            name="jupyter-bob-0",
            namespace="research",
            gpus=2,
            image="nvcr.io/nvidia/pytorch:25.09-py3",
            labels={"app": "jupyter", "statefulset.kubernetes.io/pod-name": "jupyter-bob-0", "user": "bob"},
            owner=("StatefulSet", "jupyter-bob", None),
            container="notebook",
        ),
        job_pod(c, -20 * MINUTE, h(7), "eval-harness", "batch", 4, "nvcr.io/nvidia/nemo:25.09"),
    )
    s.run(until=0.0)
    c.begin()

    def scale_out() -> Process:
        """The HPA adds a decode replica to qwen-moe: a scaled PodGang lands in another rack (not fragmented)."""
        yield 15.0
        hpa = {
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v2",
            "metadata": {"name": "qwen-moe-0-decode", "namespace": "research", "uid": c.ids.uid()},
        }
        c.record_event(
            hpa,
            "SuccessfulRescale",
            "New size: 2; reason: pods metric dynamo_frontend_inflight_requests above target",
            component="horizontal-pod-autoscaler",
        )
        wl_qwen.scale_group(0, "decode", 2)
        yield 15.8
        new = wl_qwen.create_pods()
        yield 16.6
        wl_qwen.ungate()
        for n, pod in enumerate(new):
            yield 17.0 + n * 0.05
            c.bind(pod, h(4))
        for n, pod in enumerate(new):
            yield 18.2 + n * 0.05
            c.kubelet(pod, "creating")
        for t, pod in zip((44.0, 51.5), new, strict=True):
            yield t
            c.kubelet(pod, "ready")

    s.add(scale_out())
    s.run(until=240.0)
    return c


# ---------------------------------------------------------------------------------------- min-available-breach


def min_available_breach() -> Cluster:
    """Two replicas come up; two workers of replica 0 crash-loop and the breach countdown runs for ten minutes."""
    c = Cluster(seed=31337, history=10 * DAY, first_rv=5_520_000, tick=10.0)
    for n in range(1, 5):
        c.add_node(f"node-gpu-{n:02d}", labels={"topology.kubernetes.io/zone": "zone-1"}, product=H100)
    c.at(0)
    c.begin()
    spec = WorkloadSpec(
        name="vllm-chat",
        namespace="prod",
        replicas=2,
        termination_delay="30m",
        cliques=(
            Clique(
                "frontend",
                2,
                role="frontend",
                cpu="4",
                memory="16Gi",
                readiness_port=8080,
                image="nvcr.io/nvidia/ai-dynamo/frontend:0.6.1",
            ),
            Clique("worker", 4, gpus=2, role="worker", min_available=3, cpu="16", memory="128Gi", readiness_port=8000),
        ),
        labels={"app": "vllm-chat"},
    )
    wl = Workload(c, spec)
    n1, n2, n3, n4 = (f"node-gpu-{n:02d}" for n in range(1, 5))
    placement = {
        "vllm-chat-0-frontend": [n1, n1],
        "vllm-chat-0-worker": [n1, n1, n2, n2],
        "vllm-chat-1-frontend": [n3, n3],
        "vllm-chat-1-worker": [n3, n3, n4, n4],
    }

    def crash() -> Process:
        """Workers 2 and 3 of replica 0 (both on node-gpu-02) exit 1 and back off, over and over."""
        t = 150.0
        yield t
        pods = wl.pods("vllm-chat-0-worker")[2:]
        restarts, backoff = 1, 10.0
        while True:
            for pod in pods:  # the container exited 1 and was restarted; it dies again before it is ready
                c.kubelet(pod, "unready", restarts=restarts)
            t += 6.0
            yield t
            for pod in pods:
                c.kubelet(pod, "crashloop", restarts=restarts)
            t += backoff
            yield t
            restarts += 1
            backoff = min(backoff * 2, 300.0)

    run(c, [bring_up(c, wl, 2.0, placement, pull=(20.0, 50.0)), crash()], until=780.0)
    return c


# ---------------------------------------------------------------------------------------------- rolling-update


def rolling_update() -> Cluster:
    """A new image rolls through replica 0 of a two-replica PCS (RollingRecreate); the recording stops half way."""
    c = Cluster(seed=8086, history=5 * DAY, first_rv=2_311_000)
    for n in range(1, 5):
        c.add_node(f"node-gpu-{n:02d}", labels={"topology.kubernetes.io/zone": "zone-1"}, product=B200)
    old = WorkloadSpec(
        name="llm-serve",
        namespace="prod",
        replicas=2,
        cliques=(
            Clique(
                "prefill",
                3,
                gpus=2,
                role="prefill",
                min_available=2,
                cpu="16",
                memory="128Gi",
                readiness_port=8000,
                args=("--role", "prefill"),
            ),
            Clique(
                "decode",
                4,
                gpus=1,
                role="decode",
                min_available=3,
                cpu="8",
                memory="96Gi",
                readiness_port=8000,
                args=("--role", "decode"),
            ),
        ),
        labels={"app": "llm-serve"},
    )
    wl = Workload(c, old)
    n1, n2, n3, n4 = (f"node-gpu-{n:02d}" for n in range(1, 5))
    placement = {
        "llm-serve-0-prefill": [n1, n1, n1],
        "llm-serve-0-decode": [n1, n1, n2, n2],
        "llm-serve-1-prefill": [n3, n3, n3],
        "llm-serve-1-decode": [n3, n3, n4, n4],
    }
    run(c, [bring_up(c, wl, -2 * HOUR, placement)], until=0.0)
    c.begin()
    new = old
    for clique in old.cliques:
        new = new.replace_clique(attrs.evolve(clique, image="nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2"))

    def user() -> Process:
        yield 10.0
        wl.edit_template(new)
        yield 10.6
        wl.start_update(0)

    run(
        c,
        [
            user(),
            roll_clique(c, wl, "llm-serve-0-prefill", 30.0, 12.0),
            roll_clique(c, wl, "llm-serve-0-decode", 34.0, 12.0),
        ],
        until=112.0,
    )
    return c


# ---------------------------------------------------------------------------------------------------------- main

RECORDINGS: dict[str, tuple[Callable[[], Cluster], str, str]] = {
    "disagg-fragmented.jsonl": (
        disagg_fragmented,
        "gpu-demo",
        "Seed example: PCS prod/my-inference (prefill x4, decode x8, 2 GPUs each, pack preferred rack on binding "
        "gpu-fabric) starts on five H100 nodes. rack-1 (node-gpu-01..03, with a 2-GPU notebook on node-gpu-03) takes "
        "11 pods; the last decode pod is FailedScheduling for a minute until rack-2 is uncordoned, then runs on "
        "node-gpu-04. Ends with all 12 pods ready and availableReplicas 1.",
    ),
    "multi-tenant.jsonl": (
        multi_tenant,
        "dc-east",
        "20 DGX nodes (10 B200 in zone-a, 10 H200 in zone-b) under binding dc-topology (zone/block/rack/host, custom "
        "block and rack label keys). inference/llama-70b (KAI, pack required block, PCSGs prefill x2 and decode x3 "
        "at rack: scaled gangs in other racks and another block), research/qwen-moe (pack zone, preferred rack), "
        "inference/embed-svc (2 replicas, pack host), Job and notebook pods. At 0:15 the HPA scales qwen-moe decode "
        "to 2: a scaled PodGang comes up in another rack; at 2:30 batch/finetune-7b finishes.",
    ),
    "min-available-breach.jsonl": (
        min_available_breach,
        "gpu-demo",
        "prod/vllm-chat (2 replicas, terminationDelay 30m; frontend x2, worker x4 minAvailable 3) comes up on four "
        "H100 nodes. At 2:30 workers 2 and 3 of replica 0 crash-loop (exit 1); vllm-chat-0-worker turns "
        "MinAvailableBreached=True/InsufficientReadyPods and the gang-termination countdown runs for ten minutes "
        "while replica 1 stays healthy.",
    ),
    "rolling-update.jsonl": (
        rolling_update,
        "gpu-demo",
        "prod/llm-serve (2 replicas, RollingRecreate; prefill x3 minAvailable 2, decode x4 minAvailable 3) gets a new "
        "image at 0:10. Replica 0 updates pod by pod (readyPodsSelectedToUpdate, MinAvailableBreached "
        "Unknown/UpdateInProgress); prefill finishes, decode is half way, replica 1 has not started when the "
        "recording stops.",
    ),
}


def main(argv: Sequence[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else REPLAYS
    out.mkdir(parents=True, exist_ok=True)
    for name, (build, context, note) in RECORDINGS.items():
        cluster = build()
        count = write(cluster, out / name, note, context)
        print(f"{out / name}: {count} events, {(out / name).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Scripted actors for the bundled recordings: a PodCliqueSet brought up, pods Grove does not own, and a clique rolled
pod by pod the way RollingRecreate replaces ready pods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grove.reducers.fields import POD_INDEX, PODCLIQUE_LABEL
from grove.simulate.builders import plain_pod
from grove.simulate.cluster import Cluster
from grove.simulate.runner import Process
from grove.simulate.workload import Workload


def bring_up(
    c: Cluster,
    wl: Workload,
    at: float,
    placement: Mapping[str, Sequence[str | None]],
    *,
    pull: tuple[float, float] = (20.0, 45.0),
) -> Process:
    """Create a PCS and take it to Ready: children, gated pods, initialized gangs, gates lifted (base gangs first),
    pods bound as ``placement`` says (PodClique name → node per pod index; None leaves the pod to the caller),
    containers created and ready once the image is pulled."""
    yield at
    wl.create()
    t = at + 0.6
    yield t
    wl.create_pods()
    kubelet: list[tuple[float, int, str, str]] = []  # (time, seq, state, pod)
    while True:
        t += 0.6
        yield t
        ungated = wl.ungate()
        if not ungated:
            break
        t += 0.4
        yield t  # the scheduler binds the whole gang in one go
        for pod in ungated:
            labels = pod["metadata"]["labels"]
            node = placement[labels[PODCLIQUE_LABEL]][int(labels[POD_INDEX])]
            if node is None:
                continue
            c.bind(pod, node)
            name = pod["metadata"]["name"]
            kubelet.append((t + 1.0, len(kubelet), "creating", name))
            kubelet.append((t + round(c.rng.uniform(*pull), 1), len(kubelet), "ready", name))
    for when, _, state, name in sorted(kubelet):
        yield max(when, t)
        t = max(when, t)
        c.kubelet(c.pod(name, wl.ns), state)


def plain(
    c: Cluster,
    at: float,
    node: str,
    *,
    name: str,
    namespace: str,
    gpus: int,
    image: str,
    labels: Mapping[str, str],
    owner: tuple[str, str, str | None] | None = None,
    generate_name: str | None = None,
    container: str = "main",
    run_for: float | None = None,
) -> Process:
    """A pod Grove does not own: created, bound, running 30 s later (and finished after ``run_for``).
    ``owner`` is (kind, name, uid or None)."""
    yield at
    ref = c.owner(*owner) if owner else None
    pod = c.add_pod(
        plain_pod(
            name,
            namespace,
            c.ids.uid(),
            c.now,
            gpus=gpus,
            image=image,
            labels=labels,
            owner=ref,
            generate_name=generate_name,
            container=container,
        )
    )
    yield at + 0.5
    c.bind(pod, node)
    yield at + 1.5
    c.kubelet(pod, "creating")
    yield at + 30
    c.kubelet(pod, "ready")
    if run_for is not None:
        yield at + run_for
        c.kubelet(pod, "succeeded")


def job_pod(
    c: Cluster, at: float, node: str, job: str, namespace: str, gpus: int, image: str, run_for: float | None = None
) -> Process:
    suffix = c.ids.suffix()
    job_uid = c.ids.uid()
    labels = {
        "batch.kubernetes.io/controller-uid": job_uid,
        "batch.kubernetes.io/job-name": job,
        "controller-uid": job_uid,
        "job-name": job,
    }
    return plain(
        c,
        at,
        node,
        name=f"{job}-{suffix}",
        namespace=namespace,
        gpus=gpus,
        image=image,
        labels=labels,
        owner=("Job", job, job_uid),
        generate_name=f"{job}-",
        container="trainer",
        run_for=run_for,
    )


def roll_clique(c: Cluster, wl: Workload, pclq: str, cycle: float, start: float) -> Process:
    """Replace the clique's ready old pods one at a time, oldest first, on the node each one ran on."""
    t = start
    yield t
    for old_pod in list(wl.pods(pclq)):
        node = old_pod["spec"]["nodeName"]
        wl.select_for_update(pclq, old_pod)
        yield t + 0.3
        (replacement,) = wl.create_pods([pclq])
        yield t + 1.0
        wl.ungate()
        yield t + 3.0
        c.forget(old_pod)
        yield t + 3.4
        c.bind(replacement, node)
        yield t + 4.4
        c.kubelet(replacement, "creating")
        t = t + cycle
        yield t
        c.kubelet(replacement, "ready")
        t += 1.0
        yield t
    wl.finish_clique_update(pclq)

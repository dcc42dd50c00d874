"""A targeted topology report (``topology PCS``) reads the pods of the nodes it lists only: it lists the same nodes,
with the same pods, as the report that reads every node's pods (Arborist's "all domains" around a workload), at every
moment of every bundled recording and on a synthetic cluster with many workloads."""

from __future__ import annotations

import pytest

from grove.events import kinds
from grove.events.model import Applied
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.batch import fold
from grove.reducers.derive.hierarchy import pcs_names
from grove.reducers.derive.reports import topology_report
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from grove.simulate.synthetic import SyntheticCluster
from tests.support.recording_walk import RECORDINGS, states_every


def _same(state: State, namespace: str | None) -> int:
    """Checks every workload in scope; returns how many listed a node."""
    with_nodes = 0
    for target in pcs_names(state, namespace):
        # on branches of their own, so neither report reuses what the other carried
        listed = topology_report(state.branched(), [target], namespace)
        every = topology_report(state.branched(), [target], namespace, pods_on_every_node=True)
        hosting = {node for node, pods in every.pods_by_node.items() if any(p.highlighted for p in pods)}
        assert {n.node for n in listed.nodes} == hosting
        assert listed.pods_by_node == {n: pods for n, pods in every.pods_by_node.items() if n in hosting}
        assert (listed.nodes, listed.domains, listed.totals) == (every.nodes, every.domains, every.totals)
        with_nodes += bool(hosting)
    return with_nodes


@pytest.mark.parametrize("recording", RECORDINGS)
def test_a_targeted_report_lists_the_nodes_and_pods_it_did_when_it_read_every_node(recording: str) -> None:
    checked = 0
    for state in states_every(recording, 13):
        namespaces = {ns for ns, _ in pcs_names(state, None)}
        checked += sum(_same(state, ns) for ns in sorted(namespaces))
    assert checked > 3


def test_a_targeted_report_among_many_workloads_lists_only_its_own_nodes() -> None:
    big = fold(list(SyntheticCluster(200, 40, 1_000).listed()))
    namespace = sorted({ns for ns, _ in pcs_names(big, None)})[0]
    assert _same(big, namespace) >= 1
    target = pcs_names(big, namespace)[0]
    report = topology_report(big, [target], namespace)
    assert 0 < len(report.nodes) < 200
    assert all(any(p.highlighted for p in report.pods_by_node[n.node]) for n in report.nodes)


def test_a_node_whose_only_pod_of_the_workload_finished_is_not_listed() -> None:
    big = fold(list(SyntheticCluster(200, 40, 1_000).listed()))
    namespace = sorted({ns for ns, _ in pcs_names(big, None)})[0]
    target = pcs_names(big, namespace)[0]
    node = topology_report(big, [target], namespace).nodes[0].node
    state = big
    for pod in list(state.indexed(ix.PODS_BY_NODE, (node,)).values()):
        assert pod is not None
        if f.namespace(pod) == target[0] and f.label(pod, f.PART_OF) == target[1]:
            done = {**pod, "status": {**pod["status"], "phase": "Succeeded"}}
            state = reduce(state, Applied(state.now, kinds.POD, done))
    assert node not in {n.node for n in topology_report(state, [target], namespace).nodes}
    assert _same(state, namespace) >= 1

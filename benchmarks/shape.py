"""The synthetic cluster the one-shot and live benchmarks build, at a realistic shape by default (as the issue's real
cluster: 1,000 nodes, 473 PodCliqueSets of 2 replicas and 3 cliques, 10,000 pods, 3,000 Events, three bindings)."""

from __future__ import annotations

import argparse

from grove.simulate.synthetic import SyntheticCluster


def add_shape_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--pcs", type=int, default=473, help="PodCliqueSets")
    parser.add_argument("--cliques", type=int, default=3, help="PodCliques per PCS replica")
    parser.add_argument("--replicas", type=int, default=2, help="replicas (PodGangs) per PCS")
    parser.add_argument("--bindings", type=int, default=3, help="ClusterTopologyBindings (workloads name all but one)")
    parser.add_argument("--events", type=int, default=3000)


def synthetic_cluster(args: argparse.Namespace) -> SyntheticCluster:
    return SyntheticCluster(
        args.nodes,
        args.pcs,
        args.pods,
        cliques=args.cliques,
        replicas=args.replicas,
        bindings=args.bindings,
        events=args.events,
    )

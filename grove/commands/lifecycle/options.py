"""Flags of the lifecycle commands (kubectl conventions, plus the preview's)."""

from __future__ import annotations

import argparse

from grove.commands.options import add_common_options


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """Where the PodCliqueSet is: a cluster (-n/--context/--kubeconfig) or a recording (--replay/--at)."""
    parser.add_argument("-n", "--namespace", help="namespace (default: the context's namespace, else 'default')")
    parser.add_argument("--context", help="kubeconfig context to use")
    parser.add_argument("--kubeconfig", help="path to the kubeconfig file")
    parser.add_argument("--request-timeout", default="30s", metavar="DURATION", help="timeout of one API request")
    parser.add_argument(
        "--replay", metavar="FILE", help="preview on the state of a recording instead of a cluster (nothing written)"
    )
    parser.add_argument("--at", metavar="OFFSET", help="with --replay: the state at this offset (e.g. 90s)")
    parser.add_argument("--no-color", action="store_true", help="no colour")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour")
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    add_common_options(parser)


def add_change_options(parser: argparse.ArgumentParser) -> None:
    """Everything a mutating command takes."""
    add_target_options(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the preview (and the server's validation); write nothing"
    )
    parser.add_argument("--preview-record", metavar="FILE", help="write the predicted events as a recording to FILE")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="the change and its preview as data")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask before writing (for scripts)")
    parser.add_argument(
        "--pod-start",
        metavar="DURATION",
        help="time a pod takes from scheduled to Ready in the preview (default: this workload's history, else 90s)",
    )

"""Flags shared by the read commands (kubectl conventions)."""

from __future__ import annotations

import argparse


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Flags every command takes: logging and debugging."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--log-file", metavar="FILE", help="write logs to FILE (JSON lines) instead of stderr")


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Flags that pick the cluster and the namespaces, as kubectl does."""
    parser.add_argument("-n", "--namespace", help="namespace (default: the context's namespace, else 'default')")
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="all namespaces")
    parser.add_argument("--context", help="kubeconfig context to use")
    parser.add_argument("--kubeconfig", help="path to the kubeconfig file")
    parser.add_argument(
        "--request-timeout",
        default="30s",
        metavar="DURATION",
        help="timeout of one API request (default 30s)",
    )


def add_operator_namespace_option(parser: argparse.ArgumentParser) -> None:
    """Where the Grove operator runs (its Helm chart's default namespace unless told otherwise)."""
    parser.add_argument(
        "--operator-namespace",
        default="grove-system",
        metavar="NS",
        help="namespace of the Grove operator (default grove-system)",
    )


def add_read_options(parser: argparse.ArgumentParser, *, watch: bool = True) -> None:
    """Everything a read command (status, topology, health) takes."""
    add_cluster_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        choices=("json", "yaml", "wide"),
        help="json/yaml: the derived model; wide: more columns",
    )
    parser.add_argument("--no-color", action="store_true", help="no colour (also when NO_COLOR is set or not a TTY)")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour: auto (default), always, never"
    )
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--replay", metavar="FILE", help="read a recording (.jsonl, .jsonl.gz or a diagnostics .tgz)")
    parser.add_argument(
        "--at",
        metavar="OFFSET",
        help="with --replay: the state at this offset from the start (e.g. 90s, 2m30s, 75); default: the end",
    )
    if watch:
        parser.add_argument("-w", "--watch", action="store_true", help="keep watching and re-render on changes")
        parser.add_argument(
            "--speed", type=float, default=1.0, metavar="X", help="with --replay -w: play the recording X times faster"
        )
    add_common_options(parser)

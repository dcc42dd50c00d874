"""``kubectl grove diagnostics``: a safe, complete, replayable support bundle.

Only the parser lives here (``--help`` stays fast); collection is in ``command`` and the modules it uses:
``runner`` (concurrent items with deadlines), ``reads`` (API reads), ``collect`` (what to read), ``build`` (redact,
record, render), ``texts`` (tables and views), ``manifest``, ``bundle`` (atomic archive) and ``progress``.
"""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.options import add_cluster_options, add_common_options, add_operator_namespace_option


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diagnostics",
        help="write a support bundle (.tgz): Grove objects, pods, nodes, events, logs, views, a replayable recording",
        description=(
            "Collect what is needed to understand a Grove problem into grove-diagnostics-<UTC time>.tgz: every Grove "
            "object in scope, pods (summary and YAML), the nodes they run on, events, the Grove operator's logs and "
            "the last lines of unhealthy pods' logs, the status/topology/health views, and a recording that "
            "'kubectl grove status|topology|health|tui --replay BUNDLE.tgz' opens as it was. Secrets and ConfigMaps "
            "are never read; env values, credential-looking annotations and labels, and credentials in logs are "
            "redacted (manifest.json lists every redaction). Works with partial permissions: what cannot be "
            "collected is listed in the manifest with the reason."
        ),
    )
    add_cluster_options(parser)
    parser.add_argument(
        "-o",
        "--output-dir",
        dest="output_dir",
        default=".",
        metavar="DIR",
        help="where to write the bundle (default .)",
    )
    add_operator_namespace_option(parser)
    parser.add_argument(
        "--since", default="1h", metavar="DURATION", help="events and operator logs of the last DURATION (default 1h)"
    )
    parser.add_argument(
        "--tail", default=2000, type=int, metavar="N", help="last N log lines of each unhealthy pod (default 2000)"
    )
    parser.add_argument("--no-logs", action="store_true", help="collect no container logs")
    parser.add_argument(
        "--metrics-window",
        default="5s",
        metavar="DURATION",
        help="scrape the Grove pods' metrics twice, DURATION apart, into the recording (default 5s; 0: no metrics)",
    )
    parser.add_argument("--keep-dir", action="store_true", help="also keep the unpacked folder beside the .tgz")
    add_common_options(parser)
    parser.set_defaults(run="grove.commands.diagnostics.command:run")

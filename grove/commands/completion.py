"""``kubectl grove completion bash|zsh|fish|powershell``: the shell script that completes ``kubectl-grove``.

The scripts ask ``kubectl-grove __complete …`` (``grove.commands.complete``), as kubectl asks
``kubectl_complete-grove``; they live beside this module in ``shells/``.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from typing import Any

SCRIPTS = {"bash": "bash.sh", "zsh": "zsh.zsh", "fish": "fish.fish", "powershell": "powershell.ps1"}


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "completion",
        help="print the shell completion script for kubectl-grove (bash, zsh, fish, powershell)",
        description=(
            "Print a script that completes kubectl-grove's commands, flags and values (PodCliqueSets, namespaces, "
            "contexts, recordings). bash: source <(kubectl-grove completion bash) in ~/.bashrc; "
            "zsh: source <(kubectl-grove completion zsh) in ~/.zshrc, after compinit. "
            "`kubectl grove <TAB>` needs none of this: kubectl runs kubectl_complete-grove, installed beside "
            "kubectl-grove."
        ),
    )
    parser.add_argument("shell", choices=tuple(SCRIPTS), help="the shell to complete in")
    parser.set_defaults(run="grove.commands.completion:run")


def script(shell: str) -> str:
    return resources.files("grove.commands").joinpath("shells", SCRIPTS[shell]).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return 0

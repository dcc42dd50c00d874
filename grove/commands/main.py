"""Entry point ``kubectl-grove`` (so ``kubectl grove …`` works through kubectl's plugin discovery).

Imports stay lazy: ``--help`` and completion must not import the Kubernetes client, Textual or Rich.
Each command lives in its own module exposing ``add_parser(subparsers)``; the parser sets ``run`` to a
``"module:function"`` string that is imported only when that command runs.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from grove import __version__

COMMAND_MODULES = (
    "grove.commands.status",
    "grove.commands.topology",
    "grove.commands.health",
    "grove.commands.tui",
    "grove.commands.record",
    "grove.commands.metrics",
    "grove.commands.diagnostics",
    "grove.commands.lifecycle.scale",
    "grove.commands.lifecycle.update",
    "grove.commands.lifecycle.restart",
    "grove.commands.lifecycle.apply",
    "grove.commands.lifecycle.rollout",
    "grove.commands.lifecycle.fit",
    "grove.commands.plan",
    "grove.commands.compare",
    "grove.commands.version",
    "grove.commands.completion",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kubectl grove",
        description="See, check and replay Grove inference workloads (PodCliqueSets, scaling groups, gangs, pods).",
    )
    parser.add_argument("--version", action="version", version=f"kubectl-grove {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # a command not built yet
            raise
        module.add_parser(sub)
    return parser


def _tune_gc() -> None:
    # Tens of thousands of long-lived objects make the default thresholds run full collections constantly.
    gc.set_threshold(50_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["__complete"]:  # asked by the scripts of `completion SHELL` (cobra's protocol)
        from grove.commands.complete import run_complete

        return run_complete(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    args.argv = args_list  # the command line, e.g. a revision's change-cause
    target = getattr(args, "run", None)
    if target is None:
        parser.print_help()
        return 2
    _tune_gc()
    debug, log_file = getattr(args, "debug", False), getattr(args, "log_file", None)
    if debug or log_file or not getattr(args, "replay", None):
        # Replays touch no network and log nothing; importing structlog would cost them ~0.1 s of start-up.
        from grove.commands.logging import configure_logging

        configure_logging(debug=debug, log_file=log_file)
    from grove.commands.errors import UserError

    module_name, func_name = target.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args))
    except UserError as exc:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def entry() -> NoReturn:
    """The ``kubectl-grove`` program: ``main``, then out of the process at once.

    A read of a 10,000-pod cluster leaves millions of objects behind; letting the interpreter free them one by one
    on the way out took ~0.9 s, a fifth of the whole command. Every file the command wrote is closed or flushed by
    then (output, recordings line by line, logs), so nothing is lost by skipping that; the exit handlers still run
    (the kubernetes package removes the temporary files it wrote client keys to). An exception still ends the process
    the ordinary way, with its traceback.
    """
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed early, e.g. piped into head
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()

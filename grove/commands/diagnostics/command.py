"""Running ``kubectl grove diagnostics``: flags → collect → write → one path on stdout.

Exit 0 when the bundle was written (stderr says in one line what could not be collected), 1 when nothing could be
collected (one line saying why), 130 on Ctrl+C or SIGTERM, which leave nothing behind.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import orjson

from grove.commands.diagnostics import collect
from grove.commands.diagnostics.bundle import Staging
from grove.commands.diagnostics.collect import Collected, Collector, Settings
from grove.commands.diagnostics.runner import ItemResult, Runner
from grove.commands.errors import UsageError, UserError
from grove.events.access import ClusterAccess
from grove.events.kube import ApiError, Forbidden, TransportError, Unauthorized


def settings_from_args(args: argparse.Namespace, namespace: str | None, now: float) -> Settings:
    from grove.commands.cluster import parse_timeout

    since = parse_timeout(args.since, flag="--since", default=3600.0)
    window = parse_timeout(args.metrics_window, flag="--metrics-window", default=5.0)
    if args.tail < 1:
        raise UsageError(f"--tail {args.tail} must be at least 1")
    return Settings(
        namespace=namespace,
        operator_namespace=args.operator_namespace,
        since=since,
        tail=args.tail,
        logs=not args.no_logs,
        metrics_window=window,
        now=now,
    )


def _output_dir(text: str) -> Path:
    path = Path(text).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the output directory {text}: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise UserError(f"{text} is not a directory")
    return path


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM cleans up like Ctrl+C (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def nothing_collected(collected: Collected, access: ClusterAccess) -> UserError:
    """The one line for a run that got nothing: the most telling failure, explained."""
    from grove.commands.cluster import explain

    errors = collected.errors
    for kind in (TransportError, Unauthorized):
        first = next((e for e in errors if isinstance(e, kind)), None)
        if first is not None:
            return explain(first, access)
    forbidden = [e for e in errors if isinstance(e, Forbidden)]
    if forbidden:
        return UserError(
            f"nothing could be collected from {access.server}: every list was refused "
            f"({forbidden[0].message}); ask for read access to Grove objects and pods in the namespace"
        )
    api = next((e for e in errors if isinstance(e, ApiError)), None)
    if api is not None:
        return explain(api, access)
    reasons = sorted({f"{r.name}: {r.reason}" for r in collected.items if r.status == "failed"})
    return UserError(f"nothing could be collected from {access.server} ({'; '.join(reasons[:4]) or 'no answer'})")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def summary_line(path: Path, results: list[ItemResult], redactions: int) -> str:
    """One line: the bundle, how much was collected, what was not (grouped by reason) and how much was redacted."""
    failed = [r for r in results if r.status == "failed"]
    collected = sum(1 for r in results if r.ok)
    line = f"wrote {path.name} ({_size(path.stat().st_size)}): {collected} of {len(results)} items collected"
    skipped = len(results) - collected - len(failed)
    if skipped:
        line += f" ({skipped} skipped)"
    if failed:
        by_reason: dict[str, list[str]] = {}
        for r in failed:
            by_reason.setdefault(r.reason, []).append(r.name)
        parts = []
        for reason, names in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(f"{len(names)} {reason} ({shown})")
        line += f"; not collected: {'; '.join(parts)} — see manifest.json"
    return line + f"; {redactions} value{'s' if redactions != 1 else ''} redacted"


def run(args: argparse.Namespace) -> int:
    from grove.commands.cluster import access_from_args, namespace_from_args
    from grove.commands.diagnostics import build, manifest
    from grove.commands.diagnostics.progress import make_progress
    from grove.events.kube import Http

    if args.all_namespaces and args.namespace:
        raise UsageError("-n/--namespace and -A/--all-namespaces cannot be used together")
    started = time.time()
    access = access_from_args(args)
    settings = settings_from_args(args, namespace_from_args(args, access), started)
    directory = _output_dir(args.output_dir)

    http = Http(access, maxsize=collect.WORKERS + 2)
    progress = make_progress()
    staging: Staging | None = None
    try:
        with _sigterm_as_interrupt():
            try:
                runner = Runner(
                    workers=collect.WORKERS,
                    item_timeout=collect.ITEM_TIMEOUT,
                    request_timeout=access.timeout,
                    on_start=progress.started,
                    on_done=progress.finished,
                )
                collected = Collector(access, http, settings, runner).collect()
                if not collected.anything:
                    raise nothing_collected(collected, access)
                progress.phase("writing the bundle")
                writing = time.monotonic()
                staging = Staging(directory, started)
                built = build.write_bundle(staging, collected, access)
                staging.write("README.txt", manifest.readme(collected, access, staging.name))
                sizes = {p.relative_to(staging.root).as_posix(): p.stat().st_size for p in staging.root.rglob("*")}
                sizes = {p: n for p, n in sizes.items() if (staging.root / p).is_file()}
                document = manifest.manifest(collected, built, access, sizes, time.monotonic() - writing)
                staging.write("manifest.json", orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
                path = staging.finish(keep_dir=args.keep_dir)
            except OSError as exc:  # the disk, not the cluster: a full disk, a folder without write permission
                if staging is not None:
                    staging.abort()
                raise UserError(f"cannot write the bundle in {directory}: {exc.strerror or exc}") from None
            except BaseException:
                if staging is not None:
                    staging.abort()
                raise
    finally:
        progress.close()
        http.close()
    results = manifest.items(collected, built)
    sys.stderr.write(summary_line(path, results, built.redactions.total) + "\n")
    sys.stdout.write(f"{path}\n")
    sys.stdout.flush()
    return 0

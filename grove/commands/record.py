"""``kubectl grove record -o FILE``: write a live session to a recording (docs/design.md, Recordings).

The initial lists, every watch event and every source-health change go to the file, one flushed line each, so Ctrl+C,
a kill or a lost connection still leaves a readable file. ``--replay FILE`` on any read command shows it again.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from grove.commands.errors import UsageError, UserError
from grove.commands.options import add_cluster_options, add_common_options
from grove.events.kinds import ALL_KINDS, KINDS

if TYPE_CHECKING:
    from reactivex.observable import ConnectableObservable

    from grove.commands.cluster import LiveConnection
    from grove.commands.metrics import ScrapeLoop
    from grove.events.model import Event

SHORT_NAMES = {
    "PodCliqueSet": ("pcs",),
    "PodCliqueScalingGroup": ("pcsg",),
    "PodClique": ("pclq",),
    "PodGang": ("pg",),
    "ClusterTopologyBinding": ("ct", "ctb"),
    "Pod": ("po",),
    "Node": ("no",),
    "Event": ("ev",),
}


def _aliases() -> dict[str, str]:
    """Every accepted spelling (lower case) → kind: kind, singular, plural, plural.group, short names."""
    table: dict[str, str] = {}
    for kind, info in KINDS.items():
        names = {kind.lower(), info.plural, info.crd_name if info.group else info.plural, *SHORT_NAMES.get(kind, ())}
        for name in names:
            table[name.lower()] = kind
    return table


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """``--kinds pcs,pods,Node`` → kinds in the canonical order; a usage error lists the valid names."""
    if text is None:
        return ALL_KINDS
    aliases = _aliases()
    chosen: set[str] = set()
    unknown: list[str] = []
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        kind = aliases.get(name.lower())
        if kind is None:
            unknown.append(name)
        else:
            chosen.add(kind)
    if unknown or not chosen:
        valid = ", ".join(f"{info.plural} ({'/'.join(SHORT_NAMES.get(kind, ()))})" for kind, info in KINDS.items())
        what = f"unknown kind{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}" if unknown else "no kinds given"
        raise UsageError(f"--kinds: {what}; valid: {valid}")
    return tuple(kind for kind in ALL_KINDS if kind in chosen)


def parse_duration_flag(text: str | None) -> float | None:
    if text is None:
        return None
    from grove.commands.cluster import parse_timeout

    seconds = parse_timeout(text, flag="--duration")
    if seconds <= 0:
        raise UsageError(f"--duration {text!r} must be more than zero")
    return seconds


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="record a live session to a file (replay it with --replay FILE)",
        description=(
            "Write what the cluster shows (initial lists, every change, connection health) to a recording that any "
            "read command can replay with --replay FILE. Stops at Ctrl+C or after --duration."
        ),
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the recording to write (.jsonl)")
    add_cluster_options(parser)
    parser.add_argument("--duration", metavar="D", help="stop after D (e.g. 90s, 5m, 1h); default: until Ctrl+C")
    parser.add_argument(
        "--kinds",
        metavar="K1,K2",
        help="kinds to record (default: all): pcs, pcsg, pclq, pg, ct, pods, nodes, events",
    )
    parser.add_argument("-l", "--selector", help="label selector for the recorded objects (e.g. app=foo)")
    parser.add_argument(
        "--metrics",
        nargs="?",
        const="10s",
        metavar="INTERVAL",
        help="also record the inference metrics of every PodCliqueSet's pods (and GPU utilisation), scraped through "
        "the pod proxy every INTERVAL (default 10s); needs pods and podcliques among --kinds",
    )
    add_common_options(parser)
    parser.set_defaults(run="grove.commands.record:run")


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM ends the recording like Ctrl+C does (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _recorded(
    args: argparse.Namespace, kinds: Sequence[str], connection: LiveConnection, duration: float | None
) -> tuple[ConnectableObservable[Event], ScrapeLoop | None]:
    """The stream a recording writes, one subscription to the live source shared by all that listen until
    ``connect()``: the live events merged (``merge`` serialises them) with the metrics samples when ``--metrics``
    asks for them, ended after ``--duration`` (a timer on a ``TimeoutScheduler``); and the scrape loop to start."""
    import reactivex
    from reactivex import operators as ops
    from reactivex.scheduler import TimeoutScheduler
    from reactivex.subject import BehaviorSubject, Subject

    from grove.reducers import pipeline
    from grove.reducers.state import State, empty_state

    samples: Subject[Event] = Subject()
    merged = pipeline.merged(connection.events, samples)
    if duration is not None:
        merged = merged.pipe(ops.take_until(reactivex.timer(duration, scheduler=TimeoutScheduler())))
    stream = merged.pipe(ops.publish())
    if not args.metrics:
        return stream, None
    from grove.commands.metrics import recording_scrapes

    # the scrapes read the workloads' pods from the newest state of what is recorded
    newest: BehaviorSubject[State] = BehaviorSubject(empty_state())
    stream.pipe(pipeline.folded()).subscribe(newest)
    return stream, recording_scrapes(args, kinds, lambda: newest.value, samples.on_next)


def run(args: argparse.Namespace) -> int:
    from grove.commands.cluster import connect
    from grove.events.kube.logging import log
    from grove.events.recordings.format import Header
    from grove.events.recordings.writer import RecordingWriter

    kinds = parse_kinds(args.kinds)
    duration = parse_duration_flag(args.duration)
    connection = connect(args, kinds)
    namespace = connection.scope.namespace
    note = f"recorded from {connection.server}"
    if connection.server_version:
        note += f" ({connection.server_version})"
    if connection.user:
        note += f" as {connection.user}"
    header = Header(
        start=time.time(),
        context=connection.context,
        namespaces=(namespace,) if namespace else (),
        kinds=kinds,
        note=note,
    )
    try:
        writer = RecordingWriter(args.output, header)
    except OSError as exc:
        connection.close()
        raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None

    stream, scrapes = _recorded(args, kinds, connection, duration)
    done = threading.Event()
    failure: list[str] = []

    def write(event: Event) -> None:
        if failure:
            return
        try:
            writer.write(event)
        except OSError as exc:
            failure.append(f"writing {args.output} failed: {exc.strerror or exc}")
            done.set()

    def on_error(exc: Exception) -> None:
        failure.append(str(exc))
        done.set()

    started = time.monotonic()
    interrupted = False
    subscription = stream.subscribe(on_next=write, on_error=on_error, on_completed=done.set)
    connected = None
    try:
        connected = stream.connect()
        if scrapes is not None:
            scrapes.start()
        with _stop_on_sigterm(done):
            done.wait()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if scrapes is not None:
            scrapes.stop()
        subscription.dispose()
        if connected is not None:
            connected.dispose()
        connection.close()
        writer.close()
    elapsed = time.monotonic() - started
    log.debug("recording finished", events=writer.count, seconds=elapsed, interrupted=interrupted)
    sys.stderr.write(f"recorded {writer.count} events in {elapsed:.1f}s to {args.output}\n")
    if failure:
        raise UserError(failure[0])
    return 0

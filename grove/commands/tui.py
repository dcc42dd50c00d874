"""``kubectl grove tui`` (live, or ``--replay FILE``) and ``kubectl grove replay FILE``: the Arborist TUI.

Everything the app cannot do itself is wired here: the live stream (``grove.commands.cluster``), fetching an object's
YAML fresh from the API server, streaming pod logs, and reading a recording whole (so a bad line is one
``FILE:LINE: reason`` error before the screen switches). A replay starts playing from the beginning at 8× (a few
minutes of cluster time in well under a minute); ``--paused`` starts paused, ``--at OFFSET`` starts paused there.
"""

from __future__ import annotations

import argparse
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from grove.commands.errors import UsageError, UserError
from grove.commands.options import add_cluster_options, add_common_options
from grove.events.kinds import ALL_KINDS

KINDS = ALL_KINDS
LOG_TAIL_LINES = 2000


def _add_replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        metavar="OFFSET",
        help="with a recording: start paused at this offset from its start (e.g. 90s, 2m30s, 75)",
    )
    parser.add_argument("--paused", action="store_true", help="with a recording: start paused")
    parser.add_argument(
        "--speed",
        type=float,
        default=8.0,
        metavar="X",
        help="with a recording: playback speed, 0.5 to 64 (default 8: a demo stays watchable)",
    )


def add_parser(sub: Any) -> None:
    tui: argparse.ArgumentParser = sub.add_parser(
        "tui",
        help="Arborist: the interactive terminal UI (live, or --replay FILE)",
        description="Arborist: navigate PodCliqueSets → replicas → scaling groups → cliques → pods and their gangs, "
        "with events, topology and placement, live from the cluster or from a recording. Press ? inside for keys.",
    )
    add_cluster_options(tui)
    tui.add_argument("--replay", metavar="FILE", help="play a recording (.jsonl, .jsonl.gz or a diagnostics .tgz)")
    tui.add_argument(
        "--metrics",
        nargs="?",
        const="10s",
        metavar="INTERVAL",
        help="live: scrape the workloads' inference metrics every INTERVAL (default 10s) for the metrics pane (m)",
    )
    _add_replay_options(tui)
    add_common_options(tui)
    tui.set_defaults(run="grove.commands.tui:run")

    replay: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="play a recording in Arborist (same as tui --replay FILE)",
        description="Play a recording in Arborist: space pauses, +/- change speed, ←/→ step one event, g goes to an "
        "offset, G to the end. Starts playing from the beginning at 8×.",
    )
    replay.add_argument("replay", metavar="FILE", help="the recording (.jsonl, .jsonl.gz or a diagnostics .tgz)")
    replay.add_argument("-n", "--namespace", help="show only this namespace of the recording")
    replay.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace (the default)")
    _add_replay_options(replay)
    add_common_options(replay)
    replay.set_defaults(run="grove.commands.tui:run")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "all_namespaces", False) and getattr(args, "namespace", None):
        raise UsageError("-n/--namespace and -A/--all-namespaces cannot be used together")
    if not 0.5 <= args.speed <= 64:
        raise UsageError(f"--speed {args.speed:g} is out of range (0.5 to 64)")
    if getattr(args, "replay", None):
        if getattr(args, "metrics", None):
            raise UsageError("--metrics scrapes a live cluster: a recording holds the metrics it was recorded with")
        return _run_app(*_replay(args))
    if args.at or args.paused:
        raise UsageError("--at and --paused need a recording (--replay FILE)")

    return _run_live(args)


def _replay(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from grove.commands.source import open_recording, parse_offset
    from grove.events.recordings.format import RecordingError
    from grove.events.recordings.random_access import EventLines
    from grove.reducers.timeline import Timeline
    from grove.views.tui.feed import ReplayFeed
    from grove.views.tui.session import REPLAY, Providers, Session

    recording = open_recording(args.replay)
    try:
        events = EventLines(recording)  # decoded as the replay reaches them: a long recording opens at once
    except RecordingError as exc:
        raise UserError(str(exc)) from None
    timeline = Timeline(events, recording.header.start, times=events.times)
    at = parse_offset(args.at) if args.at else None
    if at is not None and at > timeline.duration + 1e-6:
        raise UsageError(f"--at {args.at} is past the end of {args.replay} (it lasts {timeline.duration:.0f}s)")
    feed = ReplayFeed(timeline, speed=args.speed, playing=not args.paused and at is None, at=at)
    try:
        feed.initial()  # folded here, so that a bad line before the starting point ends the command cleanly
    except RecordingError as exc:
        raise UserError(str(exc)) from None
    namespace = None if args.all_namespaces else args.namespace
    session = Session(REPLAY, namespace, context=recording.header.context, label=str(args.replay))
    return session, feed, Providers(changes=_desk(None))


def _run_live(args: argparse.Namespace) -> int:
    from grove.commands.cluster import connect
    from grove.views.tui.feed import LiveFeed
    from grove.views.tui.session import LIVE, Providers, Session

    connection = connect(args, KINDS, cluster_wide=("Pod",))  # other namespaces' pods use GPUs too
    try:
        info = connection.info
        session = Session(
            LIVE,
            connection.scope.namespace,
            context=info.context,
            cluster=info.cluster,
            user=info.user,
            server_version=info.server_version,
            label=info.server,
        )
        http = _http(connection)
        providers = Providers(fetch_yaml=_yaml_fetcher(http), stream_logs=_log_streamer(http), changes=_desk(http))
        feed = LiveFeed(connection.events, clock=time.time)
        scrapes = None
        if args.metrics:
            from grove.commands.metrics import feed_scrapes

            scrapes = feed_scrapes(args, feed)
            scrapes.start()
        try:
            return _run_app(session, feed, providers)
        finally:
            if scrapes is not None:
                scrapes.stop()
    finally:
        connection.close()


def _run_app(session: Any, feed: Any, providers: Any) -> int:
    from grove.views.tui.app import ArboristApp

    app = ArboristApp(session, feed, providers)
    try:
        app.run()
    finally:
        feed.stop()
    return 0


# --------------------------------------------------------------------------------------------- live I/O


def _http(connection: Any) -> Any:
    from grove.events.kube import Http

    return Http(connection.source.access, maxsize=4)


def _desk(http: Any) -> Any:
    """``s`` and ``R``: the CLI's scale and restart (previewed; written through ``http``, or not at all on None)."""
    from grove.commands.lifecycle.desk import ChangeDesk
    from grove.events.kube.writing import Writer

    return ChangeDesk(Writer(http) if http is not None else None)


def _yaml_fetcher(http: Any) -> Any:
    import yaml

    from grove.events.kinds import KINDS as KIND_INFO
    from grove.events.kube import resource_path
    from grove.events.recordings.codec import strip_object

    def fetch(kind: str, namespace: str, name: str) -> str:
        info = KIND_INFO[kind]
        path = resource_path(info, namespace or None) + "/" + urllib.parse.quote(name, safe="")
        obj = http.get_json(path)
        return str(yaml.safe_dump(strip_object(obj), sort_keys=False, default_flow_style=False, allow_unicode=True))

    return fetch


class _PodLog:
    """A pod's log as lines, read from ``/log`` (``follow``: until closed); ``close()`` unblocks a waiting read."""

    def __init__(self, http: Any, namespace: str, pod: str, container: str | None, follow: bool) -> None:
        import urllib3

        query: dict[str, str | int] = {"tailLines": LOG_TAIL_LINES}
        if container:
            query["container"] = container
        if follow:
            query["follow"] = "true"
        path = (
            f"/api/v1/namespaces/{urllib.parse.quote(namespace, safe='')}/pods/{urllib.parse.quote(pod, safe='')}/log"
        )
        timeout = urllib3.Timeout(connect=10.0, read=None if follow else 30.0)
        self._response = http.open(path, query, timeout=timeout, accept="*/*")
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        pending = b""
        try:
            for chunk in self._response.stream(8192, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", errors="replace")
        except Exception:
            if not self._closed:
                raise
        if pending:
            yield pending.decode("utf-8", errors="replace")

    def close(self) -> None:
        self._closed = True
        shutdown = getattr(self._response, "shutdown", None)
        try:
            if shutdown is not None:
                shutdown()
            self._response.close()
        except Exception:
            pass


def _log_streamer(http: Any) -> Any:
    def stream(namespace: str, pod: str, container: str | None, follow: bool) -> _PodLog:
        return _PodLog(http, namespace, pod, container, follow)

    return stream

"""Samples are events: recorded, replayed (whole, compacted, and by the TUI's event index) to the same numbers as live;
the bundled recording regenerates to the same bytes."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from grove.commands.main import main
from grove.events.access import ClusterAccess
from grove.events.kube import Http
from grove.events.metrics_scrape import MetricsScraper
from grove.events.model import Listed, MetricsSampled
from grove.events.recordings.compaction import AT_TOLERANCE, compacted_events
from grove.events.recordings.format import Header
from grove.events.recordings.random_access import EventLines
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.batch import fold
from grove.reducers.derive.metrics_report import metrics_report
from grove.reducers.metrics import MAX_SAMPLES, Metrics, with_sample
from grove.reducers.reduce import fold_one_by_one
from grove.views.serialize import to_data
from tests.metrics import world as w

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "replays" / "rolling-update-metrics.jsonl"


def _live_events() -> list[object]:
    """The world's objects and two real scrapes of its pods through the pod proxy."""
    worlds = w.worlds()
    world = next(worlds)
    try:
        objects = w.objects()
        events: list[object] = [Listed(1000.0, kind, tuple(items)) for kind, items in objects.items()]
        ticks = [1001.0]

        def clock() -> float:
            ticks[0] += 0.001
            return ticks[0]

        scraper = MetricsScraper(Http(ClusterAccess(server=world.server.url), maxsize=8), clock=clock)
        pods = [p for p in objects["Pod"] if p["metadata"]["namespace"] == w.NS]
        events += scraper.scrape(pods)
        ticks[0] = 1031.0
        events += scraper.scrape(pods)
        scraper.http.close()
        return events
    finally:
        worlds.close()


def test_recorded_and_replayed_metrics_equal_live(tmp_path: Path) -> None:
    events = _live_events()
    assert any(isinstance(e, MetricsSampled) and e.problem for e in events)
    live = fold_one_by_one(events)  # type: ignore[arg-type]
    path = tmp_path / "rec.jsonl"
    write_recording(path, Header(start=1000.0), events)  # type: ignore[arg-type]
    recording = Recording(path)
    replays = {
        "every event": fold(recording.events()),
        "compacted": fold(compacted_events(recording)),
        "event index": fold(list(EventLines(recording))),
    }
    for pcs in ("disagg", "agg"):
        live_report = metrics_report(live, w.NS, pcs, 30.0, history=True)
        expected = to_data(live_report)
        assert max(r["scraped"] for r in expected["roles"]) > 0
        assert any(len(points) == 2 for points in live_report.history.values())
        for how, state in replays.items():
            replayed = metrics_report(state, w.NS, pcs, 30.0, history=True)
            assert to_data(replayed) == expected, how
            assert to_data(replayed.history) == to_data(live_report.history), how  # times are kept to the ms


def test_metrics_replay_at_an_offset(capsys: object) -> None:
    code = main(["metrics", "llm-serve", "--replay", str(BUNDLED), "--at", "60s", "-o", "json"])
    out, _ = capsys.readouterr()  # type: ignore[attr-defined]
    assert code == 0
    import json

    doc = json.loads(out)
    assert [r["role"] for r in doc["roles"]] == ["prefill", "decode"]
    assert doc["at"] == Recording(BUNDLED).header.start + 60
    assert doc["serving"]["itlP99"]["value"] is not None
    assert any("not running (Pending)" in p for p in doc["problems"])


def test_series_stay_bounded_and_in_time_order() -> None:
    from immutables import Map

    metrics: Metrics = Map()
    for i in range(MAX_SAMPLES + 10):
        metrics = with_sample(metrics, MetricsSampled(float(i), "ns", "p", "vllm", {"running": float(i)}))
    metrics = with_sample(metrics, MetricsSampled(50.5, "ns", "p", "vllm", {"running": -1.0}))
    samples = metrics[("ns", "p")]["vllm"]
    assert len(samples) == MAX_SAMPLES
    assert [s.at for s in samples] == sorted(s.at for s in samples)
    assert samples[-1].at == MAX_SAMPLES + 9


def test_the_bundled_recording_regenerates_to_the_same_bytes() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/make_metrics_replay.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_bundled_recording_compacted_at_any_moment_holds_the_samples_of_every_event() -> None:
    recording = Recording(BUNDLED)
    start = recording.header.start
    everything = list(recording.events())
    pods_seen = {(e.namespace, e.pod) for e in everything if isinstance(e, MetricsSampled) and e.pod}
    for offset in (20.0, 60.0, 90.0, 130.0, None):
        until = None if offset is None else start + offset
        limit = float("inf") if until is None else until + AT_TOLERANCE
        full = fold(itertools.takewhile(lambda e, limit=limit: e.at <= limit, everything))  # as a replay stops
        compacted = fold(compacted_events(recording, until))
        assert dict(compacted.metrics.items()) == dict(full.metrics.items()), offset
        pods_there = set(full.objects.get("Pod", {}).keys())
        assert set(full.metrics.keys()) - {(ns, "") for ns, _ in pods_there} <= pods_there, offset
    assert len(pods_seen) > len(full.metrics), "the rolling update replaced pods: their samples went with them"

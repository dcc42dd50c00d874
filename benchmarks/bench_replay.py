"""Arborist's replay of a long recording (``kubectl grove tui --replay FILE``): opening it, seeking and stepping, and
the memory it holds. Prints figures; never fails on time.

The replay reads events when it reaches them (grove/events/recordings/random_access.py) and keeps a bounded number
of snapshots (grove/reducers/timeline.py). Seeks run as the replay thread runs them: with the cyclic collector paused.

    .venv/bin/python benchmarks/bench_replay.py [--recording /tmp/synthetic.jsonl] [--events 1000000]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
from pathlib import Path

from grove.events.gc_pause import cyclic_gc_paused
from grove.events.recordings.format import Header
from grove.events.recordings.random_access import EventLines
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.timeline import Timeline
from grove.simulate.synthetic import synthetic_events


def _anonymous_mb() -> float:
    """Memory this process holds apart from the mapped recording (the page cache's), in MB (Linux only)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _timed(label: str, timeline: Timeline, index: int) -> None:
    with cyclic_gc_paused():  # as the replay thread folds
        t0 = time.perf_counter()
        timeline.state_at(index)
        elapsed = time.perf_counter() - t0
    print(f"{label:<44} {elapsed * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--recording", type=Path, help="reuse this recording (written here first if missing)")
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does

    with tempfile.TemporaryDirectory() as tmp:
        path = args.recording or Path(tmp) / "synthetic.jsonl"
        if not path.exists():
            events = synthetic_events(nodes=1_000, pcs_count=20, pods=10_000, churn_events=args.events, seed=7)
            first = next(events)
            write_recording(path, Header(start=first.at, note="benchmark"), itertools.chain([first], events))
        recording = Recording(path)
        t0 = time.perf_counter()
        lines = EventLines(recording)
        timeline = Timeline(lines, recording.header.start, times=lines.times)
        opened = time.perf_counter() - t0
        n = len(lines)
        print(f"recording: {n:,} events, {path.stat().st_size / 1e9:.2f} GB")
        print(f"{'open (index every line, times, snapshots plan)':<44} {opened * 1000:9.1f} ms")
        _timed("the first frame (state after 5% of events)", timeline, n // 20)
        _timed("G: to the end", timeline, n)
        _timed("step back one event at the end", timeline, n - 1)
        _timed("step back 300 events", timeline, n - 301)
        _timed("seek to the middle", timeline, n // 2)
        _timed("step back one event there", timeline, n // 2 - 1)
        _timed("seek a little earlier (2% of the recording)", timeline, n // 2 - n // 50)
        print(
            f"memory held (without the mapped file): {_anonymous_mb():,.0f} MB; "
            f"snapshots kept: {timeline.snapshot_count} (coarse every {timeline.coarse:,} events)"
        )


if __name__ == "__main__":
    main()

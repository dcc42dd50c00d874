"""Fold throughput on a 1M-event synthetic recording (goal: >= 200k events/s). Prints figures; never fails on time.

Figures: replaying the recording to its end state as the read commands do (grove/events/recordings/compaction.py:
only the last change of each object is decoded); reading + decoding every event; that plus folding every event; and
the reducer alone on events already decoded.

    .venv/bin/python benchmarks/bench_fold.py [--events 1000000] [--recording /tmp/synthetic.jsonl]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from grove.commands.source import fold_recording
from grove.events.model import Event
from grove.events.recordings.format import Header
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.batch import fold
from grove.reducers.state import State
from grove.simulate.synthetic import synthetic_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="events decoded at a time for the fold-only figure")
    parser.add_argument("--recording", type=Path, help="reuse this recording (written here first if missing)")
    parser.add_argument("--repeat", type=int, default=3, help="replays timed (best and median are printed)")
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does

    with tempfile.TemporaryDirectory() as tmp:
        path = args.recording or Path(tmp) / "synthetic.jsonl"
        t0 = time.perf_counter()
        if not path.exists():
            events = synthetic_events(nodes=args.nodes, pcs_count=20, pods=args.pods, churn_events=args.events, seed=7)
            first = next(events)
            write_recording(path, Header(start=first.at, note="benchmark"), itertools.chain([first], events))
        made = time.perf_counter() - t0
        size = path.stat().st_size
        recording = Recording(path)

        # What `status --replay FILE` does: skim every line, decode only the last change of each object, fold.
        # Three times: this machine's speed drifts by a third from minute to minute; best and median are printed.
        replays = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            compacted = fold_recording(recording, None)
            replays.append(time.perf_counter() - t0)
            if len(replays) < args.repeat:
                del compacted
                gc.collect()

        # Every event decoded and folded, streamed (the recording never sits in memory as a whole), and the
        # decoding alone; the difference is what folding costs on freshly decoded objects (most of it is freeing
        # the superseded objects, which lie cold in memory by then).
        t0 = time.perf_counter()
        n = sum(1 for _ in recording.events())
        decode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        state = fold(recording.events())
        total_s = time.perf_counter() - t0

        # The reducer alone over every event: decoded beforehand in chunks (untimed), each chunk folded on into
        # the state (timed). A chunk stays alive until the next one has been folded, so freeing the objects it
        # supersedes mostly falls outside the timing (the streamed figure above includes it).
        fold_s = 0.0
        reduced: State | None = None
        events = recording.events()
        previous: list[Event] = []
        while chunk := list(itertools.islice(events, args.chunk)):
            gc.collect()
            t0 = time.perf_counter()
            reduced = fold(chunk, reduced)
            fold_s += time.perf_counter() - t0
            previous = chunk
        del previous

    print(f"recording: {n:,} events, {size / 1e9:.2f} GB (generated and written in {made:.0f} s)")
    best, median = min(replays), statistics.median(replays)
    print(
        f"replay to the end state (skim, decode the survivors, fold), {len(replays)} runs: best {best:.1f} s "
        f"({n / best:,.0f} events/s), median {median:.1f} s ({n / median:,.0f} events/s)   goal >= 200,000 events/s"
    )
    print(f"read + decode every event, streamed: {decode_s:.1f} s  ({n / decode_s:,.0f} events/s)")
    print(f"read + decode + fold every event, streamed: {total_s:.1f} s  ({n / total_s:,.0f} events/s)")
    print(
        f"fold alone (the reducer over every event, decoded beforehand in chunks of {args.chunk:,}): {fold_s:.1f} s "
        f"({n / fold_s:,.0f} events/s)"
    )
    assert reduced is not None
    same = dict(state.objects.items()) == dict(compacted.objects.items()) == dict(reduced.objects.items())
    print(f"final state: {state.count('Pod'):,} pods, {state.count('Node'):,} nodes; the three folds agree: {same}")


if __name__ == "__main__":
    main()

"""Fold throughput on a 1M-event synthetic recording (goal: >= 200k events/s). Prints figures; never fails on time.

Three figures: reading + decoding the recording, folding events already in memory (the reducer alone), and both.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
from pathlib import Path

from grove.events.recording import Header, Recording, write_recording
from grove.events.synthetic import synthetic_events
from grove.reducers.reduce import fold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument(
        "--sample", type=int, default=300_000, help="decoded events held in memory for the fold-only figure"
    )
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.jsonl"
        t0 = time.perf_counter()
        events = synthetic_events(nodes=args.nodes, pcs_count=20, pods=args.pods, churn_events=args.events, seed=7)
        first = next(events)
        write_recording(path, Header(start=first.at, note="benchmark"), itertools.chain([first], events))
        made = time.perf_counter() - t0
        size = path.stat().st_size
        recording = Recording(path)

        # Reading + decoding alone, then reading + decoding + folding, streamed (the recording never sits in
        # memory as a whole); the difference is what folding costs on freshly decoded objects.
        t0 = time.perf_counter()
        n = sum(1 for _ in recording.events())
        decode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        state = fold(recording.events())
        total_s = time.perf_counter() - t0

        # The reducer alone, on events already decoded (a slice held in memory).
        sample = list(itertools.islice(recording.events(), args.sample))
        gc.collect()
        t0 = time.perf_counter()
        fold(sample)
        fold_s = time.perf_counter() - t0

    print(f"recording: {n:,} events, {size / 1e9:.2f} GB (generated and written in {made:.0f} s)")
    print(f"read + decode, streamed: {decode_s:.1f} s  ({n / decode_s:,.0f} events/s)")
    print(f"read + decode + fold, streamed: {total_s:.1f} s  ({n / total_s:,.0f} events/s)")
    fold_part = max(total_s - decode_s, 1e-9)
    print(f"fold part of that: {fold_part:.1f} s  ({n / fold_part:,.0f} events/s)   goal >= 200,000 events/s")
    print(
        f"fold alone ({len(sample):,} decoded events held in memory): {fold_s:.2f} s "
        f"({len(sample) / fold_s:,.0f} events/s)"
    )
    print(f"final state: {state.count('Pod'):,} pods, {state.count('Node'):,} nodes")


if __name__ == "__main__":
    main()

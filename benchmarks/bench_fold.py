"""Fold throughput on a 1M-event synthetic recording (goal: >= 200k events/s). Prints figures; never fails on time.

Three figures: reading + decoding the recording, folding events already in memory (the reducer alone), and both.
"""

from __future__ import annotations

import argparse
import gc
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
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.jsonl"
        t0 = time.perf_counter()
        events = list(
            synthetic_events(nodes=args.nodes, pcs_count=20, pods=args.pods, churn_events=args.events, seed=7)
        )
        start = events[0].at
        write_recording(path, Header(start=start, note="benchmark"), events)
        made = time.perf_counter() - t0
        size = path.stat().st_size
        del events
        gc.collect()

        t0 = time.perf_counter()
        loaded = Recording(path).load()
        read_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        state = fold(loaded)
        fold_s = time.perf_counter() - t0

    n = len(loaded)
    print(f"recording: {n:,} events, {size / 1e6:.1f} MB (generated and written in {made:.1f} s)")
    print(f"read+decode: {read_s:.2f} s  ({n / read_s:,.0f} events/s)")
    print(f"fold:        {fold_s:.2f} s  ({n / fold_s:,.0f} events/s)   goal >= 200,000 events/s")
    print(f"end to end:  {read_s + fold_s:.2f} s  ({n / (read_s + fold_s):,.0f} events/s)")
    print(f"final state: {state.count('Pod'):,} pods, {state.count('Node'):,} nodes, revision {state.revision:,}")


if __name__ == "__main__":
    main()

"""The speed figures issue 15 keeps, for two checkouts side by side: run alternately, best of each printed.

Each checkout (a ``git worktree`` of a revision) has its own ``.venv`` (``make .venv/.installed-stamp`` there). Every
round measures both, one after the other, the same way and on the same inputs (this checkout's
``replays/disagg-fragmented.jsonl`` and one 1M-event recording):

- cold ``kubectl-grove --help`` and ``status --replay replays/disagg-fragmented.jsonl`` (wall time of a fresh process);
- ``fold_recording`` of the 1M-event recording in a fresh process of the checkout (what every ``--replay`` does);
- ``benchmarks/bench_tui.py`` of the checkout at the README's shape (10k pods in 10 PCS, 200 events/s): its event on
  screen and key lines, as it prints them.

    .venv/bin/python benchmarks/bench_keep.py --before ../other-worktree [--after .] [--rounds 2]
        [--recording /tmp/synthetic-1m.jsonl] [--skip tui]

The recording is written once by this checkout's generator if missing (~2.7 GB, a few minutes) and kept for the next
run; delete it when done. Prints figures and the load average; never fails on time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT / "replays" / "disagg-fragmented.jsonl"
TUI_SHAPE = ["--pcs", "10", "--cliques", "2", "--replicas", "1", "--bindings", "1"]

# Runs inside the measured checkout's interpreter; imports from where either layout keeps them.
_FOLD = """
import gc, sys, time
gc.set_threshold(50_000, 50, 100)  # as the CLI does
from grove.commands.source import fold_recording
try:
    from grove.events.recordings.reader import Recording
except ImportError:
    from grove.events.recording import Recording
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    state = fold_recording(Recording(sys.argv[1]), None)
    times.append(time.perf_counter() - t0)
    del state
    gc.collect()
print(" ".join(f"{t:.3f}" for t in times))
"""

_TUI_LINE = re.compile(r"^(streaming|  event to screen|keypress|  \S.*p50)")


def _python(checkout: Path) -> Path:
    return checkout / ".venv" / "bin" / "python"


def _cold(checkout: Path, args: list[str], runs: int) -> list[float]:
    exe = checkout / ".venv" / "bin" / "kubectl-grove"
    env = {**os.environ, "NO_COLOR": "1"}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), *args], cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return times


def _fold(checkout: Path, recording: Path, runs: int) -> list[float]:
    out = subprocess.run(
        [str(_python(checkout)), "-c", _FOLD, str(recording), str(runs)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(t) for t in out.stdout.split()]


def _tui(checkout: Path) -> list[str]:
    out = subprocess.run(
        [str(_python(checkout)), "benchmarks/bench_tui.py", *TUI_SHAPE],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in out.stdout.splitlines() if _TUI_LINE.match(line)]


def _ensure_recording(path: Path, events: int) -> int:
    """Writes the synthetic recording if missing (this checkout's generator); its number of events."""
    if not path.exists():
        from grove.events.recordings.format import Header
        from grove.events.recordings.writer import write_recording
        from grove.simulate.synthetic import synthetic_events

        t0 = time.perf_counter()
        stream = synthetic_events(nodes=1_000, pcs_count=20, pods=10_000, churn_events=events, seed=7)
        first = next(stream)
        write_recording(path, Header(start=first.at, note="benchmark"), itertools.chain([first], stream))
        print(f"recording written in {time.perf_counter() - t0:.0f} s: {path}")
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1  # less the header


def _revision(checkout: Path) -> str:
    out = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=checkout, capture_output=True, text=True)
    return out.stdout.strip()[:90]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the revision before")
    parser.add_argument("--after", type=Path, default=ROOT, help="checkout of the revision after (default: this one)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (before, after) per figure")
    parser.add_argument("--runs", type=int, default=9, help="cold starts per round")
    parser.add_argument("--folds", type=int, default=2, help="folds of the recording per round")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--recording", type=Path, default=Path("/tmp/synthetic-1m.jsonl"))
    parser.add_argument("--skip", action="append", default=[], choices=["startup", "fold", "tui"])
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    for side, checkout in sides.items():
        print(f"{side}: {_revision(checkout)}  ({checkout})")
    print(_load())

    if "startup" not in args.skip:
        cold: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for side, checkout in sides.items():
                cold.setdefault((side, "help"), []).extend(_cold(checkout, ["--help"], args.runs))
                replay = ["status", "--replay", str(REPLAY)]
                cold.setdefault((side, "status"), []).extend(_cold(checkout, replay, args.runs))
        for what, goal in (("help", 0.15), ("status", 0.3)):
            label = "--help" if what == "help" else "status --replay disagg-fragmented"
            for side in sides:
                times = cold[(side, what)]
                print(
                    f"{label:<36} {side:<6} best {min(times):.3f} s  median {statistics.median(times):.3f} s"
                    f"  (n={len(times)})  goal <= {goal} s"
                )
        print(_load())

    if "fold" not in args.skip:
        n = _ensure_recording(args.recording, args.events)
        folds: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for side, checkout in sides.items():
                folds.setdefault(side, []).extend(_fold(checkout, args.recording, args.folds))
                print(f"  fold {side}: {' '.join(f'{t:.1f}' for t in folds[side][-args.folds :])} s   ({_load()})")
        for side in sides:
            best, median = min(folds[side]), statistics.median(folds[side])
            print(
                f"fold_recording, {n:,} events  {side:<6} best {best:.2f} s ({n / best:,.0f} events/s)  "
                f"median {median:.2f} s ({n / median:,.0f} events/s)  goal >= 200,000 events/s"
            )
        print(_load())

    if "tui" not in args.skip:
        for round_ in range(args.rounds):
            for side, checkout in sides.items():
                print(f"bench_tui {' '.join(TUI_SHAPE)}, {side}, round {round_ + 1} ({_load()}):")
                for line in _tui(checkout):
                    print(f"  {line}")
        print(_load())
    sys.stdout.flush()


if __name__ == "__main__":
    main()

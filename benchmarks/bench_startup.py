"""Cold-start wall time of ``kubectl-grove status --replay`` (goal <= 0.3 s), ``--help`` and the completion of a
subcommand list (goal <= 0.15 s each, without importing the Kubernetes client or Textual). Best and median of several
runs; prints figures, never fails on time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9


def timed(args: list[str]) -> list[float]:
    times = []
    env = {**os.environ, "NO_COLOR": "1"}
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t0)
    return times


def report(label: str, times: list[float], goal: float) -> None:
    print(f"{label:<45} best {min(times):.3f} s   median {statistics.median(times):.3f} s   goal <= {goal} s")


def main() -> None:
    exe = str(Path(sys.executable).with_name("kubectl-grove"))
    replay = str(ROOT / "replays" / "disagg-fragmented.jsonl")
    report("kubectl-grove --help", timed([exe, "--help"]), 0.15)
    complete = str(Path(sys.executable).with_name("kubectl_complete-grove"))
    report("kubectl_complete-grove '' (subcommands)", timed([complete, ""]), 0.15)
    report("kubectl_complete-grove status --o (flags)", timed([complete, "status", "--o"]), 0.15)
    report("kubectl-grove status --replay disagg-fragmented", timed([exe, "status", "--replay", replay]), 0.3)
    report(
        "kubectl-grove topology my-inference --replay …",
        timed([exe, "topology", "my-inference", "--replay", replay]),
        0.3,
    )
    code = (
        "import sys\nfrom grove.commands.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('kubernetes', 'textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    print(f"heavy modules imported by --help: {out.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()

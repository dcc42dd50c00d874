"""A loopback Kubernetes API server for trying kubectl-grove live without a cluster (development aid).

    .venv/bin/python scripts/dev_server.py --replay replays/disagg-fragmented.jsonl --kubeconfig /tmp/grove.kubeconfig
    KUBECONFIG=/tmp/grove.kubeconfig .venv/bin/kubectl-grove status -A -w

Gives the test server (tests/support/kube_server.py) the recording's state at ``--from`` s, then, with ``--play``,
applies the rest of the recording to the server in real time (times ``--speed``) so that watches see pods being
created, scheduled, becoming ready and deleted. ``--forbid Node`` answers 403 for a kind. Runs until Ctrl+C.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.events.model import Applied, Listed, Removed
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from tests.support.kube_server import KubeServer, write_kubeconfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replay", required=True)
    parser.add_argument("--kubeconfig", required=True, help="where to write a kubeconfig pointing at the server")
    parser.add_argument("--namespace", default="default", help="the context's namespace")
    parser.add_argument("--from", dest="start", type=float, default=None, help="seed with the state at this offset")
    parser.add_argument("--play", action="store_true", help="then apply the rest of the recording in real time")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--forbid", action="append", default=[], metavar="KIND", help="answer 403 for this kind")
    args = parser.parse_args()

    recording = Recording(args.replay)
    events = recording.load()
    start = recording.header.start + (args.start if args.start is not None else events[-1].at - recording.header.start)
    seed_events = [e for e in events if e.at <= start]
    rest = [e for e in events if e.at > start]
    state = fold(seed_events)
    server = KubeServer(forbidden={kind: "readonly" for kind in args.forbid}).start()
    server.seed_state({kind: list(objs.values()) for kind, objs in state.objects.items()})
    write_kubeconfig(Path(args.kubeconfig), server.url, args.namespace, token="dev-token")
    print(f"serving {args.replay} on {server.url}; kubeconfig: {args.kubeconfig}", flush=True)
    try:
        previous = start
        for event in rest if args.play else []:
            time.sleep(max(0.0, (event.at - previous) / args.speed))
            previous = event.at
            if isinstance(event, Applied):
                server.put(event.kind, event.object)
            elif isinstance(event, Removed):
                meta = event.object.get("metadata", {})
                server.delete(event.kind, meta.get("namespace", ""), meta.get("name", ""))
            elif isinstance(event, Listed):
                for obj in event.objects:
                    server.put(event.kind, obj)
        if args.play:
            print("recording played to its end; still serving", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

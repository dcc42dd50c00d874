"""rollout status: per-role progress, the replica updating, what holds it up; -w follows; exit 1 on timeout."""

from __future__ import annotations

import re

from tests.commands.lifecycle.conftest import REPLAYS, Run, stored
from tests.support.kube_server import KubeServer

ROLLING = str(REPLAYS / "rolling-update.jsonl")


def test_status_in_the_middle_of_the_recorded_rolling_update(run: Run) -> None:
    code, out, err = run("rollout", "status", "llm-serve", "--replay", ROLLING, "--at", "30s", live=False)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "llm-serve (prod): rolling update in progress; strategy RollingRecreate; replicas updated 0/2"
    assert lines[1] == "  updating PCS replica 0"
    assert lines[2].startswith("  decode ") and lines[2].endswith(" 5/8 updated")
    assert lines[3].startswith("  prefill") and lines[3].endswith(" 4/6 updated")
    assert lines[4].startswith("  waiting on PodClique llm-serve-0-decode: pod llm-serve-0-decode-")


def test_before_any_update_there_is_nothing_to_wait_for(run: Run) -> None:
    code, out, _ = run("rollout", "status", "llm-serve", "--replay", ROLLING, "--at", "0", "-w", live=False)
    assert code == 0 and "no update recorded" in out


def test_follow_prints_each_change_and_fails_with_the_reason_at_the_timeout(run: Run) -> None:
    code, out, err = run("rollout", "status", "llm-serve", "--replay", ROLLING, "--at", "30s", "-w", "--timeout",
                         "20s", live=False)  # fmt: skip
    assert code == 1 and err.startswith("error: timed out after 20s: PodClique llm-serve-0-decode: pod ")
    assert "[+" in out and "6/8 updated" in out


def test_follow_to_the_end_of_a_recording_that_never_completes(run: Run) -> None:
    code, out, err = run("rollout", "status", "llm-serve", "--replay", ROLLING, "--at", "30s", "-w", live=False)
    assert code == 1 and "before the rollout completes" in err
    assert "7/8 updated" in out


def test_live_status_of_a_finished_update_exits_zero(server: KubeServer, run: Run) -> None:
    pcs = stored(server, "PodCliqueSet", "inference", "llama-70b")
    status = {**pcs.get("status", {}), "updateProgress": {"updateStartedAt": "2026-11-28T12:00:00Z",
                                                          "updateEndedAt": "2026-11-28T12:05:00Z"}}  # fmt: skip
    server.put("PodCliqueSet", {**pcs, "status": status})
    code, out, err = run("rollout", "status", "llama-70b", "-w", "--timeout", "5s")
    assert code == 0, err
    assert out.startswith("llama-70b (inference): rollout complete; strategy RollingRecreate")


def test_live_follow_gives_up_at_the_timeout_with_the_reason(server: KubeServer, run: Run) -> None:
    code, out, err = run("rollout", "status", "llm-serve", "-n", "prod", "-w", "--timeout", "1s")
    assert code == 1 and err.startswith("error: timed out after 1s: PodClique llm-serve-0-decode: pod ")
    assert "rolling update in progress" in out


def test_the_pod_holding_the_rollout_up_in_crash_loop(server: KubeServer, run: Run) -> None:
    pod = stored(server, "Pod", "prod", "llm-serve-0-decode-64j98")
    pod["spec"]["nodeName"] = pod["spec"].get("nodeName") or "gpu-node-1"
    pod["status"] = {"phase": "Running", "containerStatuses": [{"name": "decode", "ready": False, "restartCount": 5,
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}  # fmt: skip
    server.put("Pod", pod)
    code, out, _ = run("rollout", "status", "llm-serve", "-n", "prod")
    assert code == 0
    holdup = "PodClique llm-serve-0-decode: pod llm-serve-0-decode-64j98 CrashLoopBackOff, 5 restarts"
    assert out.splitlines()[-2:] == [
        f"  waiting on {holdup}",
        f"  estimate: the simulation does not see it finish: {holdup} (the model does not heal crashing pods)",
    ]


def _estimate(run: Run, at: str) -> float:
    code, out, err = run("rollout", "status", "llm-serve", "--replay", ROLLING, "--at", at, live=False)
    assert code == 0, err
    (line,) = [x for x in out.splitlines() if x.startswith("  estimate: ")]
    match = re.match(r"  estimate: about (?:(\d+)m)?(\d+)s left \(simulated in Grove's order; pods Ready ", line)
    assert match is not None, line
    return int(match.group(1) or 0) * 60 + int(match.group(2))


def test_the_estimate_continues_the_update_under_way(run: Run) -> None:
    """Mid-rollout the simulation continues Grove's update from where it is (not a new template: that would be 0 s):
    what is left shrinks as the recording goes on, and covers replica 1, which has not started."""
    early, later = _estimate(run, "30s"), _estimate(run, "100s")
    assert later < early
    assert 120 < later < 300  # replica 0's last decode pod, then all of replica 1 (7 pods, one at a time per clique)

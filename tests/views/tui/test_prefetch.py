"""The prefetcher computes named tasks on its own thread, newest request first, and never computes one twice."""

from __future__ import annotations

import threading

from grove.views.tui.prefetch import Prefetcher


def test_tasks_run_in_order_and_a_newer_request_replaces_waiting_ones() -> None:
    prefetcher = Prefetcher()
    release = threading.Event()
    done: list[str] = []
    try:
        prefetcher.request([("slow", lambda: release.wait(5)), ("stale", lambda: done.append("stale"))])
        prefetcher.request([("a", lambda: done.append("a")), ("b", lambda: done.append("b"))])
        release.set()
        for _ in range(500):
            if not prefetcher.busy:
                break
            threading.Event().wait(0.01)
        assert done == ["a", "b"]
    finally:
        prefetcher.stop()


def test_join_waits_for_the_running_task_and_drops_a_waiting_one() -> None:
    prefetcher = Prefetcher()
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        done.append("slow")

    try:
        prefetcher.request([("slow", slow), ("later", lambda: done.append("later"))])
        assert started.wait(5)
        prefetcher.join("later")  # waiting: dropped (the caller computes it)
        threading.Timer(0.05, release.set).start()
        prefetcher.join("slow")  # running: waited for
        assert done == ["slow"]
    finally:
        prefetcher.stop()


def test_a_failing_task_does_not_stop_the_others() -> None:
    prefetcher = Prefetcher()
    done = threading.Event()
    try:
        prefetcher.request([("boom", lambda: 1 / 0), ("ok", done.set)])
        assert done.wait(5)
    finally:
        prefetcher.stop()


def test_work_starts_only_once_requests_rest() -> None:
    prefetcher = Prefetcher(rest=0.3)
    done: list[str] = []
    try:
        prefetcher.request([("first", lambda: done.append("first"))])
        threading.Event().wait(0.1)
        prefetcher.request([("second", lambda: done.append("second"))])  # within the rest: replaces, restarts it
        threading.Event().wait(0.1)
        assert done == []
        for _ in range(200):
            if done:
                break
            threading.Event().wait(0.01)
        assert done == ["second"]
    finally:
        prefetcher.stop()

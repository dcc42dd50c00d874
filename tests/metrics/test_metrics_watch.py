"""``metrics -w``: before the first window is covered it says how far collecting has got (no numbers over less than
the window); then it shows the numbers and recomputes them once per window."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from grove.commands.metrics import WatchScreen
from grove.events.model import Listed, MetricsSampled
from grove.reducers.reduce import fold_one_by_one, reduce
from grove.reducers.state import State
from tests.metrics import world as w


def _text(renderable: object) -> str:
    out = StringIO()
    Console(file=out, width=160, color_system=None, force_terminal=False).print(renderable)
    return out.getvalue()


def _state() -> State:
    return fold_one_by_one([Listed(990.0, kind, tuple(items)) for kind, items in w.objects().items()])


def _sampled(state: State, at: float, tokens: float, pods: tuple[str, ...] = ("fe-0",)) -> State:
    for pod in pods:
        series = {"generation_tokens": tokens, "running": 3.0, "waiting": 1.0}
        state = reduce(state, MetricsSampled(at, w.NS, pod, "dynamo-frontend", series, "", "8000/metrics"))
    return state


def test_collecting_until_the_first_window_is_covered_then_once_per_window() -> None:
    screen = WatchScreen(30.0)
    state = _state()
    before = _text(screen.frame(state, w.NS, "disagg", 995.0))
    assert "first window: 0 s of 30 s" in before
    assert "scraping 4 pods" in before
    state = reduce(state, MetricsSampled(1000.0, w.NS, "decode-0", "vllm", {}, "not running (Pending): no metrics"))
    state = _sampled(state, 1000.0, 1000.0)
    state = _sampled(state, 1012.0, 1600.0)
    early = _text(screen.frame(state, w.NS, "disagg", 1012.4))
    assert "first window: 12 s of 30 s" in early
    assert "1 of 4 pods answered" in early
    assert "decode-0: not running (Pending)" in early  # problems show at once
    assert "OUTPUT TOK/S" not in early and "50" not in early  # 600 tokens over 12 s: not shown as a window's rate
    state = _sampled(state, 1030.0, 2500.0)
    first = _text(screen.frame(state, w.NS, "disagg", 1030.5))
    assert "OUTPUT TOK/S" in first and "collecting" not in first
    assert "serving: 50 output tokens/s" in first  # (2500 - 1000) / 30 s
    assert "next in 30s" in first
    state = _sampled(state, 1040.0, 4500.0)
    between = _text(screen.frame(state, w.NS, "disagg", 1040.5))
    assert "serving: 50 output tokens/s" in between  # the same window until the next one is due
    assert "next in 20s" in between
    state = _sampled(state, 1060.0, 4500.0)
    second = _text(screen.frame(state, w.NS, "disagg", 1060.5))
    assert "serving: 67 output tokens/s" in second  # (4500 - 2500) / 30 s
    assert "next in 30s" in second


def test_a_window_no_pod_covers_alone_shows_after_two_windows() -> None:
    screen = WatchScreen(30.0)
    state = _sampled(_state(), 1000.0, 0.0, pods=("fe-0",))
    state = _sampled(state, 1020.0, 200.0, pods=("fe-0",))
    assert "first window: 20 s of 30 s" in _text(screen.frame(state, w.NS, "disagg", 1020.0))
    assert "first window: 30 s of 30 s" in _text(screen.frame(state, w.NS, "disagg", 1059.0))
    shown = _text(screen.frame(state, w.NS, "disagg", 1060.0))
    assert "OUTPUT TOK/S" in shown and "serving: 10 output tokens/s" in shown  # 200 tokens over the 20 s there are

"""When a screen paints: at most one frame per period (as Textual's own timer), but a frame asked for later than one
period after the last one is painted at once, and one asked for sooner waits only for the rest of the period.

Textual repaints a screen on a timer paused while nothing changed. After a pause it paints at once, then realigns
to its grid with one period too many: the frame after a late one comes 1 to 2 periods (17-33 ms at 60 fps) later.
A key that changes the screen in two steps (the cursor, then the pane that follows it; a new screen, then its
layout) lost that much between its first frame and the one that shows it all, and so did every key while states
stream in (each state is a frame). ``FrameTimer`` keeps the same limit, one frame per period, without the extra wait.

It replaces the screen's timer through Textual internals (the ``_update_timer`` property, ``Timer._run``/``_tick``);
on a Textual that does not have them as ``textual_compat`` declares, ``update_timer`` returns None and the screen
keeps its own timer.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from textual import _time, constants
from textual.screen import Screen
from textual.timer import EventTargetGone, Timer

from grove.views.tui import textual_compat


def next_frame(last: float, now: float, period: float) -> float:
    """When a frame asked for at ``now`` is painted, the last one having been painted at ``last``."""
    return max(now, last + period)


class FrameTimer(Timer):
    """Textual's screen timer (a callback per frame while it is resumed) scheduled by ``next_frame``."""

    async def _run(self) -> None:
        last = -math.inf
        count = 0
        while True:
            await self._active.wait()
            wait = next_frame(last, _time.get_time(), self._interval) - _time.get_time()
            if wait > 0:
                await asyncio.sleep(wait)
                await self._active.wait()  # paused meanwhile: wait for the next change
            last = _time.get_time()
            count += 1
            try:
                await self._tick(next_timer=last, count=count)
            except EventTargetGone:
                return


def update_timer(screen: Screen[Any]) -> Timer | None:
    """The screen's update timer, a ``FrameTimer`` made on first use (None on a Textual without the internals)."""
    if not textual_compat.available("frames"):
        return None
    timer = screen.__dict__.get("_grove_frame_timer")
    if timer is None:
        period = 1 / constants.MAX_FPS
        timer = FrameTimer(screen, period, name="screen_update", callback=screen._on_timer_update, pause=True)
        timer._start()
        screen._timers.add(timer)  # stopped with the screen's other timers
        screen.__dict__["_grove_frame_timer"] = timer
    return timer

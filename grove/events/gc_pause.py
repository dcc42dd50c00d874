"""Folding many events builds millions of small objects that live on (in the state, in snapshots) and form no
reference cycles. The cyclic collector would scan them again and again while they are made, for nothing: a few
tenths of a second on a long replay, over a second on decoding a 10,000-pod cluster's lists (decode, clean and slim:
3.9 s with the collector, 1.5-1.7 s without, measured once on this project's machine). Folds of whole recordings and
one-shot reads run with it paused."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused(*, then_freeze: bool = False) -> Iterator[None]:
    """``then_freeze``: what was made meanwhile is left out of every later collection (``gc.freeze``). Otherwise
    the first allocation after the pause runs a collection over everything made during it (~0.3 s after a
    10,000-pod read): worth skipping when the process ends soon after, as a one-shot read does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if then_freeze:
            gc.freeze()
        if enabled:
            gc.enable()

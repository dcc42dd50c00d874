"""Folding many events builds millions of small objects that live on (in the state, in snapshots) and form no
reference cycles. The cyclic collector would scan them again and again while they are made, for nothing: a few
tenths of a second on a long replay. Folds of whole recordings run with it paused."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

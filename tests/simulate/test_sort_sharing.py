"""The store sorts a custom resource's keys at every level as the API server returns them, taking over the parts a
new version shares with the version before (``cluster._sort_sharing``): whatever the new version shares, copies or
changes, the result must be ``sort_deep`` of it, key order included."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.simulate.cluster import _sort_sharing
from grove.simulate.names import sort_deep

JSON = st.recursive(
    st.none() | st.integers(-3, 3) | st.text("ab", max_size=2),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text("abcd", max_size=2), kids, max_size=4),
    max_leaves=24,
)


def _remix(before: Any, other: Any, rnd: random.Random) -> Any:
    """A new version of ``before``: each part the very object, a copy (keys shuffled, elements added or dropped) with
    its parts remixed, or a part of ``other``."""
    choice = rnd.random()
    if choice < 0.3:
        return before
    if choice < 0.4:
        return other
    if isinstance(before, dict):
        keys = list(before)
        rnd.shuffle(keys)
        out = {k: _remix(before[k], other, rnd) for k in keys if rnd.random() < 0.9}
        if rnd.random() < 0.3:
            out["new"] = other
        return out
    if isinstance(before, list):
        out_list = [_remix(v, other, rnd) for v in before if rnd.random() < 0.9]
        if rnd.random() < 0.3:
            out_list.insert(rnd.randrange(len(out_list) + 1), other)
        if rnd.random() < 0.2:
            rnd.shuffle(out_list)
        return out_list
    return other


@settings(max_examples=300)
@given(JSON, JSON, st.randoms(use_true_random=False))
def test_sorting_while_sharing_gives_a_deep_sort(raw: Any, other: Any, rnd: random.Random) -> None:
    before = sort_deep(raw)
    value = _remix(before, other, rnd)
    assert json.dumps(_sort_sharing(value, before)) == json.dumps(sort_deep(value))  # dumps keeps the key order

"""The 'lists have come in' conditions: what each source status means for a kind's list, in one place."""

from __future__ import annotations

from grove.events.model import Listed, SourceHealthChanged, SourceStatus
from grove.reducers.batch import fold
from grove.reducers.listing import answered, cannot_list, connecting, settled, still_loading

AT = 1_793_610_000.0
KINDS = ("Pod", "Node")


def test_a_connecting_source_is_loading_and_not_settled() -> None:
    state = fold([SourceHealthChanged(AT, "Pod", SourceStatus.CONNECTING, "4,500 / ~10,000")])
    assert still_loading(state) and connecting(state, "Pod") and connecting(state, "Node")
    assert not settled(state, KINDS) and not answered(state, KINDS)


def test_forbidden_settles_a_kind_without_a_list() -> None:
    state = fold(
        [
            SourceHealthChanged(AT, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden"),
            Listed(AT + 1, "Pod", ()),
            SourceHealthChanged(AT + 1, "Pod", SourceStatus.LIVE),
        ]
    )
    assert cannot_list(state, "Node") and not cannot_list(state, "Pod")
    assert not still_loading(state) and settled(state, KINDS) and answered(state, KINDS)


def test_listed_but_not_yet_live_is_settled_not_answered() -> None:
    state = fold(
        [
            SourceHealthChanged(AT, "Pod", SourceStatus.CONNECTING),
            SourceHealthChanged(AT, "Node", SourceStatus.NOT_INSTALLED),
            Listed(AT + 1, "Pod", ()),
        ]
    )
    assert settled(state, KINDS) and not answered(state, KINDS)


def test_a_failed_first_list_is_not_loading_but_not_settled() -> None:
    """RECONNECTING before any list: the views stop showing "Loading" (the problem is shown), reads keep waiting."""
    state = fold([SourceHealthChanged(AT, "Pod", SourceStatus.RECONNECTING, "connection refused")])
    assert not still_loading(state) and not connecting(state, "Pod")
    assert not settled(state, ("Pod",))

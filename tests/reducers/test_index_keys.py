"""The fused fast paths for pod and event index keys give what the per-index key functions give, whatever the shape."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.events import kinds
from grove.reducers.indexes import INDEX_KEYS, INDEXES

text = st.one_of(st.none(), st.just(""), st.sampled_from(["prod", "a", "n1"]), st.integers(0, 2))
maybe_dict = st.one_of(
    st.none(), st.integers(), st.fixed_dictionaries({}, optional={"kind": text, "name": text, "namespace": text})
)

pods = st.fixed_dictionaries(
    {
        "metadata": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"namespace": text},
                optional={
                    "labels": st.one_of(
                        st.none(),
                        st.dictionaries(st.sampled_from(["grove.io/podclique", "grove.io/podgang", "x"]), text),
                    ),
                    "ownerReferences": st.just([{"kind": "PodClique", "name": "owner", "controller": True}]),
                },
            ),
        ),
    },
    optional={"spec": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"nodeName": text}))},
)

_MISSING = object()
_VALUES = (_MISSING, None, "", "x", 1)


def _events() -> list[dict[str, Any]]:
    """Every combination of subject fields (missing, null, empty, set, not a string) and event namespaces."""
    out = []
    for kind, name, namespace, own_namespace, field in itertools.product(
        _VALUES, _VALUES, _VALUES, (_MISSING, "", "prod"), ("involvedObject", "regarding", "both")
    ):
        subject = {k: v for k, v in (("kind", kind), ("name", name), ("namespace", namespace)) if v is not _MISSING}
        event: dict[str, Any] = {"metadata": {} if own_namespace is _MISSING else {"namespace": own_namespace}}
        if field in ("involvedObject", "both"):
            event["involvedObject"] = subject
        if field in ("regarding", "both"):
            event["regarding"] = dict(subject, name="other") if field == "both" else subject
        out.append(event)
    return out


def _reference(kind: str, obj: Any) -> tuple[Any, ...]:
    out = []
    for _, fn in INDEXES[kind]:
        try:
            out.append(fn(obj))
        except Exception:
            out.append(None)
    return tuple(out)


@settings(max_examples=500, deadline=None)
@given(pods)
def test_pod_keys_match_the_per_index_functions(pod: Any) -> None:
    assert INDEX_KEYS[kinds.POD][1](pod) == _reference(kinds.POD, pod)


def test_event_keys_match_the_per_index_functions() -> None:
    for event in _events():
        assert INDEX_KEYS[kinds.EVENT][1](event) == _reference(kinds.EVENT, event), event

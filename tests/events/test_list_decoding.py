"""List pages decoded by schema: ``managedFields`` never built, everything else as a plain JSON decode gives it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from grove.events.kube.list_decoding import CLOSED_KINDS, InvalidJSON, list_decoder
from grove.events.model import Listed
from grove.events.recordings.compaction import compacted_events
from grove.events.recordings.reader import Recording
from tests.support.managed_fields import with_managed_fields

ROOT = Path(__file__).resolve().parents[2]


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return {**obj, "metadata": meta}


def _listed_objects() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((ROOT / "replays").glob("*.jsonl")):
        for event in compacted_events(Recording(str(path)), None):
            if isinstance(event, Listed):
                out += [(event.kind, dict(o)) for o in event.objects]
    return out


def test_every_closed_kind_decodes_as_plain_json_less_managed_fields() -> None:
    objects = _listed_objects()
    seen = set()
    for kind in sorted({k for k, _ in objects}):
        items = [with_managed_fields(kind, o) for k, o in objects if k == kind]
        for item in items:
            item["metadata"]["selfLink"] = "/x"  # a field no recording has, kept all the same
        page = orjson.dumps(
            {"kind": f"{kind}List", "metadata": {"resourceVersion": "7", "continue": "c"}, "items": items}
        )
        decoded = list_decoder(kind)(page)
        plain = orjson.loads(page)
        if kind in CLOSED_KINDS:
            seen.add(kind)
            assert any("managedFields" in i["metadata"] for i in plain["items"]) or kind not in ("Pod", "Node")
            assert decoded == {**plain, "items": [_without_managed_fields(i) for i in plain["items"]]}
        else:
            assert decoded == plain  # an Event keeps its top-level fields (reason, involvedObject, ...)
    assert {"Pod", "Node", "PodClique", "PodCliqueSet", "PodGang"} <= seen


def test_json_that_is_not_a_list_of_objects_decodes_plainly() -> None:
    decode = list_decoder("Pod")
    status = {"kind": "Status", "status": "Failure", "code": 410, "reason": "Expired"}
    assert decode(orjson.dumps(status)) == status
    odd = {"kind": "PodList", "items": ["not an object", 3]}
    assert decode(orjson.dumps(odd)) == odd


@pytest.mark.parametrize("kind", ["Pod", "Event"])
def test_bytes_that_are_not_json_say_so(kind: str) -> None:
    with pytest.raises(InvalidJSON) as caught:
        list_decoder(kind)(b'{"items": [')
    assert caught.value.msg

"""The benchmark's wire follows every page of every list, whichever end of the body the token is at."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _bench_live() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_live", ROOT / "benchmarks" / "bench_live.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _items(count: int) -> list[dict[str, object]]:
    return [{"metadata": {"name": f"clique-{i:05d}", "labels": {"app": "x" * 40}}} for i in range(count)]


def test_the_token_of_a_custom_resource_list_is_read_from_the_end_of_the_body() -> None:
    # A custom resource's list is written with its keys sorted: the metadata comes after thousands of bytes of items.
    body = json.dumps(
        {"apiVersion": "grove.io/v1alpha1", "items": _items(200), "kind": "PodCliqueList",
         "metadata": {"continue": "eyJ2IjoiY3IifQ", "remainingItemCount": 2338, "resourceVersion": "41"}},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    assert body.find(b'"continue"') > 4096
    assert _bench_live().continue_token(body) == "eyJ2IjoiY3IifQ"


def test_the_token_of_a_built_in_list_is_read_from_its_start() -> None:
    body = json.dumps(
        {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7", "continue": "eyJ2IjoicG9kIn0"},
         "items": _items(200)},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    assert _bench_live().continue_token(body) == "eyJ2IjoicG9kIn0"


def test_a_last_page_has_no_token() -> None:
    for body in (
        json.dumps({"apiVersion": "grove.io/v1alpha1", "items": _items(200), "kind": "PodCliqueList",
                    "metadata": {"resourceVersion": "41"}}).encode(),
        json.dumps({"kind": "PodList", "metadata": {"resourceVersion": "7"}, "items": []}).encode(),
    ):  # fmt: skip
        assert _bench_live().continue_token(body) == ""

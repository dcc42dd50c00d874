"""Pages of a list: the next one is requested from the token in a page's first bytes, before the page is decoded."""

from __future__ import annotations

import threading

import orjson
import pytest

from grove.events.paging import continue_token_in_head, decoded_pages


def _page(items: list[int], cont: str | None) -> bytes:
    meta = {"resourceVersion": "7", **({"continue": cont, "remainingItemCount": 3} if cont else {})}
    return orjson.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items})


def test_the_token_is_read_from_the_head_before_the_items() -> None:
    assert continue_token_in_head(_page([1], "abc")) == "abc"
    assert continue_token_in_head(_page([1], None)) is None
    items_first = orjson.dumps({"items": [{"continue": "x"}], "metadata": {"continue": "abc"}})
    assert continue_token_in_head(items_first) is None  # a field of an item is not the list's token
    assert continue_token_in_head(b'{"metadata":{"continue":"a\\u0041"},"items":[]}') is None  # escaped: not read raw


def test_pages_come_in_order_and_the_next_download_starts_before_decoding() -> None:
    pages = {None: _page([1, 2], "t1"), "t1": _page([3], "t2"), "t2": _page([4], None)}
    fetched: list[str | None] = []
    second_requested = threading.Event()

    def fetch(token: str | None) -> bytes:
        fetched.append(token)
        if token == "t1":
            second_requested.set()
        return pages[token]

    def decode(raw: bytes) -> object:
        if raw == pages[None]:
            assert second_requested.wait(5), "the second page was not requested while the first was decoded"
        return orjson.loads(raw)

    bodies = list(decoded_pages(fetch, decode))
    assert [b["items"] for b in bodies] == [[1, 2], [3], [4]]
    assert fetched == [None, "t1", "t2"]


def test_a_token_not_found_in_the_head_is_followed_after_decoding() -> None:
    late = orjson.dumps({"items": [1], "metadata": {"continue": "t1"}})
    pages = {None: late, "t1": _page([2], None)}
    fetched: list[str | None] = []

    def fetch(token: str | None) -> bytes:
        fetched.append(token)
        return pages[token]

    assert [b["items"] for b in decoded_pages(fetch)] == [[1], [2]]
    assert fetched == [None, "t1"]


def test_an_error_fetching_the_next_page_reaches_the_reader() -> None:
    def fetch(token: str | None) -> bytes:
        if token is None:
            return _page([1], "t1")
        raise ConnectionError("gone away")

    pages = decoded_pages(fetch)
    assert next(pages)["items"] == [1]
    with pytest.raises(ConnectionError, match="gone away"):
        next(pages)

"""The pages of a paged list, each one downloading while the one before is decoded.

The API server writes a list's ``metadata`` (with the ``continue`` token) before its ``items``, so the token of the
next page can be read from the first bytes of a page, and that page requested at once, in a thread of its own, while
this one is decoded and its objects prepared. Decoding holds the interpreter; the download mostly waits on the
socket, which does not: the two overlap. When the token is not where expected, or differs from the decoded one, the
next page is simply requested after decoding, as without this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson

_HEAD = 4096
_CONTINUE = b'"continue":"'


def continue_token_in_head(raw: bytes) -> str | None:
    """The ``continue`` token of a list body, read from its first bytes (None when not found before the items)."""
    head = raw[:_HEAD]
    items = head.find(b'"items":')
    at = head.find(_CONTINUE)
    if at < 0 or (0 <= items < at):
        return None
    start = at + len(_CONTINUE)
    end = head.find(b'"', start)
    if end < 0 or b"\\" in head[start:end]:
        return None
    return head[start:end].decode("ascii", "replace") or None


class _Prefetch:
    """One page requested in a thread; ``result()`` waits for its bytes or re-raises its error."""

    def __init__(self, fetch: Callable[[str], bytes], token: str) -> None:
        self.token = token
        self._raw: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fetch,), name="grove-page", daemon=True)
        self._thread.start()

    def _run(self, fetch: Callable[[str], bytes]) -> None:
        try:
            self._raw = fetch(self.token)
        except BaseException as exc:  # handed over to the reading thread
            self._error = exc

    def result(self) -> bytes:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._raw is not None
        return self._raw


def decoded_pages(fetch: Callable[[str | None], bytes], decode: Callable[[bytes], Any] = orjson.loads) -> Iterator[Any]:
    """Each page's decoded body: ``fetch(None)`` is the first page, ``fetch(token)`` the next. Stops after the page
    without a ``continue`` token; errors of ``fetch`` and ``decode`` propagate."""
    raw = fetch(None)
    while True:
        token = continue_token_in_head(raw)
        ahead = _Prefetch(fetch, token) if token else None
        body = decode(raw)
        del raw
        yield body
        meta = body.get("metadata") if isinstance(body, dict) else None
        cont = meta.get("continue") if isinstance(meta, dict) else None
        if not cont:
            return
        raw = ahead.result() if ahead is not None and ahead.token == cont else fetch(str(cont))

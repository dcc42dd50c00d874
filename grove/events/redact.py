"""Redaction of credentials in Kubernetes objects and in free text (logs, event messages): pure functions.

Why here, beside ``strip_object``: redaction transforms raw objects *before* they become events, so that whatever is
made of them afterwards (YAML files, a recording, rendered views) inherits it; and this package is held by an import
contract to no I/O, UI or Kubernetes-client imports, which is what a function deciding what may leave a cluster needs.

What is replaced by ``MARKER`` (the secret itself never appears in a ``Redaction``):

- every container env ``value`` at any depth (pods, PodClique ``podSpec``, PodCliqueSet clique templates);
  ``valueFrom`` references stay, they name a Secret or ConfigMap key, not its content;
- every annotation or label value whose key names a credential (token, password, secret, api key, ...) or whose value
  looks like one (the text patterns below); ``kubectl.kubernetes.io/last-applied-configuration`` entirely, since it
  holds a copy of the object as applied, env values included;
- in ``command``/``args`` entries and in ``message``/``note`` strings: the matches of the text patterns, and the value
  following a credential-naming flag given as its own argument (``["--api-key", "..."]``).

Text patterns: private key blocks, bearer/basic authorization, user:password in URLs, JWTs, AWS access key ids,
``key=value`` / ``key: value`` / ``--key value`` where the key names a credential, and well-known token formats
(GitHub, Hugging Face, NVIDIA NGC, OpenAI, Slack, Google API keys).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias

import attrs

from grove.events.model import KubeObject

MARKER: Final = "[REDACTED]"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"


@attrs.frozen
class Redaction:
    """One thing replaced: in which object or file, which field (or lines), and why; never the value."""

    where: str  # "Pod demo/web-0", or a file inside the bundle
    field: str  # "spec.containers[main].env[API_KEY].value", "metadata.annotations[vault/token]", "lines 3, 9"
    reason: str
    count: int = 1

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"where": self.where, "field": self.field, "reason": self.reason}
        if self.count != 1:
            out["count"] = self.count
        return out


# ------------------------------------------------------------------------------------------------- key names

_CREDENTIAL_WORDS: Final = frozenset(
    {
        "token",  # not "tokens": in inference workloads that is a count (max-tokens)
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "authorization",
        "bearer",
        "cookie",
        "privatekey",
        "accesskey",
        "secretkey",
    }
)
_KEY_QUALIFIERS: Final = frozenset({"api", "access", "private", "secret", "signing", "encryption", "ssh", "client"})
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def credential_word(key: str) -> str | None:
    """The word in a label/annotation key (its name part, after the ``/``) that names a credential, if any.

    ``vault.example/db-password`` → ``password``; ``apiKey`` → ``api key``; ``max-tokens-limit`` → ``tokens``.
    """
    name = key.rsplit("/", 1)[-1]
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    for i, word in enumerate(words):
        if word in _CREDENTIAL_WORDS:
            return word
        if word in ("key", "keys") and i > 0 and words[i - 1] in _KEY_QUALIFIERS:
            return f"{words[i - 1]} key"
    return None


# ------------------------------------------------------------------------------------------------ text patterns

_CRED_KEY = (
    r"[A-Za-z0-9_.\-]*?(?:password|passwd|pwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key|secret[_\-]?key"
    r"|private[_\-]?key|client[_\-]?secret|credentials?|authorization)"
)
_VALUE = r"[^\s\"',;&}\]]+"


@attrs.frozen
class _Pattern:
    name: str
    regex: re.Pattern[str]
    keep_value: Callable[[str], bool] | None = None  # a match whose secret group passes this is left alone


def _trivial(value: str) -> bool:
    """Values that are not credentials even after a credential-naming key (counts, flags, empty markers)."""
    lowered = value.lower()
    return (
        (value.isdigit() and len(value) <= 8)
        or lowered in ("true", "false", "null", "none", "nil", "redacted", "<redacted>", "***", "****")
        or lowered in ("bearer", "basic")  # the scheme word of an Authorization header: its token is matched apart
        or value.startswith(MARKER[:-1])
        or value.startswith("$")  # a reference to a variable, not its value
    )


PATTERNS: Final[tuple[_Pattern, ...]] = (
    _Pattern(
        "private key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?P<secret>.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
        ),
    ),
    _Pattern("bearer token", re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9\-._~+/]{8,}=*)")),
    _Pattern("basic auth", re.compile(r"(?i)\bbasic\s+(?P<secret>[A-Za-z0-9+/]{12,}={0,2})(?![A-Za-z0-9+/])")),
    _Pattern("password in URL", re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s\"']+:(?P<secret>[^@/\s\"']+)@")),
    _Pattern("JWT", re.compile(r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)")),
    _Pattern(
        "AWS access key id",
        re.compile(r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16})\b"),
    ),
    _Pattern(
        "API token",
        re.compile(
            r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|hf_[A-Za-z0-9]{30,}"
            r"|nvapi-[A-Za-z0-9_\-]{20,}|sk-(?:proj-)?[A-Za-z0-9_\-]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}"
            r"|AIza[0-9A-Za-z_\-]{35})"
        ),
    ),
    _Pattern(
        "credential assignment",
        re.compile(
            rf"(?i)(?<![A-Za-z0-9])(?P<key>{_CRED_KEY})(?![A-Za-z0-9])[\"']?\s*[:=]\s*[\"']?(?P<secret>{_VALUE})"
        ),
        _trivial,
    ),
    _Pattern(
        "credential flag",
        re.compile(rf"(?i)(?<![\w-])--?(?P<key>{_CRED_KEY})(?![A-Za-z0-9\-_])\s+(?P<secret>{_VALUE})"),
        lambda value: _trivial(value) or value.startswith("-"),
    ),
)

_CRED_FLAG = re.compile(rf"(?i)^--?{_CRED_KEY}$")


def _substitute(pattern: _Pattern, text: str) -> tuple[str, list[int]]:
    """``text`` with the pattern's secrets replaced, and the offsets where they started.

    Replacements keep every newline (a private key block becomes the marker plus its line breaks), so line numbers
    stay those of the input.
    """
    starts: list[int] = []

    def replace(match: re.Match[str]) -> str:
        secret = match.group("secret")
        if pattern.keep_value is not None and pattern.keep_value(secret):
            return match.group(0)
        starts.append(match.start())
        begin, end = match.span("secret")
        whole, offset = match.group(0), match.start()
        return whole[: begin - offset] + MARKER + "\n" * secret.count("\n") + whole[end - offset :]

    return pattern.regex.sub(replace, text), starts


def scrub(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with every pattern's matches replaced, and how many of each pattern were found."""
    found: dict[str, int] = {}
    for pattern in PATTERNS:
        text, starts = _substitute(pattern, text)
        if starts:
            found[pattern.name] = found.get(pattern.name, 0) + len(starts)
    return text, found


def looks_like_credential(value: str) -> str | None:
    """The name of the first pattern the value matches (a candidate for whole-value redaction), else None."""
    for pattern in PATTERNS:
        for match in pattern.regex.finditer(value):
            if pattern.keep_value is None or not pattern.keep_value(match.group("secret")):
                return pattern.name
    return None


def _line_list(lines: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    more = f" and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


def scrub_log(text: str, where: str) -> tuple[str, tuple[Redaction, ...]]:
    """Log text with credentials replaced; one Redaction per pattern found, naming the lines."""
    if not _maybe_secret(text):
        return text, ()
    redactions: list[Redaction] = []
    for pattern in PATTERNS:
        text, starts = _substitute(pattern, text)
        if starts:
            newlines = [m.start() for m in _NEWLINE.finditer(text)]
            lines = sorted({bisect.bisect_left(newlines, s) + 1 for s in starts})
            redactions.append(Redaction(where, _line_list(lines), pattern.name, len(starts)))
    return text, tuple(redactions)


_NEWLINE = re.compile("\n")


_HINTS: Final = re.compile(
    r"(?i)private key|bearer|basic|://[^\s/]*@|(?-i:eyJ|A[BCGIKNPRS][A-Z0-9]A)|gh[pousr]_|github_pat_|hf_|nvapi-|sk-"
    r"|xox|AIza|passw|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credential|authorization"
    r"|passphrase"
)


def _maybe_secret(text: str) -> bool:
    """A cheap pre-check (one scan) before running every pattern: most log lines and strings hold no secret."""
    return _HINTS.search(text) is not None


# ----------------------------------------------------------------------------------------------------- objects


def describe(obj: KubeObject) -> str:
    """``Kind namespace/name`` (or ``Kind name`` for cluster-scoped objects)."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = str(meta.get("name") or "?")
    namespace = meta.get("namespace")
    kind = str(obj.get("kind") or "Object")
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


Path: TypeAlias = tuple[Any, ...]
"""Where the walk is: keys (str) and list positions ((index, item)); turned into text only for a redaction."""

_SPECIAL_KEYS: Final = frozenset({"env", "annotations", "labels", "command", "args", "message", "note"})


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or (type(value) is not list and isinstance(value, Mapping))


def _item_label(item: Any, index: int) -> str:
    """List items named by their ``name`` when they have one (containers, env vars), else by index."""
    if isinstance(item, Mapping):
        name = item.get("name")
        if isinstance(name, str) and name:
            return name
    return str(index)


def field_name(path: Path) -> str:
    """``("spec", "containers", (0, {...name: main}), "env")`` → ``spec.containers[main].env``."""
    out = []
    for step in path:
        if type(step) is tuple:
            out.append(f"[{_item_label(step[1], step[0])}]")
        else:
            out.append(f".{step}" if out else str(step))
    return "".join(out)


class _Walk:
    """One object's walk: copies only what it changes, and collects the redactions.

    Hot on 10,000 pods: exact type checks before ABC ones, no recursion into scalars, field paths as tuples made into
    text only when something is redacted.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[Redaction] = []

    def note(self, path: Path, reason: str, suffix: str = "") -> None:
        self.found.append(Redaction(self.where, field_name(path) + suffix, reason))

    def mapping(self, obj: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
        out: dict[str, Any] | None = None
        for key, item in obj.items():
            kind = type(item)
            if kind is str:
                if key not in ("message", "note"):
                    continue
                new: Any = self.text(item, (*path, key))
            elif key in _SPECIAL_KEYS:
                here = (*path, key)
                if key == "env" and kind is list:
                    new = self.env(item, here)
                elif (key == "annotations" or key == "labels") and _is_mapping(item):
                    new = self.metadata_map(item, here, "annotation" if key == "annotations" else "label")
                elif (key == "command" or key == "args") and kind is list:
                    new = self.arguments(item, here)
                else:
                    new = self.value(item, here)
            elif kind is dict or kind is list:
                new = self.mapping(item, (*path, key)) if kind is dict else self.sequence(item, (*path, key))
            else:
                new = self.value(item, (*path, key))
            if new is not item:
                if out is None:
                    out = dict(obj)
                out[key] = new
        return obj if out is None else out

    def value(self, value: Any, path: Path) -> Any:
        if _is_mapping(value):
            return self.mapping(value, path)
        if type(value) is list:
            return self.sequence(value, path)
        return value

    def sequence(self, items: list[Any], path: Path) -> list[Any]:
        out: list[Any] | None = None
        for i, item in enumerate(items):
            kind = type(item)
            if kind is dict:
                new: Any = self.mapping(item, (*path, (i, item)))
            elif kind is list:
                new = self.sequence(item, (*path, (i, item)))
            elif kind is str or kind is int or kind is float or kind is bool or item is None:
                continue
            else:
                new = self.value(item, (*path, (i, item)))
            if new is not item:
                if out is None:
                    out = list(items)
                out[i] = new
        return items if out is None else out

    def env(self, items: list[Any], path: Path) -> list[Any]:
        out: list[Any] | None = None
        for i, item in enumerate(items):
            if not _is_mapping(item):
                continue
            value = item.get("value")
            if type(value) is str and value and value != MARKER:
                if out is None:
                    out = list(items)
                out[i] = {**item, "value": MARKER}
                self.note((*path, (i, item)), "env value", ".value")
        return items if out is None else out

    def metadata_map(self, entries: Mapping[str, Any], path: Path, what: str) -> Mapping[str, Any]:
        out: dict[str, Any] | None = None
        for key, value in entries.items():
            if type(value) is not str or not value or value == MARKER:
                continue
            if key == LAST_APPLIED:
                reason = "holds a copy of the applied object (env values included)"
            elif (word := credential_word(str(key))) is not None:
                reason = f"{what} key names a credential ({word})"
            elif _maybe_secret(value) and (found := looks_like_credential(value)) is not None:
                reason = f"{what} value looks like a credential ({found})"
            else:
                continue
            if out is None:
                out = dict(entries)
            out[key] = MARKER
            self.note(path, reason, f"[{key}]")
        return entries if out is None else out

    def arguments(self, items: list[Any], path: Path) -> list[Any]:
        out: list[Any] | None = None
        for i, item in enumerate(items):
            if type(item) is not str:
                continue
            previous = items[i - 1] if i else None
            if type(previous) is str and _CRED_FLAG.match(previous) and item and not item.startswith("-"):
                new, reason = MARKER, f"argument after {previous}"
            elif _maybe_secret(item):
                new, found = scrub(item)
                reason = ", ".join(sorted(found))
            else:
                continue
            if new != item:
                if out is None:
                    out = list(items)
                out[i] = new
                self.note(path, reason, f"[{i}]")
        return items if out is None else out

    def text(self, value: str, path: Path) -> str:
        if not _maybe_secret(value):
            return value
        new, found = scrub(value)
        if found:
            self.note(path, ", ".join(sorted(found)))
        return new


def redact_object(obj: KubeObject, where: str | None = None) -> tuple[KubeObject, tuple[Redaction, ...]]:
    """The object with credentials replaced (the input is not changed; unchanged parts are shared)."""
    walk = _Walk(where or describe(obj))
    out = walk.mapping(obj, ())
    return out, tuple(walk.found)


def redact_objects(objects: Iterable[KubeObject]) -> tuple[list[KubeObject], list[Redaction]]:
    clean: list[KubeObject] = []
    found: list[Redaction] = []
    for obj in objects:
        new, redactions = redact_object(obj)
        clean.append(new)
        found.extend(redactions)
    return clean, found

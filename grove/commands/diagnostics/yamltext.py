"""Block-style YAML for decoded JSON (what the API server sends), written directly.

PyYAML's representer is pure Python even with LibYAML's emitter: 10,000 pods took ~9 s. JSON values need only a
small part of YAML: a string is written plain when it cannot be read back as anything but that string (it starts with
a letter, ``_`` or ``/``, holds only ``[A-Za-z0-9_./-]`` and is not a YAML 1.1 boolean or null), otherwise as a JSON
string, which is a valid YAML double-quoted scalar. Lists are indented as ``kubectl get -o yaml`` does. A test reads
the output back with ``yaml.safe_load`` and compares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*\Z")
_RESERVED = frozenset(  # YAML 1.1 booleans and null, in the three spellings each (y, Y, yes, Yes, YES, ...)
    spelling
    for word in ("y", "n", "yes", "no", "true", "false", "on", "off", "null")
    for spelling in (word, word.capitalize(), word.upper())
)
# Characters YAML does not allow in a stream or reads as line breaks even inside quotes (NEL, LS, PS); orjson
# already escapes those below 0x20.
_NON_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _string(value: str) -> str:
    if _PLAIN.match(value) and value not in _RESERVED:
        return value
    quoted = orjson.dumps(value).decode()
    if _NON_PRINTABLE.search(quoted):
        quoted = _NON_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    return quoted


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text:  # YAML 1.1 reads 1e+20 as a string: it wants 1.0e+20
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0" + (f"e{exponent}" if exponent else "")
    return text


def scalar(value: Any) -> str:
    """One value on one line (empty collections included)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return str(value)
    if kind is float:
        return _float(value)
    if isinstance(value, Mapping):
        return "{}" if not value else orjson.dumps(dict(value)).decode()
    if isinstance(value, list | tuple):
        return "[]" if not value else orjson.dumps(list(value)).decode()
    return _string(str(value))


def _mapping(value: Mapping[str, Any], indent: str, out: list[str], lead: str) -> None:
    prefix = lead
    for key, item in value.items():
        name = _string(str(key))
        if item and isinstance(item, Mapping):
            out.append(f"{prefix}{name}:\n")
            _mapping(item, indent + "  ", out, indent + "  ")
        elif item and isinstance(item, list | tuple):
            out.append(f"{prefix}{name}:\n")
            _sequence(item, indent, out, indent)
        else:
            out.append(f"{prefix}{name}: {scalar(item)}\n")
        prefix = indent


def _sequence(value: Iterable[Any], indent: str, out: list[str], lead: str) -> None:
    prefix = lead
    for item in value:
        if item and isinstance(item, Mapping):
            _mapping(item, indent + "  ", out, prefix + "- ")
        elif item and isinstance(item, list | tuple):
            _sequence(item, indent + "  ", out, prefix + "- ")
        else:
            out.append(f"{prefix}- {scalar(item)}\n")
        prefix = indent


def dumps(value: Any) -> str:
    """One YAML document (without the ``---`` line)."""
    out: list[str] = []
    if value and isinstance(value, Mapping):
        _mapping(value, "", out, "")
    elif value and isinstance(value, list | tuple):
        _sequence(value, "", out, "")
    else:
        out.append(scalar(value) + "\n")
    return "".join(out)


def documents(values: Iterable[Any]) -> str:
    """A multi-document stream: ``---`` before each document."""
    return "".join(f"---\n{dumps(v)}" for v in values)

"""The heads of recording lines, as the writer writes them: readers match these instead of decoding a line.

The writer puts ``t``, ``type``, ``kind`` and ``key`` before an object (recording.py ``_change``), and writes clock
lines whole. Names and namespaces hold no quote, backslash or newline (Kubernetes names cannot); a line that does
not match is decoded in full instead.
"""

from __future__ import annotations

import re

_TIME = rb'\{"t":(-?[0-9][0-9.eE+-]*)'
_KIND = rb"[A-Za-z0-9]+"
_NAMESPACE = rb'[^"\\\n]*'
_NAME = rb'[^"\\\n]+'

CHANGE = re.compile(
    _TIME
    + rb',"type":"(applied|removed)","kind":"('
    + _KIND
    + rb')","key":\["('
    + _NAMESPACE
    + rb')","('
    + _NAME
    + rb')"\],"object":\{'
)
"""A change line's head, in groups: time offset, type, kind, namespace, name."""

CHANGE_RAW_KEY = re.compile(
    _TIME
    + rb',"type":"(?:applied|removed)",("kind":"'
    + _KIND
    + rb'","key":\["'
    + _NAMESPACE
    + rb'","'
    + _NAME
    + rb'"\]),"object":\{'
)
"""A change line's head, in groups: time offset, and the raw key (its kind and key as written: one object)."""

CLOCK = re.compile(_TIME + rb',"type":"clock"\}')
"""A clock line, whole when the match ends where the line does: group 1 its time offset."""

ANY_TIME = re.compile(_TIME + rb"[,}]")
"""Any line the writer wrote: group 1 its time offset."""

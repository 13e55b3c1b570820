"""Writing TOML values (the standard library reads TOML but does not write it): what the market
and book writers share, so that every file alvh writes reads back with the same values."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from alvh.exceptions import InputError

__all__ = ["toml_string", "toml_value"]

# the characters a TOML basic string may not hold as they are (a tab may stay)
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string, control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value: booleans, numbers (Python's shortest round-trip repr, so that they read back
    exactly), dates and times (ISO), strings and string enums, lists of those."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise InputError(f"{value!r} ({type(value).__name__}) has no TOML form")

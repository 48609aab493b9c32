"""Go reference-time layouts: the tokenizer and the formatter for :mod:`wippy_py.host._gotime`.

A layout is an example rendering of Go's reference time ``Mon Jan 2 15:04:05 MST 2006``.
The tokenizer and the formatter follow Go's ``time/format.go`` (``nextStdChunk``,
``appendFormat``); the parser, which shares the tokenizer, is
:mod:`wippy_py.host._gotime_parse`. This module works on plain calendar fields;
:mod:`wippy_py.host._gotime` turns them into instants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from wippy_py.host._gotime_calendar import LONG_DAYS, LONG_MONTHS, SHORT_DAYS, SHORT_MONTHS

__all__ = ["Fields", "Std", "format_layout", "isdigit", "next_chunk", "quote"]

# Layout elements as "token=code", grouped by first character in Go's matching order.
# Zone offset codes are "iso" (prints Z for UTC) or "num", followed by a shape.
_TOKEN_SPEC = """
    January=longmonth Jan=month Monday=longweekday Mon=weekday MST=tz
    01=zmonth 02=zday 03=zhour12 04=zminute 05=zsecond 06=year 002=zyday
    15=hour 1=monthnum 2006=longyear 2=day _2=uday __2=uyday 3=hour12 4=minute 5=second
    PM=PM pm=pm -070000=numseconds -07:00:00=numcolonseconds -0700=num -07:00=numcolon
    -07=numshort Z070000=isoseconds Z07:00:00=isocolonseconds Z0700=iso Z07:00=isocolon
    Z07=isoshort
"""
_ITEMS = [item.partition("=") for item in _TOKEN_SPEC.split()]
_TOKENS = {t[0]: [(x, code) for x, _, code in _ITEMS if x[0] == t[0]] for t, _, _ in _ITEMS}


class Std(NamedTuple):
    """One layout element: a code, plus digit count and separator for fractions."""

    code: str
    digits: int = 0
    sep: str = ""


class Fields(NamedTuple):
    """Calendar fields of an instant in its location, as the formatter needs them."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    weekday: int
    year_day: int
    zone: str
    offset: int


def quote(s: str) -> str:
    """Quotes a string for an error message like Go's ``time`` package (``\\xNN`` escapes)."""
    out = ['"']
    for ch in s:
        if ch < " " or ch >= "\x80":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def isdigit(s: str, i: int) -> bool:
    """Reports whether ``s[i]`` exists and is an ASCII digit."""
    return i < len(s) and "0" <= s[i] <= "9"


def next_chunk(layout: str) -> tuple[str, Std | None, str]:
    """Splits ``layout`` into (literal prefix, first element, rest) like Go's nextStdChunk."""
    for i, c in enumerate(layout):
        if c in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            ch, j = layout[i + 1], i + 1
            while j < len(layout) and layout[j] == ch:
                j += 1
            if not isdigit(layout, j):
                code = "frac0" if ch == "0" else "frac9"
                return layout[:i], Std(code, j - i - 1, c), layout[j:]
            continue
        if c == "_" and layout.startswith("_2006", i):  # a literal "_" then the year
            return layout[: i + 1], Std("longyear"), layout[i + 5 :]
        for token, code in _TOKENS.get(c, ()):
            end = i + len(token)
            if layout.startswith(token, i):
                if token in ("Jan", "Mon") and end < len(layout) and "a" <= layout[end] <= "z":
                    continue
                return layout[:i], Std(code), layout[end:]
    return layout, None, ""


def _pad(x: int, width: int) -> str:
    return ("-" if x < 0 else "") + str(abs(x)).zfill(width)


def _format_offset(code: str, offset: int) -> str:
    if offset == 0 and code.startswith("iso"):
        return "Z"
    shape, a = code[3:], abs(offset)
    out = ("-" if offset <= -60 else "+") + _pad(a // 3600, 2)
    if "colon" in shape:
        out += ":"
    if shape != "short":
        out += _pad(a // 60 % 60, 2)
    if "seconds" in shape:
        out += (":" if "colon" in shape else "") + _pad(a % 60, 2)
    return out


def _format_frac(std: Std, nsec: int) -> str:
    digits = _pad(nsec, 9)[: min(std.digits, 9)]
    if std.code == "frac9":
        digits = digits.rstrip("0")
        if not digits:
            return ""
    return std.sep + digits


_FORMATTERS: dict[str, Callable[[Fields], str]] = {
    "year": lambda f: _pad(abs(f.year) % 100, 2),
    "longyear": lambda f: _pad(f.year, 4),
    "month": lambda f: SHORT_MONTHS[f.month - 1],
    "longmonth": lambda f: LONG_MONTHS[f.month - 1],
    "monthnum": lambda f: str(f.month),
    "zmonth": lambda f: _pad(f.month, 2),
    "weekday": lambda f: SHORT_DAYS[f.weekday],
    "longweekday": lambda f: LONG_DAYS[f.weekday],
    "day": lambda f: str(f.day),
    "uday": lambda f: str(f.day).rjust(2),
    "zday": lambda f: _pad(f.day, 2),
    "uyday": lambda f: str(f.year_day).rjust(3),
    "zyday": lambda f: _pad(f.year_day, 3),
    "hour": lambda f: _pad(f.hour, 2),
    "hour12": lambda f: str(f.hour % 12 or 12),
    "zhour12": lambda f: _pad(f.hour % 12 or 12, 2),
    "minute": lambda f: str(f.minute),
    "zminute": lambda f: _pad(f.minute, 2),
    "second": lambda f: str(f.second),
    "zsecond": lambda f: _pad(f.second, 2),
    "PM": lambda f: "PM" if f.hour >= 12 else "AM",
    "pm": lambda f: "pm" if f.hour >= 12 else "am",
    "tz": lambda f: f.zone or _format_offset("num", f.offset),
}


def format_layout(layout: str, fields: Fields) -> str:
    """Renders ``fields`` with a Go layout (Go's ``Time.Format``)."""
    out: list[str] = []
    while layout:
        prefix, std, layout = next_chunk(layout)
        out.append(prefix)
        if std is None:
            break
        if std.code.startswith(("iso", "num")):
            out.append(_format_offset(std.code, fields.offset))
        elif std.code.startswith("frac"):
            out.append(_format_frac(std, fields.nanosecond))
        else:
            out.append(_FORMATTERS[std.code](fields))
    return "".join(out)

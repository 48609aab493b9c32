"""Go reference-time layouts: the parser for :mod:`wippy_py.host._gotime`.

:func:`parse_layout` reads wall-clock fields and zone information from a value using a
Go layout, following Go's ``time.parse`` in ``time/format.go`` including its error
messages (:class:`ParseError`). It shares the layout tokenizer with the formatter in
:mod:`wippy_py.host._gotime_layout`; :mod:`wippy_py.host._gotime` resolves the zone and
turns the fields into an instant.
"""

from __future__ import annotations

import string
from typing import NamedTuple

from wippy_py.host._gotime_calendar import (
    DAYS_BEFORE,
    LONG_DAYS,
    LONG_MONTHS,
    SHORT_DAYS,
    SHORT_MONTHS,
    days_in,
    is_leap,
)
from wippy_py.host._gotime_layout import isdigit, next_chunk, quote

__all__ = ["ParseError", "Parsed", "parse_layout"]

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# Numeric elements: code -> (field, width, fixed width, largest value, spaces to skip).
_NUMBERS: dict[str, tuple[str, int, bool, int, int]] = {
    "monthnum": ("month", 2, False, 12, 0),
    "zmonth": ("month", 2, True, 12, 0),
    "day": ("day", 2, False, 99, 0),
    "uday": ("day", 2, False, 99, 1),
    "zday": ("day", 2, True, 99, 0),
    "uyday": ("yday", 3, False, 999, 2),
    "zyday": ("yday", 3, True, 999, 0),
    "hour": ("hour", 2, False, 23, 0),
    "hour12": ("hour", 2, False, 12, 0),
    "zhour12": ("hour", 2, True, 12, 0),
    "minute": ("minute", 2, False, 59, 0),
    "zminute": ("minute", 2, True, 59, 0),
    "second": ("second", 2, False, 59, 0),
    "zsecond": ("second", 2, True, 59, 0),
}
_NAMES = {"month": SHORT_MONTHS, "longmonth": LONG_MONTHS}
_NAMES.update(weekday=SHORT_DAYS, longweekday=LONG_DAYS)


class Parsed(NamedTuple):
    """Wall-clock fields read by :func:`parse_layout`; zone info is resolved by the caller."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    utc: bool
    zone_offset: int | None
    zone_name: str


class ParseError(ValueError):
    """A value that does not match its layout; the message is Go's ``ParseError``."""

    def __init__(
        self, layout: str, value: str, layout_elem: str, value_elem: str, message: str = ""
    ) -> None:
        self.layout, self.value = layout, value
        self.layout_elem, self.value_elem, self.message = layout_elem, value_elem, message
        if message:
            text = f"parsing time {quote(value)}{message}"
        else:
            text = (
                f"parsing time {quote(value)} as {quote(layout)}: cannot parse "
                f"{quote(value_elem)} as {quote(layout_elem)}"
            )
        super().__init__(text)


def _atoi(s: str) -> int | None:
    sign = -1 if s[:1] == "-" else 1
    digits = s[1:] if s[:1] in ("-", "+") else s
    if not all("0" <= ch <= "9" for ch in digits):
        return None
    return sign * int(digits) if digits else 0


def _getnum(s: str, fixed: bool, width: int = 2) -> tuple[int | None, str]:
    n = 0
    while n < width and isdigit(s, n):
        n += 1
    if n == 0 or (fixed and n != width):
        return None, s
    return int(s[:n]), s[n:]


def _lookup(table: tuple[str, ...], value: str) -> tuple[int | None, str]:
    for i, name in enumerate(table):
        head = value[: len(name)]
        if len(head) == len(name) and head.translate(_ASCII_LOWER) == name.lower():
            return i, value[len(name) :]
    return None, value


def _skip(value: str, prefix: str) -> str | None:
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                return None
            prefix, value = prefix.lstrip(" "), value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            return None
        prefix, value = prefix[1:], value[1:]
    return value


def _signed_offset_len(value: str) -> int:
    if value[:1] not in ("-", "+"):
        return 0
    n = 1
    while isdigit(value, n):
        n += 1
    return 0 if n == 1 or int(value[1:n]) > 12 else n


def _zone_name_len(value: str) -> int:
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value[:3] == "GMT":
        return 3 + (_signed_offset_len(value[3:]) if len(value) > 3 else 0)
    if value[0] in "+-":
        return _signed_offset_len(value)
    upper = 0
    while upper < min(6, len(value)) and "A" <= value[upper] <= "Z":
        upper += 1
    if upper == 3 or (upper == 4 and (value[3] == "T" or value[:4] == "WITA")):
        return upper
    return 5 if upper == 5 and value[4] == "T" else 0


def _nanos(value: str, nbytes: int) -> tuple[int | None, str]:
    if value[0] not in ".,":
        return None, ""
    nbytes = min(nbytes, 10)
    ns = _atoi(value[1:nbytes])
    if ns is None:
        return None, ""
    if ns < 0:
        return 0, "fractional second"
    return ns * 10 ** (10 - nbytes), ""


def _zone_offset(shape: str, value: str) -> tuple[int | None, str, str]:
    """Parses a numeric zone offset; returns (seconds or None, range error, rest)."""
    fmt = "+hh" + (":" if "colon" in shape else "") + ("" if shape == "short" else "mm")
    fmt += (":" if shape == "colonseconds" else "") + ("ss" if "seconds" in shape else "")
    if len(value) < len(fmt) or any(f == ":" != v for f, v in zip(fmt, value, strict=False)):
        return None, "", value
    parts = [value[fmt.index(k) : fmt.index(k) + 2] if k in fmt else "00" for k in "hms"]
    nums = [_getnum(p, True)[0] for p in parts]
    rest = value[len(fmt) :]
    if None in nums:
        return None, "", rest
    hr, mm, ss = (n or 0 for n in nums)
    range_err = ""
    for amount, limit, what in ((hr, 24, "hour"), (mm, 60, "minute"), (ss, 60, "second")):
        if amount > limit:
            range_err = f"time zone offset {what}"
    if value[0] not in "+-":
        return None, range_err, rest
    offset = (hr * 60 + mm) * 60 + ss
    return (-offset if value[0] == "-" else offset), range_err, rest


def parse_layout(layout: str, value: str) -> Parsed:
    """Reads wall-clock fields from ``value`` using a Go layout (Go's ``time.parse``).

    Raises:
        ParseError: the value does not match the layout or a field is out of range.
    """
    alayout, avalue = layout, value
    v = {"year": 0, "month": -1, "day": -1, "yday": -1, "hour": 0, "minute": 0, "second": 0}
    nsec, utc, am, pm, zone_offset, zone_name = 0, False, False, False, None, ""
    while True:
        prefix, std, suffix = next_chunk(layout)
        stdstr = layout[len(prefix) : len(layout) - len(suffix)]
        rest = _skip(value, prefix)
        if rest is None:
            raise ParseError(alayout, avalue, prefix, value)
        value = rest
        if std is None:
            if value:
                raise ParseError(alayout, avalue, "", value, ": extra text: " + quote(value))
            break
        layout, hold, code = suffix, value, std.code
        range_err, num = "", None
        if code in _NUMBERS:
            field, width, fixed, largest, spaces = _NUMBERS[code]
            for _ in range(spaces):
                value = value[1:] if value[:1] == " " else value
            num, value = _getnum(value, fixed, width)
            if num is not None:
                v[field] = num
                range_err = field if num > largest or (field == "month" and num < 1) else ""
            n = _fraction_len(value) if field == "second" and not range_err else 0
            after = next_chunk(layout)[1] if n else None
            if n and not (after and after.code.startswith("frac")):
                num, range_err = _nanos(value, n)  # a fraction the layout does not mention
                value, nsec = value[n:], num or 0
        elif code in ("year", "longyear"):
            width = 2 if code == "year" else 4
            ok = len(value) >= width and (width == 2 or isdigit(value, 0))
            num, value = (_atoi(value[:width]) if ok else None), value[width:]
            if num is not None:
                v["year"] = num + (1900 if num >= 69 else 2000) if width == 2 else num
        elif code in _NAMES:
            num, value = _lookup(_NAMES[code], value)
            if num is not None and code.endswith("month"):
                v["month"] = num + 1
        elif code in ("PM", "pm"):
            word, value = value[:2], value[2:]
            num = 0 if word in (code, code.replace("P", "A").replace("p", "a")) else None
            pm, am = pm or (num == 0 and word == code), am or (num == 0 and word != code)
        elif code.startswith("iso") and value[:1] == "Z":
            num, value, utc = 0, value[1:], True
        elif code.startswith(("iso", "num")):
            num, range_err, value = _zone_offset(code[3:], value)
            zone_offset = num if num is not None else zone_offset
        elif code == "tz" and value[:3] == "UTC":
            num, value, utc = 0, value[3:], True
        elif code == "tz":
            n = _zone_name_len(value)
            num, zone_name, value = (n or None), value[:n] or zone_name, value[n:]
        elif code == "frac0" and len(value) > std.digits:
            num, range_err = _nanos(value, 1 + std.digits)
            value, nsec = value[1 + std.digits :], num or 0
        elif code == "frac9":
            n = _fraction_len(value)  # the fraction is optional and takes any digit count
            num, range_err = _nanos(value, n) if n else (0, "")
            value, nsec = value[n:], num or 0
        if range_err:
            raise ParseError(alayout, avalue, stdstr, value, f": {range_err} out of range")
        if num is None:
            raise ParseError(alayout, avalue, stdstr, hold)
    year, month, day, hour = v["year"], v["month"], v["day"], v["hour"]
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    if v["yday"] >= 0:
        month, day = _from_year_day(alayout, avalue, value, year, v["yday"], month, day)
    else:
        month, day = (1 if month < 0 else month), (1 if day < 0 else day)
    if day < 1 or day > days_in(month, year):
        raise ParseError(alayout, avalue, "", value, ": day out of range")
    return Parsed(
        year, month, day, hour, v["minute"], v["second"], nsec, utc, zone_offset, zone_name
    )


def _fraction_len(value: str) -> int:
    """Length of a leading ``.123``/``,123`` (at least one digit), else 0."""
    if value[:1] not in (".", ",") or not isdigit(value, 1):
        return 0
    n = 2
    while isdigit(value, n):
        n += 1
    return n


def _from_year_day(
    layout: str, value: str, rest: str, year: int, yday: int, month: int, day: int
) -> tuple[int, int]:
    m = d = 0
    if is_leap(year):
        if yday == 31 + 29:
            m, d = 2, 29
        elif yday > 31 + 29:
            yday -= 1
    if yday < 1 or yday > 365:
        raise ParseError(layout, value, "", rest, ": day-of-year out of range")
    if m == 0:
        m = (yday - 1) // 31 + 1
        if DAYS_BEFORE[m] < yday:
            m += 1
        d = yday - DAYS_BEFORE[m - 1]
    if month >= 0 and month != m:
        raise ParseError(layout, value, "", rest, ": day-of-year does not match month")
    if day >= 0 and day != d:
        raise ParseError(layout, value, "", rest, ": day-of-year does not match day")
    return m, d

"""Go reference-time layouts: formatting and parsing for :mod:`wippy_py.host._gotime`.

A layout is an example rendering of Go's reference time ``Mon Jan 2 15:04:05 MST 2006``.
The tokenizer, the formatter and the parser follow Go's ``time/format.go``
(``nextStdChunk``, ``appendFormat``, ``parse``) including its error messages. This module
works on plain calendar fields; :mod:`wippy_py.host._gotime` turns them into instants.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import NamedTuple

LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
SHORT_MONTHS = tuple(name[:3] for name in LONG_MONTHS)
LONG_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SHORT_DAYS = tuple(name[:3] for name in LONG_DAYS)
_DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

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
            text = f"parsing time {_quote(value)}{message}"
        else:
            text = (
                f"parsing time {_quote(value)} as {_quote(layout)}: cannot parse "
                f"{_quote(value_elem)} as {_quote(layout_elem)}"
            )
        super().__init__(text)


def is_leap(year: int) -> bool:
    """Reports whether ``year`` is a leap year in the proleptic Gregorian calendar."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in(month: int, year: int) -> int:
    """Returns the number of days in ``month`` (1..12) of ``year``."""
    if month == 2 and is_leap(year):
        return 29
    return _DAYS_BEFORE[month] - _DAYS_BEFORE[month - 1]


def _quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch < " " or ch >= "\x80":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def _isdigit(s: str, i: int) -> bool:
    return i < len(s) and "0" <= s[i] <= "9"


def next_chunk(layout: str) -> tuple[str, Std | None, str]:
    """Splits ``layout`` into (literal prefix, first element, rest) like Go's nextStdChunk."""
    for i, c in enumerate(layout):
        if c in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            ch, j = layout[i + 1], i + 1
            while j < len(layout) and layout[j] == ch:
                j += 1
            if not _isdigit(layout, j):
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


def _atoi(s: str) -> int | None:
    sign = -1 if s[:1] == "-" else 1
    digits = s[1:] if s[:1] in ("-", "+") else s
    if not all("0" <= ch <= "9" for ch in digits):
        return None
    return sign * int(digits) if digits else 0


def _getnum(s: str, fixed: bool, width: int = 2) -> tuple[int | None, str]:
    n = 0
    while n < width and _isdigit(s, n):
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
    while _isdigit(value, n):
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
                raise ParseError(alayout, avalue, "", value, ": extra text: " + _quote(value))
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
            ok = len(value) >= width and (width == 2 or _isdigit(value, 0))
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
    if value[:1] not in (".", ",") or not _isdigit(value, 1):
        return 0
    n = 2
    while _isdigit(value, n):
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
        if _DAYS_BEFORE[m] < yday:
            m += 1
        d = yday - _DAYS_BEFORE[m - 1]
    if month >= 0 and month != m:
        raise ParseError(layout, value, "", rest, ": day-of-year does not match month")
    if day >= 0 and day != d:
        raise ParseError(layout, value, "", rest, ": day-of-year does not match day")
    return m, d

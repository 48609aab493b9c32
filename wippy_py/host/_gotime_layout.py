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

LAYOUT = "01/02 03:04:05PM '06 -0700"
ANSIC = "Mon Jan _2 15:04:05 2006"
UNIX_DATE = "Mon Jan _2 15:04:05 MST 2006"
RUBY_DATE = "Mon Jan 02 15:04:05 -0700 2006"
RFC822 = "02 Jan 06 15:04 MST"
RFC822Z = "02 Jan 06 15:04 -0700"
RFC850 = "Monday, 02-Jan-06 15:04:05 MST"
RFC1123 = "Mon, 02 Jan 2006 15:04:05 MST"
RFC1123Z = "Mon, 02 Jan 2006 15:04:05 -0700"
RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"
KITCHEN = "3:04PM"
STAMP = "Jan _2 15:04:05"
STAMP_MILLI = "Jan _2 15:04:05.000"
STAMP_MICRO = "Jan _2 15:04:05.000000"
STAMP_NANO = "Jan _2 15:04:05.000000000"
DATE_TIME = "2006-01-02 15:04:05"
DATE_ONLY = "2006-01-02"
TIME_ONLY = "15:04:05"

LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")
SHORT_MONTHS = tuple(name[:3] for name in LONG_MONTHS)
LONG_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SHORT_DAYS = tuple(name[:3] for name in LONG_DAYS)
_DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# Tokens by first character, in Go's matching order. Zone codes are "iso"/"num" + shape.
_TOKENS: dict[str, tuple[tuple[str, str], ...]] = {
    "J": (("January", "longmonth"), ("Jan", "month")),
    "M": (("Monday", "longweekday"), ("Mon", "weekday"), ("MST", "tz")),
    "0": (("01", "zmonth"), ("02", "zday"), ("03", "zhour12"), ("04", "zminute"),
          ("05", "zsecond"), ("06", "year"), ("002", "zyday")),
    "1": (("15", "hour"), ("1", "nummonth")),
    "2": (("2006", "longyear"), ("2", "day")),
    "_": (("_2", "uday"), ("__2", "uyday")),
    "3": (("3", "hour12"),),
    "4": (("4", "minute"),),
    "5": (("5", "second"),),
    "P": (("PM", "PM"),),
    "p": (("pm", "pm"),),
    "-": (("-070000", "numseconds"), ("-07:00:00", "numcolonseconds"), ("-0700", "num"),
          ("-07:00", "numcolon"), ("-07", "numshort")),
    "Z": (("Z070000", "isoseconds"), ("Z07:00:00", "isocolonseconds"), ("Z0700", "iso"),
          ("Z07:00", "isocolon"), ("Z07", "isoshort")),
}


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
            text = (f"parsing time {_quote(value)} as {_quote(layout)}: cannot parse "
                    f"{_quote(value_elem)} as {_quote(layout_elem)}")
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
    "nummonth": lambda f: str(f.month),
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
    fmt = {"colon": "+hh:mm", "short": "+hh", "colonseconds": "+hh:mm:ss",
           "seconds": "+hhmmss"}.get(shape, "+hhmm")
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
    year, month, day, yday, hour, minute, sec, nsec = 0, -1, -1, -1, 0, 0, 0, 0
    utc, am, pm, zone_offset, zone_name = False, False, False, None, ""
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
        if code == "year":
            num = _atoi(value[:2]) if len(value) >= 2 else None
            value = value[2:]
            year = num + (1900 if num >= 69 else 2000) if num is not None else year
        elif code == "longyear":
            num = _atoi(value[:4]) if len(value) >= 4 and _isdigit(value, 0) else None
            value, year = value[4:], num if num is not None else year
        elif code in ("month", "longmonth", "weekday", "longweekday"):
            table = {"month": SHORT_MONTHS, "longmonth": LONG_MONTHS,
                     "weekday": SHORT_DAYS, "longweekday": LONG_DAYS}[code]
            num, value = _lookup(table, value)
            if num is not None and code.endswith("month"):
                month = num + 1
        elif code in ("nummonth", "zmonth"):
            num, value = _getnum(value, code == "zmonth")
            month = num if num is not None else month
            range_err = "month" if num is not None and not 1 <= num <= 12 else ""
        elif code in ("day", "uday", "zday"):
            if code == "uday" and value[:1] == " ":
                value = value[1:]
            num, value = _getnum(value, code == "zday")
            day = num if num is not None else day
        elif code in ("uyday", "zyday"):
            if code == "uyday":
                value = value[2:] if value[:2] == "  " else value[1:] if value[:1] == " " else value
            num, value = _getnum(value, code == "zyday", 3)
            yday = num if num is not None else yday
        elif code in ("hour", "hour12", "zhour12"):
            num, value = _getnum(value, code == "zhour12")
            hour = num or 0
            range_err = "hour" if hour > (23 if code == "hour" else 12) else ""
        elif code in ("minute", "zminute"):
            num, value = _getnum(value, code == "zminute")
            minute = num or 0
            range_err = "minute" if minute >= 60 else ""
        elif code in ("second", "zsecond"):
            num, value = _getnum(value, code == "zsecond")
            sec = num or 0
            range_err = "second" if sec >= 60 else ""
            after = next_chunk(layout)[1]
            if (num is not None and not range_err and len(value) >= 2 and value[0] in ".,"
                    and _isdigit(value, 1) and not (after and after.code.startswith("frac"))):
                n = 2
                while _isdigit(value, n):
                    n += 1
                num, range_err = _nanos(value, n)
                value, nsec = value[n:], num or 0
        elif code in ("PM", "pm"):
            word, value = value[:2], value[2:]
            num = 0 if word in (code, code.replace("P", "A").replace("p", "a")) else None
            pm, am = pm or (num == 0 and word == code), am or (num == 0 and word != code)
        elif code.startswith("iso") and value[:1] == "Z":
            num, value, utc = 0, value[1:], True
        elif code.startswith(("iso", "num")):
            num, range_err, value = _zone_offset(code[3:], value)
            zone_offset = num if num is not None else zone_offset
        elif code == "tz":
            if value[:3] == "UTC":
                num, value, utc = 0, value[3:], True
            else:
                n = _zone_name_len(value)
                num, zone_name, value = (n or None), value[:n] or zone_name, value[n:]
        elif code == "frac0":
            ndigit = 1 + std.digits
            num, range_err = _nanos(value, ndigit) if len(value) >= ndigit else (None, "")
            value, nsec = value[ndigit:], num or 0
        elif len(value) >= 2 and value[0] in ".," and _isdigit(value, 1):  # frac9
            n = 2
            while _isdigit(value, n):
                n += 1
            num, range_err = _nanos(value, n)
            value, nsec = value[n:], num or 0
        else:
            num = 0  # frac9 with the fraction omitted
        if range_err:
            raise ParseError(alayout, avalue, stdstr, value, f": {range_err} out of range")
        if num is None:
            raise ParseError(alayout, avalue, stdstr, hold)
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    if yday >= 0:
        month, day = _from_year_day(alayout, avalue, value, year, yday, month, day)
    else:
        month, day = (1 if month < 0 else month), (1 if day < 0 else day)
    if day < 1 or day > days_in(month, year):
        raise ParseError(alayout, avalue, "", value, ": day out of range")
    return Parsed(year, month, day, hour, minute, sec, nsec, utc, zone_offset, zone_name)


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

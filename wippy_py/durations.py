"""Go-style durations, shared by the registry (lifecycle fields) and the ``time`` module.

Wippy takes durations as Go ``time.ParseDuration`` strings (``"300ms"``, ``"1h30m"``,
``"-1.5h"``; units ``ns us µs ms s m h``, no ``d``) or as integers of nanoseconds.
"""

from __future__ import annotations

import re

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "µs": MICROSECOND,  # U+00B5 micro sign
    "μs": MICROSECOND,  # U+03BC Greek mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_MAX = 2**63 - 1


class DurationError(ValueError):
    """A duration string or number that Go's ParseDuration would reject."""


def parse_duration(text: str) -> int:
    """Parses a Go duration string into nanoseconds.

    Args:
        text: e.g. ``"1h30m"``, ``"250ms"``, ``"-2s"``, ``"0"``.

    Returns:
        The duration in nanoseconds (may be negative).

    Raises:
        DurationError: the text is empty, has no unit, an unknown unit, or overflows.
    """
    original = text
    if not isinstance(text, str):
        raise DurationError(f"invalid duration {original!r}: expected a string")
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise DurationError(f"invalid duration {original!r}")
    total = 0.0
    exact = 0
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match:
            rest = text[pos:]
            if re.match(r"\d", rest) and not re.match(r"[\d.]+[a-zµμ]", rest):
                raise DurationError(f"missing unit in duration {original!r}")
            raise DurationError(
                f"invalid duration {original!r}: use units ns, us, ms, s, m or h (no 'd')"
            )
        number, unit = match.group(1), match.group(2)
        scale = _UNITS[unit]
        if "." in number:
            total += float(number) * scale
        else:
            exact += int(number) * scale
        pos = match.end()
    result = exact + round(total)
    if result > _MAX:
        raise DurationError(f"invalid duration {original!r}: overflows int64 nanoseconds")
    return sign * result


def to_nanoseconds(value: object) -> int:
    """Accepts what Wippy accepts for a duration: a number of nanoseconds or a Go string.

    Raises:
        DurationError: the value is neither, or the string is invalid.
    """
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}: expected a string or a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    if isinstance(value, str):
        return parse_duration(value)
    raise DurationError(f"invalid duration {value!r}: expected a string or a number")


def format_duration(nanos: int) -> str:
    """Formats nanoseconds the way Go's ``Duration.String`` does (``"1h30m0s"``, ``"1.5s"``)."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < SECOND:
        for unit, scale in (("ms", MILLISECOND), ("µs", MICROSECOND), ("ns", NANOSECOND)):
            if n >= scale:
                return sign + _fraction(n, scale) + unit
    hours, rest = divmod(n, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    seconds = _fraction(rest, SECOND)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _fraction(value: int, scale: int) -> str:
    whole, frac = divmod(value, scale)
    if not frac:
        return str(whole)
    digits = len(str(scale)) - 1
    return f"{whole}.{str(frac).rjust(digits, '0').rstrip('0')}"

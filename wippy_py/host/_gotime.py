"""Python core of Wippy's ``time`` host module, with Go ``time`` package semantics.

An instant is a :class:`Time`: integer nanoseconds since the Unix epoch plus a
:class:`Location` that only affects how it is displayed and split into calendar fields.
Years are proleptic Gregorian and unbounded; Go's zero time is year 1, January 1, UTC.
Durations are integers of nanoseconds (:class:`Duration` wraps one for its methods).

This module holds :class:`Time`, its constructors and the layout constants, and
re-exports the rest of the public API from its parts: ``_gotime_calendar`` (calendar
arithmetic), ``_gotime_zone`` (:class:`Location`, :data:`UTC`, :data:`LOCAL`),
``_gotime_duration`` (:class:`Duration`), ``_gotime_layout`` (formatting with Go layouts)
and ``_gotime_parse`` (parsing them, :class:`ParseError`).

Nothing here reads the wall clock except :func:`now`, which takes an injectable clock so
that durable workflows stay deterministic. Errors are ``ValueError`` with Go's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wippy_py.durations import SECOND
from wippy_py.host._gotime_calendar import (
    DAY,
    LONG_DAYS,
    LONG_MONTHS,
    ZERO_NS,
    civil_from_days,
    days_from_civil,
)
from wippy_py.host._gotime_duration import Duration, clamp_duration
from wippy_py.host._gotime_layout import Fields, format_layout
from wippy_py.host._gotime_parse import ParseError, parse_layout
from wippy_py.host._gotime_zone import LOCAL, UTC, Location, fixed_zone, load_location

__all__ = [
    "ANSIC", "APRIL", "AUGUST", "DATE_ONLY", "DATE_TIME", "DECEMBER", "FEBRUARY", "FRIDAY",
    "JANUARY", "JULY", "JUNE", "KITCHEN", "LAYOUT", "LOCAL", "MARCH", "MAY", "MONDAY",
    "NOVEMBER", "OCTOBER", "RFC822", "RFC822Z", "RFC850", "RFC1123", "RFC1123Z", "RFC3339",
    "RFC3339_NANO", "RUBY_DATE", "SATURDAY", "SEPTEMBER", "STAMP", "STAMP_MICRO",
    "STAMP_MILLI", "STAMP_NANO", "SUNDAY", "THURSDAY", "TIME_ONLY", "TUESDAY", "UNIX_DATE",
    "UTC", "WEDNESDAY", "Duration", "Location", "ParseError", "Time", "date", "fixed_zone",
    "from_unix_nano", "load_location", "month_name", "now", "parse", "unix", "weekday_name",
    "zero_time",
]  # fmt: skip

(JANUARY, FEBRUARY, MARCH, APRIL, MAY, JUNE, JULY, AUGUST, SEPTEMBER, OCTOBER, NOVEMBER,
 DECEMBER) = range(1, 13)  # fmt: skip
SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)

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


def month_name(month: int) -> str:
    """Returns the English name of a month (1..12), like Go's ``Month.String``."""
    return LONG_MONTHS[month - 1] if 1 <= month <= 12 else f"%!Month({month})"


def weekday_name(weekday: int) -> str:
    """Returns the English name of a weekday (0 = Sunday), like Go's ``Weekday.String``."""
    return LONG_DAYS[weekday] if 0 <= weekday <= 6 else f"%!Weekday({weekday})"


def _field(name: str, doc: str) -> Callable[[Time], int]:
    def get(self: Time) -> int:
        return int(getattr(self.fields(), name))

    get.__name__, get.__doc__ = name, doc
    return get


@dataclass(frozen=True)
class Time:
    """An instant with nanosecond precision, shown in a location (Go's ``time.Time``).

    ``==`` compares the instant and the location, like Go; use :meth:`equal` for instants.

    Attributes:
        ns: nanoseconds since 1970-01-01 UTC (any Python int).
        loc: the location used for calendar fields and formatting.
    """

    ns: int
    loc: Location = UTC

    def fields(self) -> Fields:
        """Returns every calendar field of the instant in its location."""
        zone, offset = self.loc.lookup(self.ns // SECOND)
        days, rest = divmod(self.ns + offset * SECOND, DAY)
        year, month, day = civil_from_days(days)
        secs, nsec = divmod(rest, SECOND)
        yday = days - days_from_civil(year, 1, 1) + 1
        return Fields(year, month, day, secs // 3600, secs // 60 % 60, secs % 60, nsec,
                      (days + 4) % 7, yday, zone, offset)  # fmt: skip

    def add(self, d_ns: int) -> Time:
        """Returns the instant ``d_ns`` nanoseconds later."""
        return Time(self.ns + int(d_ns), self.loc)

    def sub(self, other: Time) -> int:
        """Returns ``self - other`` in nanoseconds, saturated to Go's Duration range."""
        return clamp_duration(self.ns - other.ns)

    def add_date(self, years: int, months: int, days: int) -> Time:
        """Adds calendar years, months and days, normalising like :func:`date`."""
        f = self.fields()
        return date(f.year + years, f.month + months, f.day + days, f.hour, f.minute,
                    f.second, f.nanosecond, self.loc)  # fmt: skip

    def before(self, other: Time) -> bool:
        """Reports whether this instant is before ``other``."""
        return self.ns < other.ns

    def after(self, other: Time) -> bool:
        """Reports whether this instant is after ``other``."""
        return self.ns > other.ns

    def equal(self, other: Time) -> bool:
        """Reports whether both are the same instant, whatever their locations."""
        return self.ns == other.ns

    def compare(self, other: Time) -> int:
        """Returns -1, 0 or +1 as this instant is before, equal to or after ``other``."""
        return (self.ns > other.ns) - (self.ns < other.ns)

    def format(self, layout: str) -> str:
        """Formats with a Go layout such as :data:`RFC3339` or ``"2006-01-02"``."""
        return format_layout(layout, self.fields())

    def format_rfc3339(self) -> str:
        """Formats as Go's ``time.RFC3339`` (no fractional seconds)."""
        return self.format(RFC3339)

    def unix(self) -> int:
        """Returns seconds since the Unix epoch (floored)."""
        return self.ns // SECOND

    def unix_milli(self) -> int:
        """Returns milliseconds since the Unix epoch (floored)."""
        return self.ns // 1_000_000

    def unix_micro(self) -> int:
        """Returns microseconds since the Unix epoch (floored)."""
        return self.ns // 1_000

    def unix_nano(self) -> int:
        """Returns nanoseconds since the Unix epoch."""
        return self.ns

    def date(self) -> tuple[int, int, int]:
        """Returns (year, month, day) in the location."""
        f = self.fields()
        return f.year, f.month, f.day

    def clock(self) -> tuple[int, int, int]:
        """Returns (hour, minute, second) in the location."""
        f = self.fields()
        return f.hour, f.minute, f.second

    year = _field("year", "Returns the year.")
    month = _field("month", "Returns the month, 1..12.")
    day = _field("day", "Returns the day of the month.")
    hour = _field("hour", "Returns the hour, 0..23.")
    minute = _field("minute", "Returns the minute, 0..59.")
    second = _field("second", "Returns the second, 0..59.")
    nanosecond = _field("nanosecond", "Returns the nanosecond within the second.")
    weekday = _field("weekday", "Returns the day of the week, 0 = Sunday.")
    year_day = _field("year_day", "Returns the day of the year, 1..366.")

    def iso_week(self) -> tuple[int, int]:
        """Returns the ISO 8601 (year, week number)."""
        thursday = self.add((4 - (self.weekday() or 7)) * DAY).fields()
        return thursday.year, (thursday.year_day - 1) // 7 + 1

    def zone(self) -> tuple[str, int]:
        """Returns the zone abbreviation and offset in seconds east of UTC."""
        return self.loc.lookup(self.ns // SECOND)

    def is_zero(self) -> bool:
        """Reports whether this is Go's zero time, January 1, year 1, 00:00:00 UTC."""
        return self.ns == ZERO_NS

    def utc(self) -> Time:
        """Returns the same instant in UTC."""
        return Time(self.ns, UTC)

    def in_local(self) -> Time:
        """Returns the same instant in the machine's local zone."""
        return Time(self.ns, LOCAL)

    def in_location(self, loc: Location) -> Time:
        """Returns the same instant in ``loc``."""
        return Time(self.ns, loc)

    def location(self) -> Location:
        """Returns the location."""
        return self.loc

    def truncate(self, d_ns: int) -> Time:
        """Rounds down to a multiple of ``d_ns`` since the zero time (``d_ns <= 0``: as is)."""
        if d_ns <= 0:
            return self
        return Time(self.ns - (self.ns - ZERO_NS) % d_ns, self.loc)

    def round(self, d_ns: int) -> Time:
        """Rounds to the nearest multiple of ``d_ns`` since the zero time, halves up."""
        if d_ns <= 0:
            return self
        r = (self.ns - ZERO_NS) % d_ns
        return Time(self.ns - r if r + r < d_ns else self.ns + d_ns - r, self.loc)

    def __str__(self) -> str:
        return self.format("2006-01-02 15:04:05.999999999 -0700 MST")

    def __repr__(self) -> str:
        return f"Time({self}, {self.loc.name})"


def date(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    sec: int = 0,
    nsec: int = 0,
    loc: Location = UTC,
) -> Time:
    """Builds a time from wall-clock fields, normalising overflow like Go's ``time.Date``.

    Month 13 is January of the next year, day 0 the last day of the previous month, and
    so on. In a zone transition gap or overlap the offset is chosen the way Go does.
    """
    carry, month0 = divmod(month - 1, 12)
    days = days_from_civil(year + carry, month0 + 1, 1) + day - 1
    local = days * DAY + ((hour * 60 + minute) * 60 + sec) * SECOND + nsec
    local_sec = local // SECOND
    offset = loc.lookup(local_sec - loc.lookup(local_sec)[1])[1]
    return Time(local - offset * SECOND, loc)


def unix(sec: int, nsec: int = 0, loc: Location | None = None) -> Time:
    """Returns the time ``sec`` seconds plus ``nsec`` ns after the epoch (Go: local zone)."""
    return Time(sec * SECOND + nsec, LOCAL if loc is None else loc)


def from_unix_nano(ns: int, loc: Location | None = None) -> Time:
    """Returns the time ``ns`` nanoseconds after the epoch (Go: local zone)."""
    return Time(ns, LOCAL if loc is None else loc)


def zero_time() -> Time:
    """Returns Go's zero time, January 1, year 1, 00:00:00 UTC."""
    return Time(ZERO_NS, UTC)


def now(clock_ns: Callable[[], int] | None = None, loc: Location | None = None) -> Time:
    """Returns the time read from ``clock_ns`` (default: the system clock).

    Args:
        clock_ns: returns nanoseconds since the Unix epoch; workflows inject their own.
        loc: the location of the result, :data:`LOCAL` by default (as Go's ``time.Now``).
    """
    if clock_ns is None:
        import time as _stdtime

        clock_ns = _stdtime.time_ns
    return Time(clock_ns(), LOCAL if loc is None else loc)


def parse(layout: str, value: str, loc: Location = UTC) -> Time:
    """Parses ``value`` with a Go layout, like Go's ``time.ParseInLocation(layout, v, loc)``.

    Without zone information in the value the time is in ``loc``. A numeric offset that
    matches ``loc`` at that instant gives ``loc``, otherwise a fixed zone; a zone
    abbreviation ``loc`` does not know gives a fixed zone with offset 0 (Go's behaviour),
    except ``GMT+N``/``GMT-N``, which gets that hour offset and keeps its wall clock.

    Raises:
        ParseError: a ``ValueError`` with Go's message, e.g. ``parsing time "x" as
            "2006-01-02": cannot parse "x" as "2006"``.
    """
    p = parse_layout(layout, value)
    fields = (p.year, p.month, p.day, p.hour, p.minute, p.second, p.nanosecond)
    if p.utc:
        return date(*fields, loc=UTC)
    if p.zone_offset is not None:
        t = date(*fields, loc=UTC).add(-p.zone_offset * SECOND)
        name, offset = loc.lookup(t.unix())
        if offset == p.zone_offset and p.zone_name in ("", name):
            return t.in_location(loc)
        return t.in_location(fixed_zone(p.zone_name, p.zone_offset))
    if p.zone_name:
        t = date(*fields, loc=UTC)
        known = loc.lookup_name(p.zone_name, t.unix())
        if known is not None:
            return Time(t.ns - known * SECOND, loc)
        gmt = p.zone_name[:3] == "GMT" and len(p.zone_name) > 3
        guess = int(p.zone_name[3:]) * 3600 if gmt else 0
        return Time(t.ns - guess * SECOND, fixed_zone(p.zone_name, guess))
    return date(*fields, loc=loc)

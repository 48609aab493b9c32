"""Proleptic Gregorian calendar arithmetic for :mod:`wippy_py.host._gotime`.

Month and weekday names, leap years, month lengths and the conversion between a civil
date and a count of days since 1970-01-01. Years are unbounded Python ints; months are
1..12 and weekdays 0..6 with 0 = Sunday, as in Go.
"""

from __future__ import annotations

from wippy_py.durations import SECOND

LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
SHORT_MONTHS = tuple(name[:3] for name in LONG_MONTHS)
LONG_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SHORT_DAYS = tuple(name[:3] for name in LONG_DAYS)

DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)
"""Days before the start of each month in a non-leap year (index 12: the whole year)."""

DAY = 86_400 * SECOND
"""One day in nanoseconds."""


def is_leap(year: int) -> bool:
    """Reports whether ``year`` is a leap year in the proleptic Gregorian calendar."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in(month: int, year: int) -> int:
    """Returns the number of days in ``month`` (1..12) of ``year``."""
    if month == 2 and is_leap(year):
        return 29
    return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1]


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (month 1..12)."""
    year -= month <= 2
    era, yoe = divmod(year, 400)
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Returns the (year, month, day) that is ``days`` days after 1970-01-01."""
    era, doe = divmod(days + 719_468, 146_097)
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1


ZERO_NS = days_from_civil(1, 1, 1) * DAY
"""Go's zero time, January 1, year 1, 00:00:00 UTC, in nanoseconds since the epoch."""

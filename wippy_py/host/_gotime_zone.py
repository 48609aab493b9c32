"""Time zones for :mod:`wippy_py.host._gotime`: :class:`Location` and how to get one.

A location is a fixed offset east of UTC or an IANA zone (``zoneinfo``). This module
also holds the two predefined locations, :data:`UTC` and :data:`LOCAL` (the machine's zone
from ``$TZ`` or ``/etc/localtime``, read once at import), and Go's ``LoadLocation`` and
``FixedZone``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wippy_py.host._gotime_calendar import days_from_civil

__all__ = ["LOCAL", "UTC", "Location", "fixed_zone", "load_location"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone(timedelta(0)))
# Instants (Unix seconds) that ``datetime`` can convert; zone rules are clamped to them.
_ZONE_RANGE = (days_from_civil(1, 1, 2) * 86_400, days_from_civil(9999, 12, 30) * 86_400)


@dataclass(frozen=True)
class Location:
    """A time zone: a fixed offset east of UTC or an IANA zone.

    Attributes:
        name: the name Go reports (``"UTC"``, ``"Local"``, ``"America/New_York"``...).
        offset: seconds east of UTC, used when ``zone`` is ``None``.
        zone: the IANA rules, or ``None`` for a fixed zone.
    """

    name: str
    offset: int = 0
    zone: tzinfo | None = None

    def lookup(self, unix_sec: int) -> tuple[str, int]:
        """Returns the zone abbreviation and offset (seconds east) in effect at an instant."""
        if self.zone is None:
            return self.name, self.offset
        sec = min(max(unix_sec, _ZONE_RANGE[0]), _ZONE_RANGE[1])
        local = (_EPOCH + timedelta(seconds=sec)).astimezone(self.zone)
        offset = local.utcoffset()
        return local.tzname() or "", offset // timedelta(seconds=1) if offset else 0

    def lookup_name(self, abbrev: str, unix_sec: int) -> int | None:
        """Returns the offset of a zone abbreviation used around ``unix_sec``, if known."""
        if self.zone is None:
            return self.offset if abbrev == self.name else None
        samples = (self.lookup(unix_sec + k * 30 * 86_400) for k in range(-6, 7))
        offsets = [offset for name, offset in samples if name == abbrev]
        for offset in offsets:
            if self.lookup(unix_sec - offset)[0] == abbrev:
                return offset
        return offsets[0] if offsets else None

    def __str__(self) -> str:
        return self.name


UTC = Location("UTC")


def _local_location() -> Location:
    tz = os.environ.get("TZ")
    try:
        if tz is None:
            with open("/etc/localtime", "rb") as fh:
                return Location("Local", zone=ZoneInfo.from_file(fh, key="localtime"))
        if tz.lstrip(":") not in ("", "UTC"):
            return Location("Local", zone=ZoneInfo(tz.lstrip(":")))
    except (OSError, ValueError, ZoneInfoNotFoundError):
        pass
    return UTC


LOCAL = _local_location()


def load_location(name: str) -> Location:
    """Returns the location with an IANA name, like Go's ``time.LoadLocation``.

    ``""`` and ``"UTC"`` give :data:`UTC`, ``"Local"`` gives :data:`LOCAL`.

    Raises:
        ValueError: ``unknown time zone NAME`` (or an invalid name).
    """
    if name in ("", "UTC"):
        return UTC
    if name == "Local":
        return LOCAL
    if ".." in name or name.startswith("/") or "\\" in name:
        raise ValueError("time: invalid location name")
    try:
        return Location(name, zone=ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name}") from None


def fixed_zone(name: str, offset_seconds: int) -> Location:
    """Returns a location that always uses ``name`` and ``offset_seconds`` east of UTC."""
    return Location(name, offset_seconds)

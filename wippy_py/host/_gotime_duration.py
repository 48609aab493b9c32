"""Go ``time.Duration`` for :mod:`wippy_py.host._gotime`: integer nanoseconds with methods.

Arithmetic truncates toward zero and saturates to Go's int64 range, as Go does. Parsing
and printing use :mod:`wippy_py.durations`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wippy_py.durations import HOUR, MINUTE, SECOND, format_duration, parse_duration

__all__ = ["Duration", "clamp_duration"]

_MIN_DURATION, _MAX_DURATION = -(2**63), 2**63 - 1


def clamp_duration(ns: int) -> int:
    """Saturates nanoseconds to Go's Duration (int64) range."""
    return min(max(ns, _MIN_DURATION), _MAX_DURATION)


def _tdivmod(a: int, b: int) -> tuple[int, int]:
    """Division truncating toward zero, like Go's ``/`` and ``%`` on integers."""
    q = -(-a // b) if a < 0 else a // b
    return q, a - q * b


def _float_units(ns: int, unit: int) -> float:
    whole, rest = _tdivmod(ns, unit)
    return whole + rest / unit


@dataclass(frozen=True, order=True)
class Duration:
    """An immutable span of nanoseconds with Go's ``time.Duration`` methods."""

    ns: int

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parses a Go duration string such as ``"1h30m"``; raises ``DurationError``."""
        return cls(parse_duration(text))

    def hours(self) -> float:
        """Returns the duration as floating-point hours."""
        return _float_units(self.ns, HOUR)

    def minutes(self) -> float:
        """Returns the duration as floating-point minutes."""
        return _float_units(self.ns, MINUTE)

    def seconds(self) -> float:
        """Returns the duration as floating-point seconds."""
        return _float_units(self.ns, SECOND)

    def milliseconds(self) -> int:
        """Returns the whole milliseconds, truncated toward zero."""
        return _tdivmod(self.ns, 1_000_000)[0]

    def microseconds(self) -> int:
        """Returns the whole microseconds, truncated toward zero."""
        return _tdivmod(self.ns, 1_000)[0]

    def nanoseconds(self) -> int:
        """Returns the duration in nanoseconds."""
        return self.ns

    def round(self, m: int) -> Duration:
        """Rounds to the nearest multiple of ``m`` (halves away from zero; ``m <= 0``: as is)."""
        if m <= 0:
            return self
        r = abs(_tdivmod(self.ns, m)[1])
        step = -r if r + r < m else m - r
        return Duration(clamp_duration(self.ns + step if self.ns >= 0 else self.ns - step))

    def truncate(self, m: int) -> Duration:
        """Rounds toward zero to a multiple of ``m`` (``m <= 0``: unchanged)."""
        return self if m <= 0 else Duration(self.ns - _tdivmod(self.ns, m)[1])

    def abs(self) -> Duration:
        """Returns the absolute value (the minimum duration saturates to the maximum)."""
        return Duration(clamp_duration(abs(self.ns)))

    def __int__(self) -> int:
        return self.ns

    def __str__(self) -> str:
        return format_duration(self.ns)

"""The Python side of the ``time`` module (glue: ``host/glue/time.lua``).

The Go-time core (calendar, layouts, zones) is ``host/_gotime``; this module binds it
to the scheduler's clock. ``time.now()`` is ``wall_epoch + (now - start)`` on
:meth:`Scheduler.now`, so under trio's ``MockClock`` the virtual clock moves
``time.now()`` as well. ``sleep`` is a dispatcher operation; ``after``, timers and
tickers are entries of the scheduler's timer heap that deliver into channels. An armed
timer or ticker counts as a pending operation of its process, so a process waiting
on its channel is not mistaken for a deadlock.
"""

from __future__ import annotations

import time as _stdtime
from typing import Any

from ..durations import DurationError, parse_duration
from ..errors import INVALID, ErrorValue
from ..host import _gotime as gt
from ..lua import as_text
from ._channel import Channel
from ._channels import ChannelApi
from ._model import Process, Thread
from ._scheduler import Scheduler

_LAYOUTS = ("LAYOUT", "ANSIC", "UNIX_DATE", "RUBY_DATE", "RFC822", "RFC822Z", "RFC850",
            "RFC1123", "RFC1123Z", "RFC3339", "RFC3339_NANO", "KITCHEN", "STAMP",
            "STAMP_MILLI", "STAMP_MICRO", "STAMP_NANO", "DATE_TIME", "DATE_ONLY", "TIME_ONLY")
_MONTHS = ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST",
           "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER")
_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_UNITS = {"NANOSECOND": 1, "MICROSECOND": 1_000, "MILLISECOND": 1_000_000,
          "SECOND": 1_000_000_000, "MINUTE": 60_000_000_000, "HOUR": 3_600_000_000_000}

# Methods of Time that take no argument and return plain values.
_TIME_GETTERS = frozenset(
    {"unix", "unix_milli", "unix_micro", "unix_nano", "date", "clock", "year", "month",
     "day", "hour", "minute", "second", "nanosecond", "weekday", "year_day", "is_zero",
     "iso_week", "zone", "format_rfc3339"}
)
_DURATION_GETTERS = frozenset(
    {"hours", "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"}
)


class _Timer:
    """A one-shot timer (``period`` 0) or a ticker armed on the scheduler's heap."""

    __slots__ = ("channel", "handle", "period", "proc")

    def __init__(self, proc: Process, channel: Channel, period: int) -> None:
        self.proc = proc
        self.channel = channel
        self.period = period
        self.handle: list[Any] | None = None


def _lua_value(value: Any) -> Any:
    # Results of the Go-time core: str -> bytes (the runtime has no encoding), tuples
    # become multiple Lua returns.
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, tuple):
        return tuple(_lua_value(v) for v in value)
    return value


def _time(value: Any) -> gt.Time:
    if not isinstance(value, gt.Time):
        raise ValueError("expected a Time")
    return value


def _loc(value: Any) -> gt.Location:
    if not isinstance(value, gt.Location):
        raise ValueError("expected a Location")
    return value


class TimeApi:
    """Clock, timers and the ``time`` module for Lua processes.

    Args:
        scheduler: The dispatcher (clock, timer heap, wake-ups).
        channels: Creates the channels of ``after``, timers and tickers.
    """

    def __init__(self, scheduler: Scheduler, channels: ChannelApi) -> None:
        self.sched = scheduler
        self.vm = scheduler.vm
        self.channels = channels
        self._anchor: tuple[int, float] | None = None
        self._wrap_time: Any = None
        scheduler.register_op("time.sleep", self._op_sleep)

    def build_module(self) -> Any:
        """Builds the ``time`` module table."""
        from ..host._catalog import glue

        module = self.vm.build_module("time", glue("time"), self.functions())
        self._wrap_time = self.vm.kernel.wrap_time
        return module

    # ------------------------------------------------------------------ clock
    def now_ns(self) -> int:
        """Wall-clock nanoseconds that advance with the scheduler's (maybe virtual) clock."""
        try:
            mono = self.sched.now()
        except RuntimeError:  # outside trio: plain wall time
            return _stdtime.time_ns()
        if self._anchor is None:
            self._anchor = (_stdtime.time_ns(), mono)
        wall, start = self._anchor
        return wall + round((mono - start) * 1e9)

    def now(self) -> gt.Time:
        """The current time in the local zone."""
        return gt.Time(self.now_ns(), gt.LOCAL)

    def _lua_now(self) -> gt.Time:
        # time.now() in a workflow reads the workflow clock: a journaled side effect.
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return gt.Time(proc.workflow.record("now", "", self.now_ns), gt.LOCAL)
        return gt.Time(self.now_ns(), gt.LOCAL)

    def unix_seconds(self) -> int:
        """``os.time()``: whole seconds on the (maybe virtual, maybe workflow) clock."""
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return int(proc.workflow.record("now", "", self.now_ns)) // 1_000_000_000
        return self.now_ns() // 1_000_000_000

    def lua_time(self, ns: int) -> Any:
        """A Lua Time object for ``ns`` nanoseconds since the epoch (local zone)."""
        return self._wrap_time(gt.Time(ns, gt.LOCAL))

    def now_lua(self) -> Any:
        """The current time as a Lua Time object (for event ``at`` fields)."""
        return self._wrap_time(self.now())

    # -------------------------------------------------------------- functions
    def functions(self) -> dict[str, Any]:
        """The callables (and the constants table) the glue receives as ``py``."""
        constants: dict[str, Any] = dict(_UNITS)
        constants.update({name: getattr(gt, name) for name in _LAYOUTS})
        constants.update({name: i for i, name in enumerate(_MONTHS, 1)})
        constants.update({name: i for i, name in enumerate(_WEEKDAYS)})
        return {
            "constants": self.vm.to_lua(constants),
            "now": self._lua_now,
            "unix_now": self.unix_seconds,
            "parse_duration": self._parse_duration,
            "after": lambda ns: self._after(ns).lua,
            "timer_new": self._timer_new,
            "timer_channel": lambda timer: _timer_channel(timer).lua,
            "timer_stop": self._timer_stop,
            "timer_reset": self._timer_reset,
            "date": _date,
            "unix": _unix,
            "parse": self._parse,
            "load_location": self._load_location,
            "fixed_zone": lambda name, offset: gt.fixed_zone(as_text(name), int(offset)),
            "utc": lambda: gt.UTC,
            "localtz": lambda: gt.LOCAL,
            "t_add": lambda t, ns: _time(t).add(ns),
            "t_sub": lambda t, u: _time(t).sub(_time(u)),
            "t_add_date": lambda t, y, m, d: _time(t).add_date(int(y), int(m), int(d)),
            "t_cmp": lambda t, u: _time(t).compare(_time(u)),
            "t_format": lambda t, layout: _time(t).format(as_text(layout)).encode(),
            "t_get": _t_get,
            "t_in": lambda t, loc: _time(t).in_location(_loc(loc)),
            "t_location": lambda t: _time(t).location(),
            "t_round": _t_round,
            "d_get": _d_get,
            "d_round": _d_round,
            "d_abs": lambda ns: gt.Duration(ns).abs().ns,
            "l_name": lambda loc: _loc(loc).name.encode(),
        }

    def _invalid(self, message: str) -> Any:
        return self.vm.error(ErrorValue(message, INVALID, False))

    def _parse_duration(self, text: Any) -> tuple[Any, Any]:
        try:
            return parse_duration(as_text(text)), None
        except DurationError as exc:
            return None, self._invalid(str(exc))

    def _parse(self, layout: Any, value: Any, loc: Any) -> tuple[Any, Any]:
        try:
            return gt.parse(as_text(layout), as_text(value), _loc(loc) if loc else gt.UTC), None
        except ValueError as exc:
            return None, self._invalid(str(exc))

    def _load_location(self, name: Any) -> tuple[Any, Any]:
        try:
            return gt.load_location(as_text(name)), None
        except ValueError as exc:
            return None, self._invalid(str(exc))

    # ------------------------------------------------------------ sleeping
    def _op_sleep(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        ns = args[0]
        sched = self.sched
        sched.block_on_op(thread)
        if ns <= 0:
            # sleep(0) yields: the thread goes to the back of the run queue.
            sched.wake(thread, ())
        else:
            sched.call_at(sched.now() + ns / 1e9, lambda: sched.wake(thread, ()))
        return None

    # ------------------------------------------------------- timers, tickers
    def _owner(self) -> Process:
        proc = self.sched.current
        if proc is None:
            raise RuntimeError("timers can only be created by a running process")
        return proc

    def _after(self, ns: int) -> Channel:
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return proc.workflow.after(ns)
        timer = _Timer(self._owner(), self.channels.new_channel(1), 0)
        self._arm(timer, ns)
        return timer.channel

    def _timer_new(self, ns: int, repeat: bool) -> Any:
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return proc.workflow.timer_new(ns, repeat)
        timer = _Timer(self._owner(), self.channels.new_channel(1), ns if repeat else 0)
        self._arm(timer, ns)
        return timer

    def _arm(self, timer: _Timer, ns: int) -> None:
        timer.proc.pending += 1
        deadline = self.sched.now() + max(ns, 0) / 1e9
        timer.handle = self.sched.call_at(deadline, lambda: self._fire(timer, deadline))

    def _fire(self, timer: _Timer, deadline: float) -> None:
        proc = timer.proc
        if not proc.alive:
            return
        channel = timer.channel
        if not (timer.period and channel.pending()):  # a slow ticker reader drops ticks
            channel.deliver(self._wrap_time(self.now()))
        if timer.period:
            next_deadline = deadline + timer.period / 1e9
            timer.handle = self.sched.call_at(
                next_deadline, lambda: self._fire(timer, next_deadline)
            )
            return
        timer.handle = None
        self.sched.release_pending(proc)

    def _timer_stop(self, timer: Any) -> bool:
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return bool(proc.workflow.timer_stop(timer))
        if not isinstance(timer, _Timer):
            raise ValueError("expected a timer")
        if timer.handle is None:
            return False
        self.sched.cancel_timer(timer.handle)
        timer.handle = None
        timer.channel.drain()  # Go 1.23: no stale value after Stop
        self.sched.release_pending(timer.proc)
        return True

    def _timer_reset(self, timer: Any, ns: int) -> bool:
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return bool(proc.workflow.timer_reset(timer, ns))
        active = self._timer_stop(timer)
        self._arm(timer, ns)
        return active


def _timer_channel(timer: Any) -> Channel:
    channel = getattr(timer, "channel", None)  # an actor's _Timer or a workflow's timer
    if not isinstance(channel, Channel):
        raise ValueError("expected a timer")
    return channel


def _date(
    year: Any, month: Any, day: Any, hour: Any, minute: Any, sec: Any, nsec: Any, loc: Any
) -> gt.Time:
    fields = (year, month, day, hour, minute, sec, nsec)
    if not all(isinstance(f, int) and not isinstance(f, bool) for f in fields):
        raise ValueError("time.date: year, month, day, hour, min, sec, nsec must be integers")
    return gt.date(year, month, day, hour, minute, sec, nsec,
                   loc=_loc(loc) if loc is not None else gt.UTC)


def _unix(sec: Any, nsec: Any) -> gt.Time:
    if not isinstance(sec, int | float) or not isinstance(nsec, int | float):
        raise ValueError("time.unix expects (sec, nsec) numbers")
    return gt.Time(round(sec * 1_000_000_000) + round(nsec), gt.LOCAL)


def _t_get(t: Any, name: Any) -> Any:
    key = as_text(name)
    if key == "string":
        return str(_time(t)).encode()
    if key not in _TIME_GETTERS:
        raise ValueError(f"unknown Time method {key}")
    return _lua_value(getattr(_time(t), key)())


def _t_round(t: Any, ns: int, truncate: bool) -> gt.Time:
    return _time(t).truncate(ns) if truncate else _time(t).round(ns)


def _d_get(ns: int, name: Any) -> Any:
    key = as_text(name)
    duration = gt.Duration(ns)
    if key == "string":
        return str(duration).encode()
    if key not in _DURATION_GETTERS:
        raise ValueError(f"unknown Duration method {key}")
    return getattr(duration, key)()


def _d_round(ns: int, m: int, truncate: bool) -> int:
    duration = gt.Duration(ns)
    return (duration.truncate(m) if truncate else duration.round(m)).ns

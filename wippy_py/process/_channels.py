"""The Python side of the ``channel`` global (glue: ``host/glue/channel.lua``)."""

from __future__ import annotations

from typing import Any

from ._anchor import Anchor
from ._channel import Channel, ChannelClosed, Waiter, park_select, try_select
from ._model import Thread
from ._scheduler import Scheduler

_SENT, _WOULD_BLOCK, _CLOSED = 1, 0, 2


class ChannelApi:
    """Creates channels and performs channel operations for Lua threads."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.sched = scheduler
        self._wake = scheduler.wake  # one bound method shared by every channel
        # Lua objects handed over inline (as call arguments, not through an op) that
        # Python keeps must be anchored to the main Lua state (see _anchor.py).
        self._anchor = Anchor(scheduler.vm)
        scheduler.register_op("chan.send", self._op_send)
        scheduler.register_op("chan.recv", self._op_receive)
        scheduler.register_op("chan.select", self._op_select)

    def new_channel(self, size: int) -> Channel:
        """A channel whose waiters are woken through the scheduler."""
        return Channel(size, self._wake)

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py``."""
        return {
            "new": self.new_channel,
            "bind": self._bind,
            "try_send": self._try_send,
            "try_receive": Channel.try_receive,
            "close": Channel.close,
            "try_select": self._try_select,
        }

    # Inline attempts (no yield).
    def _bind(self, channel: Channel, lua_object: Any) -> None:
        channel.lua = self._anchor(lua_object)

    def _try_send(self, channel: Channel, value: Any) -> int:
        try:
            return _SENT if channel.try_send(self._anchor(value)) else _WOULD_BLOCK
        except ChannelClosed:
            return _CLOSED

    def _try_select(
        self, handles: Any, sends: Any, values: Any, count: int
    ) -> tuple[Any, ...] | None:
        anchor = self._anchor
        cases = [
            (handles[i], bool(sends[i]), anchor(values[i]) if sends[i] else None)
            for i in range(1, count + 1)
        ]
        try:
            fired = try_select(cases)
        except ChannelClosed:
            return (-1,)
        if fired is None:
            return None
        index, value, ok = fired
        return (index + 1, value, ok)

    # The ops: the inline attempt failed, so the thread parks.
    def _op_send(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        channel, value = args[0], args[1]
        try:
            if channel.try_send(value):
                return (True,)
        except ChannelClosed:
            return ("__closed__",)
        channel.park_sender(Waiter(thread, [(channel, True, value)], False), 0)
        self.sched.block_on_channel(thread)
        return None

    def _op_receive(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        channel = args[0]
        ready, value, ok = channel.try_receive()
        if ready:
            return (value, ok)
        channel.park_receiver(Waiter(thread, [(channel, False, None)], False), 0)
        self.sched.block_on_channel(thread)
        return None

    def _op_select(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        cases = _cases(*args)
        try:
            fired = try_select(cases)
        except ChannelClosed:
            return (-1,)
        if fired is not None:
            index, value, ok = fired
            return (index + 1, value, ok)
        park_select(Waiter(thread, cases, True))
        self.sched.block_on_channel(thread)
        return None


def _cases(handles: Any, sends: Any, values: Any, count: int) -> list[tuple[Channel, bool, Any]]:
    return [(handles[i], bool(sends[i]), values[i]) for i in range(1, count + 1)]

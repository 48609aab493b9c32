"""Channels: Go-style rendezvous and buffered channels between the threads of a process.

A channel's state (buffer, blocked senders and receivers) lives in Lua
(``lua/sched.lua``), next to the run queue, so that a channel operation between Lua
threads never crosses into Python; the ``channel`` glue works on it directly. This
class is the handle the Python side keeps for the channels it feeds: inboxes and
events are fed through the router, timers, futures and workflow timers through
:meth:`Channel.deliver`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

UNBOUNDED = -1


class ChannelOps:
    """The kernel functions behind :class:`Channel` (looked up once, see ``_anchor.py``).

    Args:
        kernel: The Lua kernel table.
        signal: Wakes the dispatcher (a delivery may have made a thread ready).
    """

    __slots__ = ("close", "deliver", "drain", "make", "pending", "signal")

    def __init__(self, kernel: Any, signal: Callable[[], None]) -> None:
        self.make = kernel.ch_make
        self.deliver = kernel.ch_deliver
        self.close = kernel.ch_close
        self.pending = kernel.ch_pending
        self.drain = kernel.ch_drain
        self.signal = signal


class Channel:
    """A Python handle of a Lua channel.

    Args:
        size: Buffer size; 0 is a rendezvous, :data:`UNBOUNDED` never blocks senders.
        ops: The kernel functions.

    Attributes:
        lua: The channel object Lua code holds (what Python hands to Lua).
    """

    __slots__ = ("_ops", "lua")

    def __init__(self, size: int, ops: ChannelOps) -> None:
        self._ops = ops
        self.lua: Any = ops.make(size)

    def deliver(self, value: Any) -> None:
        """Appends from the runtime (messages, events, timers): never blocks."""
        self._ops.deliver(self.lua, value)
        self._ops.signal()

    def close(self) -> None:
        """Closes the channel: receivers drain the buffer, then get ``nil, false``."""
        self._ops.close(self.lua)
        self._ops.signal()

    def pending(self) -> int:
        """The number of buffered values."""
        return int(self._ops.pending(self.lua))

    def drain(self) -> None:
        """Drops every buffered value (a stopped timer's stale tick)."""
        self._ops.drain(self.lua)

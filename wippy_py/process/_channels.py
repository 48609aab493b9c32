"""The Python side of the ``channel`` global (glue: ``host/glue/channel.lua``).

Channel operations run entirely in Lua (``lua/sched.lua``); Python only creates the
channels that the host feeds (timers, futures, workflow timers).
"""

from __future__ import annotations

from typing import Any

from ._channel import Channel, ChannelOps
from ._scheduler import Scheduler


class ChannelApi:
    """Creates channels fed from Python."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.sched = scheduler
        self._ops = ChannelOps(scheduler.vm.kernel, scheduler.signal)

    def new_channel(self, size: int) -> Channel:
        """A channel whose waiters are woken through the scheduler."""
        return Channel(size, self._ops)

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py`` (none: the glue is pure Lua)."""
        return {}

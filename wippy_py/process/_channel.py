"""Channels: Go-style rendezvous and buffered channels between the threads of a process.

A channel never resumes a thread itself; it hands the waiting thread and the values it
should be resumed with to ``wake`` (the scheduler's run queue). A blocked thread waits
on one channel (send/receive) or on several (select); a :class:`Waiter` records which
case fired so that the other registrations can be dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

Wake = Callable[[Any, tuple[Any, ...]], None]

UNBOUNDED = -1


class Waiter:
    """A thread blocked on one or more channel cases.

    Attributes:
        thread: The blocked thread (opaque to this module).
        cases: ``(channel, is_send, value)`` for each case it waits on.
        select: True for ``channel.select`` (resumed with the case index).
        done: Set once a case fired; stale registrations are skipped.
    """

    __slots__ = ("cases", "done", "select", "thread")

    def __init__(self, thread: Any, cases: list[tuple[Channel, bool, Any]], select: bool) -> None:
        self.thread = thread
        self.cases = cases
        self.select = select
        self.done = False

    def resume_values(self, index: int, value: Any, ok: bool) -> tuple[Any, ...]:
        """The values the thread is resumed with when case ``index`` fires."""
        if self.select:
            return (index + 1, value, ok)
        if self.cases[index][1]:
            return (True,)
        return (value, ok)


class ChannelClosed(Exception):
    """A send on a closed channel (a Lua error in the sending thread)."""


class Channel:
    """A channel of Lua values.

    The queues are created on first use and waiters are kept in plain lists: an idle
    process has a channel (its inbox) with one parked receiver, and an empty deque costs
    ~760 bytes where a short list costs ~60 (bench/RESULTS.md, memory per process).

    Args:
        size: Buffer size; 0 is a rendezvous, :data:`UNBOUNDED` never blocks senders.
        wake: Called with (thread, resume values) to make a waiting thread ready.
    """

    __slots__ = ("_buffer", "closed", "lua", "receivers", "senders", "size", "wake")

    def __init__(self, size: int, wake: Wake) -> None:
        self.size = size
        self.wake = wake
        self._buffer: deque[Any] | None = None
        self.closed = False
        self.receivers: list[tuple[Waiter, int]] | None = None
        self.senders: list[tuple[Waiter, int]] | None = None
        self.lua: Any = None  # the Lua-side channel object, for select results

    @property
    def buffer(self) -> deque[Any]:
        """The buffered values (created on first use)."""
        if self._buffer is None:
            self._buffer = deque()
        return self._buffer

    def pending(self) -> int:
        """The number of buffered values."""
        return len(self._buffer) if self._buffer else 0

    # ----------------------------------------------------------- non-blocking
    def try_send(self, value: Any) -> bool:
        """Sends without blocking; returns False when the send would block.

        Raises:
            ChannelClosed: the channel is closed.
        """
        if self.closed:
            raise ChannelClosed("send on closed channel")
        if self.receivers:
            receiver = _pop_live(self.receivers)
            if receiver is not None:
                waiter, index = receiver
                waiter.done = True
                self.wake(waiter.thread, waiter.resume_values(index, value, True))
                return True
        if self.size == UNBOUNDED or self.pending() < self.size:
            self.buffer.append(value)
            return True
        return False

    def try_receive(self) -> tuple[bool, Any, bool]:
        """Receives without blocking: ``(ready, value, ok)``; ok=False once closed and drained."""
        if self._buffer:
            value = self._buffer.popleft()
            if self.senders:
                self._refill_from_sender()
            return True, value, True
        if self.senders:
            sender = _pop_live(self.senders)
            if sender is not None:
                waiter, index = sender
                waiter.done = True
                value = waiter.cases[index][2]
                self.wake(waiter.thread, waiter.resume_values(index, None, True))
                return True, value, True
        if self.closed:
            return True, None, False
        return False, None, False

    def deliver(self, value: Any) -> None:
        """Appends from the runtime (messages, events, timers): never blocks."""
        if self.closed:
            return
        if self.receivers:
            receiver = _pop_live(self.receivers)
            if receiver is not None:
                waiter, index = receiver
                waiter.done = True
                self.wake(waiter.thread, waiter.resume_values(index, value, True))
                return
        self.buffer.append(value)

    def close(self) -> None:
        """Closes the channel: receivers drain the buffer, then get ``nil, false``."""
        if self.closed:
            return
        self.closed = True
        receivers, self.receivers = self.receivers or [], None
        for waiter, index in receivers:
            if not waiter.done:
                waiter.done = True
                self.wake(waiter.thread, waiter.resume_values(index, None, False))
        senders, self.senders = self.senders or [], None
        for waiter, _ in senders:
            if not waiter.done:
                waiter.done = True
                self.wake(waiter.thread, (-1,) if waiter.select else ("__closed__",))

    @property
    def has_waiting_receiver(self) -> bool:
        """True when a live thread is blocked receiving from this channel."""
        return any(not w.done for w, _ in self.receivers or ())

    # -------------------------------------------------------------- blocking
    def park_receiver(self, waiter: Waiter, index: int) -> None:
        """Registers a blocked receive (case ``index`` of ``waiter``)."""
        if self.receivers is None:
            self.receivers = [(waiter, index)]
        else:
            _append(self.receivers, (waiter, index))

    def park_sender(self, waiter: Waiter, index: int) -> None:
        """Registers a blocked send (case ``index`` of ``waiter``)."""
        if self.senders is None:
            self.senders = [(waiter, index)]
        else:
            _append(self.senders, (waiter, index))

    def drain(self) -> None:
        """Drops every buffered value (a stopped timer's stale tick)."""
        if self._buffer:
            self._buffer.clear()

    def _refill_from_sender(self) -> None:
        # A slot was freed in a full buffer: move one blocked sender's value in.
        if self.size == UNBOUNDED or self.pending() >= self.size or not self.senders:
            return
        sender = _pop_live(self.senders)
        if sender is not None:
            waiter, index = sender
            waiter.done = True
            self.buffer.append(waiter.cases[index][2])
            self.wake(waiter.thread, waiter.resume_values(index, None, True))


def _append(queue: list[tuple[Waiter, int]], entry: tuple[Waiter, int]) -> None:
    # A select loop parks on every case each time round; the cases that did not fire
    # leave stale entries behind. Prune them whenever the list doubles (amortised O(1)).
    queue.append(entry)
    size = len(queue)
    if size >= 32 and size & (size - 1) == 0:
        queue[:] = [e for e in queue if not e[0].done]


def _pop_live(queue: list[tuple[Waiter, int]]) -> tuple[Waiter, int] | None:
    # Oldest first; entries of waiters whose select already fired elsewhere are dropped.
    while queue:
        entry = queue.pop(0)
        if not entry[0].done:
            return entry
    return None


def try_select(cases: list[tuple[Channel, bool, Any]]) -> tuple[int, Any, bool] | None:
    """Fires the first ready case, in order: ``(index, value, ok)`` or None if none is ready.

    Raises:
        ChannelClosed: a send case on a closed channel.
    """
    for index, (channel, is_send, value) in enumerate(cases):
        if is_send:
            if channel.try_send(value):
                return index, None, True
        else:
            ready, received, ok = channel.try_receive()
            if ready:
                return index, received, ok
    return None


def park_select(waiter: Waiter) -> None:
    """Registers ``waiter`` on every channel of its cases."""
    for index, (channel, is_send, _) in enumerate(waiter.cases):
        if is_send:
            channel.park_sender(waiter, index)
        else:
            channel.park_receiver(waiter, index)

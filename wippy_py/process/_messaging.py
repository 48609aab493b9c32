"""Message routing: sends, the inbox, the events channel and ``listen`` subscriptions.

Routing follows Wippy's ``deliverMessage``: an exact ``listen()`` subscription for the
topic first, then the inbox for non-``@`` topics; otherwise the message stays queued
(in arrival order) until a subscription that takes it appears. Lifecycle events travel
the same way on the internal topic ``@pid/events``.

Per-sender ordering holds by construction: a send appends to the receiver's channel or
queue at once, inside the one dispatcher, so two sends from one process can never be
reordered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import INVALID, NOT_FOUND, ErrorValue
from ._channel import UNBOUNDED, Channel
from ._model import Process
from ._names import NameRegistry
from ._scheduler import Scheduler

EVENTS_TOPIC = b"@pid/events"
# Marks a payload to take from the Message only if a raw listen() channel needs it.
_LAZY = object()


def topic_problem(topic: Any) -> ErrorValue | None:
    """Returns why a user topic is refused (empty, not a string, or ``@...``)."""
    if type(topic) is not bytes or not topic:
        return ErrorValue("topic must be a non-empty string", INVALID, False)
    if topic[0] == 64:  # "@"
        return ErrorValue("cannot send to @ topics", INVALID, False)
    return None


class Router:
    """Delivers messages and events to processes.

    Args:
        scheduler: The dispatcher (its ``procs`` table and ``current`` process).
        names: The name registry (destinations may be names).
        new_channel: Creates a channel woken through the scheduler.
        new_message: Builds a Lua Message object from (topic, from, data).
        message_data: Returns the payload data of a Lua Message object.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        names: NameRegistry,
        new_channel: Callable[[int], Channel],
        new_message: Callable[..., Any],
        message_data: Callable[[Any], Any],
    ) -> None:
        self.sched = scheduler
        self.procs = scheduler.procs
        self.names = names
        self._new_channel = new_channel
        self._new_message = new_message
        self._message_data = message_data

    # ------------------------------------------------------------ resolution
    def resolve(self, dest: Any) -> tuple[Process | None, ErrorValue | None]:
        """Finds the process a destination names.

        Returns:
            ``(process, None)``; ``(None, None)`` for a PID that is not alive (signals to
            it are dropped); ``(None, error)`` for a bad value or an unknown name.
        """
        if type(dest) is not bytes or not dest:
            return None, ErrorValue("destination must be a PID or a registered name",
                                    INVALID, False)
        proc = self.procs.get(dest)
        if proc is not None:
            return proc, None
        if dest[0] != 123:  # "{": a name
            pid = self.names.lookup(dest)
            if pid is None:
                return None, ErrorValue(
                    f"could not resolve: {dest.decode(errors='replace')}", NOT_FOUND, False
                )
            return self.procs.get(pid), None
        return None, None

    # ---------------------------------------------------------------- sending
    def send(self, dest: Any, topic: Any, data: Any, count: Any = None) -> Any:
        """``process.send``: ``true`` or ``(false, err)`` to Lua.

        ``count`` is the number of payloads when the sender passed several (``data`` is
        then a table of them and ``msg:payload()`` returns a table of Payloads).
        """
        if type(topic) is not bytes or not topic or topic[0] == 64:
            return False, self._lua_error(topic_problem(topic))
        target = self.procs.get(dest) if type(dest) is bytes else None
        if target is None:
            target, problem = self.resolve(dest)
            if problem is not None:
                return False, self._lua_error(problem)
            if target is None:
                return True  # a dead PID: dropped silently, like Erlang
        current = self.sched.current
        if target.workflow is not None:  # a durable signal, journaled by the workflow
            return target.workflow.receive(topic, data, current.pid if current else b"")
        # Built by a kernel call, so the Message is bound to the main Lua state and
        # may outlive the sender (process/_anchor.py).
        message = self._new_message(topic, current.pid if current is not None else b"", data,
                                    count)
        if target.listeners is None and target.inbox is not None:
            target.inbox.deliver(message)  # deliver(), inlined for the common case
        else:
            self.deliver(target, topic, _LAZY, message)
        return True

    def send_from_host(self, target: Process, topic: bytes, data: Any, sender: bytes) -> None:
        """Sends a message built here (host sends, ``with_message``)."""
        self.deliver(target, topic, _LAZY, self._new_message(topic, sender, data))

    def _lua_error(self, problem: ErrorValue | None) -> Any:
        assert problem is not None
        return self.sched.vm.error(problem)

    def deliver(self, target: Process, topic: bytes, data: Any, message: Any) -> None:
        """Routes one message: exact listen() first, then the inbox, else it stays queued.

        Args:
            target: The receiving process.
            topic: The topic (``@`` topics are internal: never the inbox).
            data: The payload value (what a raw ``listen`` channel receives), or
                ``_LAZY`` to read it from ``message`` when needed.
            message: The Lua Message object (None for internal events).
        """
        listeners = target.listeners
        if listeners:
            sub = listeners.get(topic)
            if sub is not None:
                channel, as_message = sub
                if as_message:
                    channel.deliver(message)
                else:
                    channel.deliver(self._message_data(message) if data is _LAZY else data)
                return
        inbox = target.inbox
        if inbox is not None and topic[0] != 64:
            inbox.deliver(message)
            return
        queued = target.queued
        if queued is None:
            queued = target.queued = deque()
        queued.append((topic, data, message))

    def deliver_event(self, target: Process, event: Any) -> None:
        """Puts a lifecycle event (a Lua table) on the target's events topic."""
        self.deliver(target, EVENTS_TOPIC, event, None)

    def _flush(self, proc: Process) -> None:
        # A subscription appeared: re-route what was waiting, keeping the order of
        # what still has nowhere to go.
        queued = proc.queued
        if not queued:
            return
        proc.queued = None
        for topic, data, message in queued:
            self.deliver(proc, topic, data, message)

    # ---------------------------------------------------------- subscriptions
    def inbox(self, proc: Process) -> Channel:
        """The process's inbox channel (created, and the queue flushed, on first use)."""
        channel = proc.inbox
        if channel is None:
            channel = proc.inbox = self._new_channel(UNBOUNDED)
            self._flush(proc)
        return channel

    def events(self, proc: Process) -> Channel:
        """The process's events channel (EXIT, LINK_DOWN, CANCEL tables)."""
        channel = proc.events
        if channel is None:
            channel = proc.events = self._new_channel(UNBOUNDED)
            self._listeners(proc)[EVENTS_TOPIC] = (channel, False)
            self._flush(proc)
        return channel

    def listen(self, proc: Process, topic: Any, as_message: bool) -> Channel | ErrorValue:
        """Subscribes a new channel to ``topic`` (raw values, or Messages)."""
        if type(topic) is not bytes or not topic:
            return ErrorValue("listen: topic must be a non-empty string", INVALID, False)
        if topic[0] == 64:
            return ErrorValue("listen: cannot listen to @ topics", INVALID, False)
        listeners = self._listeners(proc)
        if topic in listeners:
            return ErrorValue(
                f"listen: already listening on topic {topic.decode(errors='replace')!r} "
                "(unlisten the other channel first)", INVALID, False,
            )
        channel = self._new_channel(UNBOUNDED)
        listeners[topic] = (channel, as_message)
        self._flush(proc)
        return channel

    def unlisten(self, proc: Process, channel: Channel) -> bool:
        """Removes the subscription of ``channel`` and closes it."""
        listeners = proc.listeners
        if not listeners:
            return False
        for topic, (subscribed, _) in listeners.items():
            if subscribed is channel and topic != EVENTS_TOPIC:
                del listeners[topic]
                channel.close()
                return True
        return False

    @staticmethod
    def _listeners(proc: Process) -> dict[bytes, tuple[Channel, bool]]:
        if proc.listeners is None:
            proc.listeners = {}
        return proc.listeners

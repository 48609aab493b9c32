"""Message routing from Python: sends that need Python, host sends and events.

Routing follows Wippy's ``deliverMessage`` (an exact ``listen()`` subscription for the
topic first, then the inbox for non-``@`` topics; otherwise the message stays queued in
arrival order until a subscription that takes it appears). The mailboxes and the
routing itself live in Lua (``K.route`` in ``host/glue/process.lua``, on the process
records of ``lua/sched.lua``): a send from one actor to another's PID never comes
here. This class handles what does: names, dead PIDs, bad arguments, sends to and from
workflows (their hooks journal them), messages from the host and lifecycle events
(topic ``@pid/events``).

PIDs this node does not know are dropped, like sends to dead PIDs — unless their
host is registered in :attr:`Router.remote_hosts`: a backend whose processes live
elsewhere (a Temporal worker: workflows started by other clients) registers its host
there and gets those sends (``{host|id}``). The lookup happens only on the
unknown-PID path, so sends between local processes pay nothing for it.

Per-sender ordering holds by construction: every send is routed at once, inside the
one dispatcher, so two sends from one process can never be reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import INVALID, NOT_FOUND, ErrorValue
from ._model import Process
from ._names import NameRegistry
from ._scheduler import Scheduler

EVENTS_TOPIC = b"@pid/events"

RemoteSend = Callable[[bytes, bytes, Any, bytes], Any]
"""``handler(dest, topic, data, sender)`` of a remote host: returns what
``process.send`` returns to Lua (``True``, or ``(False, err)``)."""


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
    """

    def __init__(self, scheduler: Scheduler, names: NameRegistry) -> None:
        self.sched = scheduler
        self.procs = scheduler.procs
        self.names = names
        kernel = scheduler.vm.kernel  # looked up once (lupa: see _anchor.py)
        self._route_to = kernel.route_to
        self._post_to = kernel.post_to
        # Host (bytes, as in ``{host|id}``) -> the handler of sends to its PIDs that
        # are not processes of this node (see the module docstring).
        self.remote_hosts: dict[bytes, RemoteSend] = {}

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
                if self.remote_hosts:
                    return self._send_remote(dest, topic, data)
                return True  # a dead PID: dropped silently, like Erlang
        current = self.sched.current
        sender = current.pid if current is not None else b""
        if target.workflow is not None:  # a durable signal, journaled by the workflow
            return target.workflow.receive(topic, data, sender)
        self._post_to(target.pid, topic, sender, data, count)
        self.sched.signal()
        return True

    def _send_remote(self, dest: bytes, topic: bytes, data: Any) -> Any:
        """A send to a PID unknown here: its host's handler, or dropped."""
        bar = dest.find(b"|")
        handler = self.remote_hosts.get(dest[1:bar]) if bar > 1 and dest[-1:] == b"}" else None
        if handler is None:
            return True  # an unknown host: dropped, as sends to dead PIDs are
        current = self.sched.current
        return handler(dest, topic, data, current.pid if current is not None else b"")

    def send_from_host(self, target: Process, topic: bytes, data: Any, sender: bytes) -> None:
        """Sends a message built here (host sends, ``with_message``)."""
        if target.alive:
            self._post_to(target.pid, topic, sender, data, None)
            self.sched.signal()

    def _lua_error(self, problem: ErrorValue | None) -> Any:
        assert problem is not None
        return self.sched.vm.error(problem)

    def deliver_event(self, target: Process, event: Any) -> None:
        """Puts a lifecycle event (a Lua table) on the target's events topic."""
        if target.alive:
            self._route_to(target.pid, EVENTS_TOPIC, event)
            self.sched.signal()

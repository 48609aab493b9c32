"""The records the scheduler keeps per process and per thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ErrorValue

# Thread states, as Python sees them. Whether a READY thread is queued, running or
# parked on channels is known only to the Lua half of the dispatcher (sched.lua).
READY = 0
QUEUED = 1  # started or woken by Python, not resumed since (as far as Python knows)
BLOCKED_OP = 2  # waiting for the host (timer, call, I/O, exec)
DONE = 3


class Thread:
    """One Lua coroutine of a process (the main one or a ``coroutine.spawn``).

    ``co`` is the thread's record in Lua (a box, see ``lua/sched.lua``), which
    names it by ``tid``.
    """

    __slots__ = ("co", "is_main", "proc", "state", "tid")

    def __init__(self, co: Any, proc: Process, is_main: bool, tid: int = 0) -> None:
        self.co = co
        self.proc = proc
        self.is_main = is_main
        self.state = QUEUED
        self.tid = tid


class Exit:
    """How a process ended, in Lua values (converted lazily for Python consumers).

    Attributes:
        value: The first return value (a Lua value).
        error: A Lua error object, or None for a clean exit.
        error_value: The error as an :class:`ErrorValue` (set with ``error``).
        extra: Further return values (Lua values).
    """

    __slots__ = ("error", "error_value", "extra", "value")

    def __init__(
        self,
        value: Any = None,
        error: Any = None,
        error_value: ErrorValue | None = None,
        extra: tuple[Any, ...] = (),
    ) -> None:
        self.value = value
        self.error = error
        self.error_value = error_value
        self.extra = extra

    @property
    def ok(self) -> bool:
        """True for a clean exit."""
        return self.error is None


ExitCallback = Callable[["Process", Exit], None]


class Process:
    """A running Lua process: its threads, mailbox routing, links and monitors.

    Invariant: ``pending`` counts host operations in flight (timers, calls, I/O) that
    can still wake a thread; a process whose threads are all parked on its own channels
    with ``pending == 0`` and no subscription can never run again (deadlock).

    Its mailbox (inbox, events, ``listen`` subscriptions, messages waiting for a
    subscription) lives in its Lua record, found by PID (``lua/sched.lua``,
    ``lua/chan.lua``), so that sends between actors stay in Lua.
    """

    __slots__ = (
        "alive",
        "context",
        "entry_id",
        "exit",
        "host",
        "libs",
        "links",
        "monitored_by",
        "monitoring",
        "names",
        "on_exit",
        "ops",
        "pending",
        "pid",
        "threads",
        "trap_links",
        "workflow",
    )

    def __init__(self, pid: bytes, entry_id: str, host: str) -> None:
        self.pid = pid
        self.entry_id = entry_id
        self.host = host
        self.threads: list[Thread] = []
        self.alive = True
        self.exit: Exit | None = None
        self.monitored_by: set[bytes] | None = None
        self.monitoring: set[bytes] | None = None
        self.links: set[bytes] | None = None
        self.names: list[bytes] | None = None
        self.trap_links = False
        self.pending = 0
        self.on_exit: list[ExitCallback] | None = None
        self.context: Any = None  # ctx values (a Python dict) inherited by children
        self.libs: dict[str, Any] | None = None  # library instances by entry ID
        # A workflow's interceptor (see _hooks.WorkflowHooks) and its opcode table,
        # which replaces the scheduler's for the workflow's yields; None for actors.
        self.workflow: Any = None
        self.ops: dict[bytes, Any] | None = None

    @property
    def pid_text(self) -> str:
        """The PID as text, e.g. ``{app:processes|0x00002}``."""
        return self.pid.decode()

    def add_exit_callback(self, callback: ExitCallback) -> None:
        """Calls ``callback(process, exit)`` when the process ends."""
        if self.on_exit is None:
            self.on_exit = []
        self.on_exit.append(callback)

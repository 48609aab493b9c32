"""One workflow run: the interceptor behind a workflow process (``Process.workflow``).

Every call the Lua code makes that touches the outside world becomes a *command*: it
is checked against the history while replaying (and its recorded outcome used), or
journaled and performed while live. Outcomes arrive as *events* (activity results,
timer firings, signals, child exits, cancellation) that are journaled and delivered
one at a time, only while the run is idle — so a replay that feeds the same events
at the same idle points re-creates the same run (see ``wippy_py.workflow._replay``).
External effects (activities, sends to actors) start only once the journal holds
their command durably.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...durations import format_duration
from ...errors import INVALID, ErrorValue, NondeterminismError
from ...journal import Record, RunRow
from ...lua import as_text
from ...workflow import LuaRandom, Replay, args_hash
from ._commands import CommandsMixin
from ._ops import Pending
from ._values import data_of, error_from_record, lua_of

if TYPE_CHECKING:
    from ...process import Process
    from ._engine import LocalEngine

COMMAND, EVENT = "command", "event"


class Diverged(Exception):
    """Raised into Lua to stop a run whose code no longer matches its journal."""


class Event:
    """A live event waiting for the run to be idle."""

    __slots__ = ("at", "error", "inbox_id", "kind", "ref", "target", "value")

    def __init__(
        self, kind: str, ref: int | None = None, target: str = "", value: Any = None,
        error: dict[str, Any] | None = None, inbox_id: str = "", at: float = 0.0,
    ) -> None:
        self.kind = kind
        self.ref = ref
        self.target = target
        self.value = value
        self.error = error
        self.inbox_id = inbox_id
        self.at = at


class WorkflowRun(CommandsMixin):
    """The live state of one run of a workflow.

    Args:
        engine: The embedded engine that owns the run.
        row: The run's status row.
        history: Its recorded history (empty for a new run).
        verify_only: Replay the history and stop (``workflow replay``): nothing is
            executed or journaled.
    """

    __slots__ = ("_settling", "backlog", "beyond", "children", "continue_to", "engine",
                 "failure", "outcome", "pending", "pid", "proc", "queue", "replay", "rng",
                 "row", "run_id", "sched", "seq", "stopping", "verify_only", "vm",
                 "workflow_id")

    def __init__(
        self, engine: LocalEngine, row: RunRow, history: list[Record], *,
        verify_only: bool = False,
    ) -> None:
        self.engine = engine
        self.row = row
        self.workflow_id = row.workflow_id
        self.run_id = row.run_id
        self.sched = engine.sched
        self.vm = engine.vm
        self.proc: Process = None  # type: ignore[assignment]  # set by the engine
        self.pid = b""
        self.seq = 0
        self.replay: Replay | None = Replay(row.workflow_id, row.run_id, history) \
            if history or verify_only else None
        self.verify_only = verify_only
        self.pending: dict[int, Pending] = {}
        # Created on first use: most waiting runs never need them.
        self.children: dict[bytes, Any] | None = None
        self.queue: deque[Event] | None = None
        self.backlog: list[Event] | None = None  # events that came during replay
        self.rng: LuaRandom | None = None  # made on the first math.random()
        self.failure: ErrorValue | None = None
        self.outcome: str | None = None  # "terminated", "continued" when not a plain exit
        self.stopping = False
        # (entry, input, monitors) of the run that continues this one (process.upgrade)
        self.continue_to: tuple[str, list[Any], Any] | None = None
        # verify_only: the command the code issued once the history ran out
        self.beyond: tuple[str, str, str] | None = None
        self._settling = False

    # ------------------------------------------------------------- state
    @property
    def is_live(self) -> bool:
        """True once the history is replayed (commands now run for real)."""
        return self.replay is None

    def lua_value(self, data: Any) -> Any:
        """A journaled value as a Lua value."""
        return lua_of(self.vm, data)

    def lua_error(self, record: dict[str, Any] | None) -> Any:
        """A journaled error as a Lua error object."""
        assert record is not None
        return self.vm.error(error_from_record(record))

    def to_data(self, value: Any, what: str | Callable[[], str]) -> Any:
        """Converts a Lua value to journal data; a function or the like is an Invalid
        error raised into Lua, naming ``what`` (text, or a function that makes it)."""
        try:
            return data_of(self.vm, value)
        except ValueError as exc:
            label = what if isinstance(what, str) else what()
            raise ValueError(f"{label}: {exc} (workflow values must be plain data)") from exc

    def invalid(self, message: str) -> Any:
        """A Lua ``Invalid`` error object."""
        return self.vm.error(ErrorValue(message, INVALID, False))

    # ---------------------------------------------------------- commands
    @classmethod
    def op_handlers(cls) -> dict[str, Callable[..., Any]]:
        """The yielded operations workflows handle, shared by every run (one table per
        engine, not per run: a waiting workflow should cost little memory). Each handler
        finds its run through the thread's process."""
        return {opcode: _guarded(method) for opcode, method in cls.OPS.items()}

    def issue(
        self, kind: str, target: str, args: Any = None,
        produce: Callable[[], Any] | None = None,
    ) -> tuple[int, Record | None, Any]:
        """Issues a command.

        Returns:
            ``(seq, record, value)``: the recorded command and its value while
            replaying; ``record`` None while live, when the command was journaled
            with ``value = produce()``.

        Raises:
            Diverged: the history holds something else here (the run has failed).
        """
        digest = args_hash(args) if args is not None else ""
        if self.replay is not None:
            try:
                # No location while the command matches: looking it up walks the Lua
                # stack, half the cost of a replayed side effect. A mismatch moves
                # nothing, so it is matched again with the line for the message.
                record = self.replay.match(kind, target, digest, "")
            except NondeterminismError:
                message = self._mismatch(kind, target, digest)
                self.diverge(message)
                raise Diverged(message) from None
            if record is not None:
                self.seq = record.seq + 1
                return record.seq, record, record.value
            if self.verify_only:  # what the code does past the end of its history
                self.beyond = (kind, target, self.vm.where())
            self.go_live()
        location = self.vm.where()
        value = produce() if produce is not None else None
        seq = self.seq
        self.seq += 1
        self.engine.append(self, Record(seq, COMMAND, kind, target, digest, value, None, None,
                                        location, self.engine.now_wall()))
        return seq, None, value

    def _mismatch(self, kind: str, target: str, digest: str) -> str:
        """The divergence message of a command the history does not hold, with its line."""
        assert self.replay is not None
        try:
            self.replay.match(kind, target, digest, self.vm.where())
        except NondeterminismError as exc:
            return str(exc)
        raise AssertionError("a command that did not match the history matched it")

    def record(self, kind: str, target: str, produce: Callable[[], Any]) -> Any:
        """A side effect: produced and journaled live, read from the journal on replay."""
        return self.issue(kind, target, None, produce)[2]

    def random(self, low: Any, high: Any) -> Any:
        """``math.random`` from the run's own generator (same numbers on replay)."""
        if self.rng is None:
            self.rng = LuaRandom(self.run_id)
        return self.rng.draw(low, high)

    # ------------------------------------------------------------ events
    def enqueue(self, event: Event) -> None:
        """Queues a live event; it is delivered as soon as the run is idle."""
        if self.proc is None or not self.proc.alive:
            return
        if not self.is_live:
            if self.backlog is None:
                self.backlog = []
            self.backlog.append(event)
            return
        if self.queue is None:
            self.queue = deque()
        self.queue.append(event)
        self.settle()

    def settle(self) -> None:
        """Delivers recorded (replay) or queued (live) events while the run is idle."""
        if self._settling:
            return
        self._settling = True
        try:
            self._settle()
        finally:
            self._settling = False

    def _settle(self) -> None:
        proc = self.proc
        while proc.alive and not self.sched.has_ready(proc):
            if self.replay is not None:
                try:
                    record = self.replay.next_event()
                except NondeterminismError as exc:
                    self.diverge(str(exc))
                    return
                if record is None:
                    self.go_live()
                    continue
                self.seq = record.seq + 1
                self._deliver(record)
                continue
            if not self.queue:  # None or empty
                return
            event = self.queue.popleft()
            record = Record(self.seq, EVENT, event.kind, event.target, "", event.value,
                            event.error, event.ref, "", event.at or self.engine.now_wall())
            self.seq += 1
            self.engine.append(self, record, consumed=event.inbox_id)
            self._deliver(record)

    def _deliver(self, record: Record) -> None:
        kind = record.kind
        if kind == "signal":
            message = record.value or {}
            self.engine.processes.router.send_from_host(
                self.proc, record.target.encode(), self.lua_value(message.get("data")),
                str(message.get("from", "")).encode(),
            )
        elif kind == "cancel":
            message = record.value or {}
            self.engine.lifecycle.cancel(
                self.proc, str(message.get("from", "")).encode(),
                str(message.get("reason", "")).encode(),
                self.engine.time.lua_time(round(record.at * 1e9)),
            )
        elif record.ref is not None:
            op = self.pending.get(record.ref)
            if op is not None and op.complete(self, record):
                self.pending.pop(record.ref, None)

    def go_live(self) -> None:
        """The history is exhausted: start what is still pending, then run for real."""
        if self.replay is None:
            return
        self.replay = None
        if self.verify_only:
            self.engine.verified(self)
            return
        for op in list(self.pending.values()):
            op.go_live(self)
        if self.backlog:
            self.queue = deque(self.backlog)
            self.backlog = None

    def fire_timer(self, op: Any) -> None:
        """A live timer reached its due time."""
        self.enqueue(Event("fired", ref=op.seq, value=op.due))

    def child_exited(self, op: Any, value: Any, error: dict[str, Any] | None) -> None:
        """A child workflow of this run finished."""
        self.enqueue(Event("child_exit", ref=op.seq, target=op.child_id, value=value,
                           error=error))

    # ----------------------------------------------------------- failure
    def diverge(self, message: str) -> None:
        """Fails the run: its code no longer matches its journal."""
        if self.failure is None:
            self.failure = ErrorValue(message, "Internal", False)
            self.sched.fail(self.proc, self.failure)

    def where_text(self) -> str:
        """The Lua location of the current call (for messages)."""
        return self.vm.where()

    def describe(self) -> str:
        """``workflow ID (run R, entry E)`` for log lines."""
        return f"workflow {self.workflow_id} (run {self.run_id}, {self.row.entry})"

    def ids(self) -> tuple[str, str]:
        """(workflow ID, run ID)."""
        return self.workflow_id, self.run_id

    def text(self, value: Any) -> str:
        """Lua text as a Python str."""
        return as_text(value) if isinstance(value, bytes) else str(value)

    def duration_text(self, ns: int) -> str:
        """A duration as Go text (the target of timer commands)."""
        return format_duration(ns)


def _guarded(method: str) -> Callable[..., Any]:
    # A divergence found while handling an operation has already failed the run
    # (WorkflowRun.diverge); it must not reach the dispatcher, which would stop every
    # process of the node.
    def op(thread: Any, args: tuple[Any, ...]) -> Any:
        try:
            return getattr(thread.proc.workflow, method)(thread, args)
        except Diverged:
            return None  # the run's process has ended with the divergence

    return op

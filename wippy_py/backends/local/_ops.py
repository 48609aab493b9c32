"""Commands of a workflow run that wait for a completion event.

Each kind has a live part (start the activity, arm the timer, watch the child) that
runs only once the run is live, and a completion that hands the recorded outcome to
the Lua code. During replay only the completion runs, fed from the journal, so a
completed activity is never executed again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...journal import Record
from ...workflow import ActivityOptions

if TYPE_CHECKING:
    from ._run import WorkflowRun


class Pending:
    """A command waiting for its completion event.

    Attributes:
        seq: The command's position in the history.
    """

    def __init__(self, seq: int) -> None:
        self.seq = seq

    def go_live(self, run: WorkflowRun) -> None:
        """Starts the external part (the run just became live)."""

    def complete(self, run: WorkflowRun, record: Record) -> bool:
        """Delivers a completion; returns True when the command is finished."""
        return True

    def abandon(self, run: WorkflowRun) -> None:
        """Stops the external part (the run ended or the command was cancelled)."""


class ActivityOp(Pending):
    """A ``funcs.call`` (``thread`` waits) or ``funcs.async`` (``future``)."""

    def __init__(
        self, seq: int, target: str, args: list[Any], context: dict[str, Any] | None,
        options: ActivityOptions, thread: Any = None, future: Any = None,
    ) -> None:
        super().__init__(seq)
        self.target = target
        self.args = args
        self.context = context
        self.options = options
        self.thread = thread
        self.future = future
        self.attempt = 0
        self.first_started = 0.0  # scheduler time of attempt 1 (schedule_to_close)
        self.callee: Any = None  # the running attempt's process
        self.retry_handle: Any = None

    def go_live(self, run: WorkflowRun) -> None:
        run.engine.activities.start(run, self)

    def complete(self, run: WorkflowRun, record: Record) -> bool:
        ok = record.error is None
        outcome = run.lua_value(record.value) if ok else run.lua_error(record.error)
        if self.thread is not None:
            run.sched.wake(self.thread, (outcome, None) if ok else (None, outcome))
        elif self.future is not None and self.future.state == 0:
            run.engine.funcs.complete_future(self.future, ok, outcome)
            run.sched.release_pending(run.proc)
        return True

    def abandon(self, run: WorkflowRun) -> None:
        run.engine.activities.abandon(self)


class TimerOp(Pending):
    """A durable timer: ``time.sleep`` (``thread``), ``after``/``timer``/``ticker``
    (``channel``). A ticker (``period`` > 0) stays pending and fires repeatedly."""

    def __init__(
        self, seq: int, due: float, period: float = 0.0, thread: Any = None, channel: Any = None,
    ) -> None:
        super().__init__(seq)
        self.due = due
        self.period = period
        self.thread = thread
        self.channel = channel
        self.handle: Any = None

    def go_live(self, run: WorkflowRun) -> None:
        self.handle = run.engine.arm(self.due, lambda: run.fire_timer(self))

    def complete(self, run: WorkflowRun, record: Record) -> bool:
        self.handle = None
        due = float(record.value) if record.value is not None else self.due
        if self.thread is not None:
            run.sched.wake(self.thread, ())
            return True
        channel = self.channel
        if not (self.period and channel.pending()):  # a slow ticker reader drops ticks
            channel.deliver(run.engine.time.lua_time(round(due * 1e9)))
        if self.period:
            self.due = due + self.period
            if run.is_live:
                self.go_live(run)
            return False
        run.sched.release_pending(run.proc)
        return True

    def abandon(self, run: WorkflowRun) -> None:
        if self.handle is not None:
            run.engine.disarm(self.handle)
            self.handle = None


class ChildOp(Pending):
    """A child workflow: its exit resumes ``process.exec``/``workflow.exec`` (a
    waiting thread) or arrives as an EXIT event."""

    def __init__(self, seq: int, child_id: str, pid: bytes) -> None:
        super().__init__(seq)
        self.child_id = child_id
        self.pid = pid
        self.waiter: Any = None

    def go_live(self, run: WorkflowRun) -> None:
        run.engine.watch_exit(self.child_id, lambda value, error: run.child_exited(
            self, value, error))

    def complete(self, run: WorkflowRun, record: Record) -> bool:
        ok = record.error is None
        value = run.lua_value(record.value) if ok else None
        error = None if ok else run.lua_error(record.error)
        if self.waiter is not None:
            run.sched.wake(self.waiter, (value, None) if ok else (None, error))
        else:
            run.engine.lifecycle.deliver_exit(
                run.proc, self.pid, run.engine.time.lua_time(round(record.at * 1e9)), value, error
            )
        return True


class WorkflowTimer:
    """The handle ``time.timer``/``time.ticker`` return inside a workflow."""

    __slots__ = ("channel", "op")

    def __init__(self, channel: Any, op: TimerOp | None) -> None:
        self.channel = channel
        self.op = op


class WorkflowFuture:
    """The future ``funcs.async`` returns inside a workflow (same fields as actors')."""

    __slots__ = ("channel", "error", "op", "state", "value")

    def __init__(self) -> None:
        self.state = 0
        self.value: Any = None
        self.error: Any = None
        self.channel: Any = None
        self.op: ActivityOp | None = None

"""Activities: ``funcs.call`` inside a workflow, run with timeouts and retries.

An attempt runs the ``function.lua`` entry as a function process (like any
``funcs.call``), with the run's ctx values plus ``idempotency_key``
(``<run id>:<seq>``, the same on every attempt and after a crash) and ``attempt``.
A failure is retried per the retry policy; only the final outcome is journaled, as
a ``completed`` event. Attempts are not journaled: after a crash an unfinished
activity starts again from attempt 1 (activities are at-least-once, DESIGN 9).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from ...errors import CANCELED, INTERNAL, TIMEOUT, ErrorValue
from ._run import Event
from ._values import data_of, error_record, lua_of

if TYPE_CHECKING:
    from ...process import Exit, FuncsApi, Process, Scheduler
    from ._ops import ActivityOp
    from ._run import WorkflowRun

log = logging.getLogger("wippy_py.workflow")


class ActivityRunner:
    """Starts, times out, retries and abandons activity attempts."""

    def __init__(self, scheduler: Scheduler, funcs: FuncsApi) -> None:
        self.sched = scheduler
        self.funcs = funcs
        self.vm = scheduler.vm

    def check_target(self, target: Any) -> ErrorValue | None:
        """Why ``target`` cannot be called (Invalid / NotFound), or None."""
        checked = self.funcs.check_target(target)
        return checked if isinstance(checked, ErrorValue) else None

    def start(self, run: WorkflowRun, op: ActivityOp) -> None:
        """Starts the next attempt of ``op``."""
        op.attempt += 1
        op.retry_handle = None
        if op.attempt == 1:
            op.first_started = self.sched.now()
        vm = self.vm
        args = tuple([lua_of(vm, a) for a in op.args])
        started = self.funcs.start(None, None, None, op.target.encode(), args)
        if isinstance(started, ErrorValue):  # the entry vanished from the registry
            self._finish(run, op, None, started)
            return
        callee: Process = started
        callee.context = {**(op.context or {}), "idempotency_key": f"{run.run_id}:{op.seq}",
                          "attempt": op.attempt, "workflow_id": run.workflow_id}
        op.callee = callee
        deadline = self._attempt_deadline(op)
        timer = self.sched.call_at(deadline, lambda: self._timed_out(op, callee))
        callee.add_exit_callback(lambda _p, exit: self._attempt_ended(run, op, callee, exit,
                                                                      timer))

    def _attempt_deadline(self, op: ActivityOp) -> float:
        deadline = self.sched.now() + op.options.start_to_close
        if op.options.schedule_to_close is not None:
            deadline = min(deadline, op.first_started + op.options.schedule_to_close)
        return deadline

    def _timed_out(self, op: ActivityOp, callee: Process) -> None:
        if callee.alive:
            self.sched.fail(callee, ErrorValue(
                f"activity {op.target} timed out (attempt {op.attempt})", TIMEOUT, True))

    def _attempt_ended(
        self, run: WorkflowRun, op: ActivityOp, callee: Process, exit: Exit, timer: Any
    ) -> None:
        self.sched.cancel_timer(timer)
        if op.callee is not callee:
            return  # abandoned (cancelled, run ended)
        op.callee = None
        if exit.ok:
            try:
                value = data_of(self.vm, exit.value)
            except ValueError as exc:
                self._finish(run, op, None, ErrorValue(
                    f"activity {op.target} returned a value that cannot be journaled: {exc}",
                    "Internal", False))
                return
            self._finish(run, op, value, None)
            return
        error = exit.error_value or ErrorValue("activity failed", INTERNAL, False)
        if not error.kind:  # a Lua runtime error (Wippy: Internal, not retryable)
            error = dataclasses.replace(error, kind=INTERNAL)
        if self._retry(run, op, error):
            return
        self._finish(run, op, None, error)

    def _retry(self, run: WorkflowRun, op: ActivityOp, error: ErrorValue) -> bool:
        policy = op.options.retry
        if not policy.should_retry(op.attempt, error.kind, error.retryable):
            return False
        delay = policy.delay(op.attempt)
        if op.options.schedule_to_close is not None and \
                self.sched.now() + delay >= op.first_started + op.options.schedule_to_close:
            return False
        log.warning("%s: activity %s failed (attempt %d: %s); retrying in %.3gs",
                    run.describe(), op.target, op.attempt, error.message, delay)
        op.retry_handle = self.sched.call_at(self.sched.now() + delay,
                                             lambda: self._retry_now(run, op))
        return True

    def _retry_now(self, run: WorkflowRun, op: ActivityOp) -> None:
        if run.proc.alive and run.pending.get(op.seq) is op:
            self.start(run, op)

    def _finish(self, run: WorkflowRun, op: ActivityOp, value: Any,
                error: ErrorValue | None) -> None:
        run.enqueue(Event("completed", ref=op.seq, target=op.target, value=value,
                          error=error_record(error)))

    def abandon(self, op: ActivityOp) -> None:
        """Stops a running attempt and any scheduled retry."""
        if op.retry_handle is not None:
            self.sched.cancel_timer(op.retry_handle)
            op.retry_handle = None
        callee, op.callee = op.callee, None
        if callee is not None and callee.alive:
            self.sched.fail(callee, ErrorValue("activity cancelled", CANCELED, False))

"""The Lua calls of a Temporal run that become activities and timers.

Mixed into :class:`~._run.TemporalRun` (messaging and child workflows are in
:mod:`._messages`). ``funcs.call``/``funcs.async`` start activities with the retry
policy and timeouts of ``activity.*`` options; ``time.sleep``/``after``/timers and
tickers arm durable timers (the workflow event loop's ``call_later`` is a Temporal
timer).

Each command gets a sequence number. An activity's ID is
``<seq>.<function id>.args-<argument hash>``: Temporal compares activity IDs when it
replays (it never compares arguments), so a replay whose code now calls an activity
with other arguments fails with Temporal's nondeterminism error ("Activity id of
scheduled event ... does not match") instead of pairing results with the wrong calls.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow

from ...errors import CANCELED, INVALID, NOT_FOUND, ErrorValue
from ...lua import as_text
from ...workflow import ActivityOptions, OptionsError, args_hash
from ..local._ops import WorkflowFuture, WorkflowTimer
from ._context import activity_context
from ._messages import MessagesMixin
from ._options import activity_options, temporal_retry_policy
from ._values import error_value, from_json


class ActivityOp:
    """A started activity: ``funcs.call`` (``thread`` waits) or ``funcs.async``."""

    __slots__ = ("future", "handle", "seq", "thread")

    def __init__(self, seq: int, handle: Any, thread: Any, future: Any) -> None:
        self.seq, self.handle, self.thread, self.future = seq, handle, thread, future


class TimerOp:
    """A durable timer: ``time.sleep`` (``thread``) or ``after``/``timer``/``ticker``
    (``channel``; ``repeat`` re-arms it after each firing)."""

    __slots__ = ("channel", "handle", "ns", "repeat", "seq", "thread")

    def __init__(self, seq: int, ns: int, repeat: bool, thread: Any, channel: Any) -> None:
        self.seq, self.ns, self.repeat = seq, ns, repeat
        self.thread, self.channel = thread, channel
        self.handle: Any = None


class CommandsMixin(MessagesMixin):
    """Commands of a Temporal run (mixed into :class:`~._run.TemporalRun`)."""

    def op_table(self) -> dict[str, Any]:
        """The yielded operations a workflow handles itself."""
        return {
            "funcs.call": self.op_call,
            "time.sleep": self.op_sleep,
            "process.wait": self.op_wait,
            "process.started": self.op_started,
            "process.upgrade": self.op_upgrade,
        }

    # ------------------------------------------------------------ activities
    def op_call(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``funcs.call``: an activity; the thread waits for its outcome."""
        problem = self._activity(args[0], args[1], args[2], args[3:], thread=thread)
        if problem is not None:
            return problem
        self.sched.block_on_op(thread)
        return None

    def funcs_async(self, context: Any, options: Any, target: Any,
                    args: tuple[Any, ...]) -> tuple[Any, Any]:
        """``funcs.async``: an activity whose outcome settles a future."""
        future = WorkflowFuture()
        problem = self._activity(context, options, target, args, future=future)
        if problem is not None:
            return problem[0], problem[1]
        self.proc.pending += 1
        return future, None

    def _check_function(self, target: Any) -> ErrorValue | None:
        # The registry only: the function runs in the worker's node, not in this VM.
        target_id = as_text(target) if isinstance(target, bytes) else target
        if not isinstance(target_id, str) or not target_id:
            return ErrorValue("function ID must be a non-empty string", INVALID, False)
        if ":" not in target_id.strip(":"):
            return ErrorValue(f"invalid function ID {target_id!r}: namespace required in "
                              "function ID (write ns:name)", INVALID, False)
        entry = self.catalog.registry.get(target_id)
        if entry is None:
            return ErrorValue(f"function {target_id} not found", NOT_FOUND, False)
        if entry.kind != "function.lua":
            return ErrorValue(f"{target_id} is a {entry.kind}, not a function.lua", INVALID,
                              False)
        return None

    def _prepare(self, target: Any, options: Any) -> tuple[str, dict[str, Any]] | ErrorValue:
        """The function ID and the ``start_activity`` keyword arguments of a call, or
        the error of a bad target. A call without options gets the same ones every
        time: they are made once per function and shared (never mutated).

        Raises:
            OptionsError, ValueError: the options are wrong.
        """
        cache = self.catalog.prepared_calls if options is None and type(target) is bytes \
            else None
        if cache is not None:
            found = cache.get(target)
            if found is not None:
                return found
        problem = self._check_function(target)
        if problem is not None:
            return problem
        target_id = as_text(target)
        raw = self.vm.to_py(options) if options is not None else None
        opts = ActivityOptions.from_options(raw)
        kwargs: dict[str, Any] = {
            "task_queue": self.catalog.activity_queue(target_id),
            "start_to_close_timeout": timedelta(seconds=opts.start_to_close),
            "schedule_to_close_timeout": (timedelta(seconds=opts.schedule_to_close)
                                          if opts.schedule_to_close is not None else None),
            "retry_policy": temporal_retry_policy(opts.retry),
            **activity_options(raw),
        }
        prepared = (target_id, kwargs)
        if cache is not None:
            cache[target] = prepared
        return prepared

    def _activity(self, context: Any, options: Any, target: Any, args: tuple[Any, ...],
                  thread: Any = None, future: Any = None) -> tuple[Any, Any] | None:
        try:
            prepared = self._prepare(target, options)
            if isinstance(prepared, ErrorValue):
                return None, self.vm.error(prepared)
            target_id, kwargs = prepared
            what = f"funcs.call({target_id})"
            data = [self.to_json(a, what) for a in args]
            values = self.call_context(context, what)
        except (OptionsError, ValueError) as exc:
            return None, self.invalid(str(exc))
        seq = self.next_seq()
        if "activity_id" not in kwargs:  # the one set by activity.id, else ours
            kwargs = {**kwargs, "activity_id": f"{seq}.{target_id}.args-{args_hash(data)}"}
        with activity_context(values):
            handle = workflow.start_activity(target_id, args=data, **kwargs)
        op = ActivityOp(seq, handle, thread, future)
        if future is not None:
            future.op = op
        self.pending[seq] = op
        handle.add_done_callback(lambda _h: self.events.append(lambda: self._activity_done(op)))
        return None

    def call_context(self, context: Any, what: str) -> dict[str, Any] | None:
        """The ctx values of a call: the run's, with the executor's
        (``with_context``) on top. Raises ValueError for values that are not data."""
        merged = dict(self.proc.context or {})
        if context is not None:
            extra = self.to_json(context, f"{what}: ctx")
            if isinstance(extra, dict):
                merged.update(extra)
        return merged or None

    def _activity_done(self, op: ActivityOp) -> None:
        if self.pending.get(op.seq) is not op:
            return  # cancelled by the code
        del self.pending[op.seq]
        try:
            outcome, ok = self.vm.to_lua(from_json(op.handle.result())), True
        except asyncio.CancelledError:
            outcome, ok = self.vm.error(ErrorValue("call canceled", CANCELED, False)), False
        except Exception as exc:  # ActivityError: the activity's final failure
            outcome, ok = self.vm.error(error_value(exc)), False
        if op.thread is not None:
            self.sched.wake(op.thread, (outcome, None) if ok else (None, outcome))
        elif op.future is not None and op.future.state == 0:
            self.wvm.funcs.complete_future(op.future, ok, outcome)
            self.sched.release_pending(self.proc)

    def future_cancel(self, future: Any) -> tuple[bool, Any]:
        """``future:cancel()``: requests the activity's cancellation."""
        op: ActivityOp | None = getattr(future, "op", None)
        if future.state != 0 or op is None or not self._pending(op):
            return False, None
        del self.pending[op.seq]
        op.handle.cancel()
        future.state = 3
        future.error = self.vm.error(ErrorValue("call canceled", CANCELED, False))
        self.sched.release_pending(self.proc)
        if future.channel is not None:
            future.channel.close()
        return True, None

    # ---------------------------------------------------------------- timers
    def op_sleep(self, thread: Any, args: tuple[Any, ...]) -> None:
        """``time.sleep``: a durable timer (a non-positive duration just yields)."""
        ns = args[0]
        self.sched.block_on_op(thread)
        if ns <= 0:
            self.sched.wake(thread, ())
        else:
            self._timer(ns, thread=thread)
        return None

    def _timer(self, ns: int, *, thread: Any = None, channel: Any = None,
               repeat: bool = False) -> TimerOp:
        op = TimerOp(self.next_seq(), max(ns, 0), repeat, thread, channel)
        self.pending[op.seq] = op
        self._arm(op)
        return op

    def _arm(self, op: TimerOp) -> None:
        op.handle = asyncio.get_running_loop().call_later(
            op.ns / 1e9, lambda: self.events.append(lambda: self._fired(op)))

    def _fired(self, op: TimerOp) -> None:
        if self.pending.get(op.seq) is not op:
            return
        if op.thread is not None:
            del self.pending[op.seq]
            self.sched.wake(op.thread, ())
            return
        channel = op.channel
        if not (op.repeat and channel.pending()):  # a slow ticker reader drops ticks
            channel.deliver(self.lua_now())
        if op.repeat:
            self._arm(op)
            return
        del self.pending[op.seq]
        self.sched.release_pending(self.proc)

    def after(self, ns: int) -> Any:
        """``time.after``: a channel fed by a durable timer."""
        channel = self.wvm.channels.new_channel(1)
        self._timer(ns, channel=channel)
        self.proc.pending += 1
        return channel

    def timer_new(self, ns: int, repeat: bool) -> WorkflowTimer:
        """``time.timer`` / ``time.ticker`` on durable timers."""
        channel = self.wvm.channels.new_channel(1)
        op = self._timer(ns, channel=channel, repeat=repeat)
        self.proc.pending += 1
        return WorkflowTimer(channel, op)  # type: ignore[arg-type]

    def timer_stop(self, timer: Any) -> bool:
        """``timer:stop()``: True when the timer was still armed."""
        op: TimerOp | None = getattr(timer, "op", None)
        if op is None or not self._pending(op):
            return False
        del self.pending[op.seq]
        op.handle.cancel()
        timer.op = None
        timer.channel.drain()
        self.sched.release_pending(self.proc)
        return True

    def timer_reset(self, timer: Any, ns: int) -> bool:
        """``timer:reset(d)``: stops and re-arms the timer."""
        if not isinstance(timer, WorkflowTimer):
            raise ValueError("expected a timer")
        active = self.timer_stop(timer)
        timer.op = self._timer(ns, channel=timer.channel)  # type: ignore[assignment]
        self.proc.pending += 1
        return active

"""The workflow hooks of a run: each Lua call that leaves the VM, as a command.

Mixed into :class:`~._run.WorkflowRun`; see ``wippy_py.process._hooks`` for the
protocol. Yielded operations (``op_*``) park the calling thread; inline hooks answer
at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from ...errors import CANCELED, NOT_FOUND, ErrorValue
from ...lua import as_text
from ...workflow import ActivityOptions, OptionsError, StartOptions
from ._ops import ActivityOp, ChildOp, TimerOp, WorkflowFuture, WorkflowTimer
from ._values import error_record, split_pid, workflow_pid

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...journal import Record, RunRow
    from ...process import Process, Scheduler
    from ._engine import LocalEngine
    from ._ops import Pending
    from ._run import WorkflowRun

LINKED = 2


class CommandsMixin:
    """Commands of a run (mixed into :class:`~._run.WorkflowRun`)."""

    if not TYPE_CHECKING:  # no instance dict: WorkflowRun declares the slots
        __slots__ = ()

    if TYPE_CHECKING:  # provided by WorkflowRun
        engine: LocalEngine
        sched: Scheduler
        vm: Any
        row: RunRow
        proc: Process
        pid: bytes
        workflow_id: str
        seq: int
        outcome: str | None
        pending: dict[int, Pending]
        children: dict[bytes, ChildOp] | None

        @property
        def is_live(self) -> bool: ...
        def issue(self, kind: str, target: str, args: Any = None,
                  produce: Callable[[], Any] | None = None
                  ) -> tuple[int, Record | None, Any]: ...
        def invalid(self, message: str) -> Any: ...
        def to_data(self, value: Any, what: str | Callable[[], str]) -> Any: ...
        def text(self, value: Any) -> str: ...
        def duration_text(self, ns: int) -> str: ...
        run_id: str

    @property
    def _run(self) -> WorkflowRun:
        return cast("WorkflowRun", self)

    # ------------------------------------------------------------ ops
    # The yielded operations a workflow handles itself: opcode -> method name.
    OPS: ClassVar[dict[str, str]] = {
        "funcs.call": "op_call",
        "time.sleep": "op_sleep",
        "process.wait": "op_wait",
        "process.upgrade": "op_upgrade",
    }

    def op_call(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``funcs.call`` / ``executor:call``: an activity; the thread waits."""
        started = self._activity(args[0], args[1], args[2], args[3:], thread=thread)
        if started is not None:
            return started
        self.sched.block_on_op(thread)
        return None

    def funcs_async(
        self, context: Any, options: Any, target: Any, args: tuple[Any, ...]
    ) -> tuple[Any, Any]:
        """``funcs.async``: an activity whose outcome settles a future."""
        future = WorkflowFuture()
        problem = self._activity(context, options, target, args, future=future)
        if problem is not None:
            return problem[0], problem[1]
        self.proc.pending += 1
        return future, None

    def _activity(
        self, context: Any, options: Any, target: Any, args: tuple[Any, ...],
        thread: Any = None, future: Any = None,
    ) -> tuple[Any, Any] | None:
        problem = self.engine.activities.check_target(target)
        if problem is not None:
            return None, self.vm.error(problem)
        target_id = as_text(target)
        try:
            activity_options = ActivityOptions.from_options(self.vm.to_py(options)
                                                            if options is not None else None)
            call_context = self.vm.to_py(context) if context is not None else None
            label = lambda: f"funcs.call({target_id})"  # noqa: E731 (built on error only)
            data = [self.to_data(a, label) for a in args]
        except (OptionsError, ValueError) as exc:
            return None, self.invalid(str(exc))
        seq, _, _ = self.issue("call", target_id, data)
        # The op's context is only read (each attempt copies it), so the run's own
        # dict is shared when the call adds nothing.
        merged = self.row.context or None
        if isinstance(call_context, dict) and call_context:
            merged = {**(merged or {}), **call_context}
        op = ActivityOp(seq, target_id, data, merged, activity_options, thread, future)
        if future is not None:
            future.op = op
        self.pending[seq] = op
        if self.is_live:
            self.engine.after_durable(lambda: self._start_if_pending(op))
        return None

    def _start_if_pending(self, op: ActivityOp) -> None:
        if self.proc.alive and self.pending.get(op.seq) is op:
            op.go_live(self._run)

    def future_cancel(self, future: Any) -> tuple[bool, Any]:
        """``future:cancel()``: stops the activity; the future ends cancelled."""
        op = getattr(future, "op", None)
        if future.state != 0 or op is None:
            return False, None
        self.issue("cancel_call", str(op.seq))
        self.pending.pop(op.seq, None)
        op.abandon(self._run)
        future.state = 3
        future.error = self.vm.error(ErrorValue("call canceled", CANCELED, False))
        self.sched.release_pending(self.proc)
        if future.channel is not None:
            future.channel.close()
        return True, None

    def op_sleep(self, thread: Any, args: tuple[Any, ...]) -> None:
        """``time.sleep``: a durable timer (a non-positive duration just yields)."""
        ns = args[0]
        self.sched.block_on_op(thread)
        if ns <= 0:
            self.sched.wake(thread, ())
            return None
        self._timer(ns, thread=thread)
        return None

    def _timer(self, ns: int, *, thread: Any = None, channel: Any = None,
               repeat: bool = False) -> TimerOp:
        now = self.engine.now_wall
        seq, _, due = self.issue("every" if repeat else "timer", self.duration_text(ns),
                                 None, lambda: now() + max(ns, 0) / 1e9)
        op = TimerOp(seq, float(due), ns / 1e9 if repeat else 0.0, thread, channel)
        self.pending[seq] = op
        if self.is_live:
            op.go_live(self._run)
        return op

    def after(self, ns: int) -> Any:
        """``time.after``: a channel fed by a durable timer."""
        channel = self.engine.channels.new_channel(1)
        self._timer(ns, channel=channel)
        self.proc.pending += 1
        return channel

    def timer_new(self, ns: int, repeat: bool) -> WorkflowTimer:
        """``time.timer`` / ``time.ticker`` on durable timers."""
        channel = self.engine.channels.new_channel(1)
        op = self._timer(ns, channel=channel, repeat=repeat)
        self.proc.pending += 1
        return WorkflowTimer(channel, op)

    def timer_stop(self, timer: Any) -> bool:
        """``timer:stop()``: True when the timer was still armed."""
        op: TimerOp | None = getattr(timer, "op", None)
        if op is None or self.pending.get(op.seq) is not op:
            return False
        self.issue("cancel_timer", str(op.seq))
        self.pending.pop(op.seq, None)
        op.abandon(self._run)
        timer.op = None
        timer.channel.drain()
        self.sched.release_pending(self.proc)
        return True

    def timer_reset(self, timer: Any, ns: int) -> bool:
        """``timer:reset(d)``: stops and re-arms the timer."""
        if not isinstance(timer, WorkflowTimer):
            raise ValueError("expected a timer")
        active = self.timer_stop(timer)
        timer.op = self._timer(ns, channel=timer.channel)
        self.proc.pending += 1
        return active

    # ------------------------------------------------------- messaging
    def _workflow_target(self, dest: Any) -> tuple[str, str] | None:
        """(worker, workflow ID) when ``dest`` is a workflow PID."""
        parts = split_pid(dest)
        if parts is not None and self.engine.serves(parts[0]):
            return parts
        proc, _ = self.engine.processes.router.resolve(dest)
        if proc is not None and proc.workflow is not None:
            return proc.host, proc.workflow.workflow_id
        return None

    def send(self, dest: Any, topic: Any, data: Any) -> Any:
        """``process.send``: a durable signal to a workflow, or a send to an actor
        performed once (after its command is durable)."""
        if type(topic) is not bytes or not topic or topic[0] == 64:
            return False, self.invalid("topic must be a non-empty string and not an @ topic")
        try:
            payload = self.to_data(data, "process.send")
        except ValueError as exc:
            return False, self.invalid(str(exc))
        topic_text = as_text(topic)
        target = self._workflow_target(dest)
        if target is not None:
            _, recorded, _ = self.issue("signal_out", f"{target[1]}#{topic_text}", [payload])
            if recorded is None:
                self.engine.signal(target[1], topic_text, payload, self.pid.decode())
            return True
        _, recorded, _ = self.issue("send", f"{self.text(dest)}#{topic_text}", [payload])
        if recorded is None:
            run = self._run
            self.engine.after_durable(lambda: self.engine.send_to_actor(run, dest, topic, payload))
        return True

    def receive(self, topic: bytes, data: Any, sender: bytes) -> Any:
        """A message sent to this workflow by an actor: a durable signal."""
        try:
            payload = self.to_data(data, "process.send")
        except ValueError as exc:
            return False, self.invalid(str(exc))
        self.engine.signal(self.workflow_id, as_text(topic), payload, as_text(sender))
        return True

    # -------------------------------------------------------- children
    def spawn(
        self, entry: Any, host: Any, mode: int, context: Any, name: Any,
        messages: Any, options: Any, args: tuple[Any, ...],
    ) -> tuple[Any, Any]:
        """``process.spawn*`` / ``exec`` / ``workflow.exec``: a child workflow."""
        if mode & LINKED:
            return None, self.invalid("process.spawn_linked is not supported in workflow "
                                      "context (links are not durable); use spawn_monitored")
        worker = self.row.worker if host is None else as_text(host)
        if not self.engine.serves(worker):
            return None, self.invalid(f"a workflow can only spawn child workflows: host "
                                      f"{worker} is not a temporal.worker of this app")
        entry_id = as_text(entry)
        problem = self.engine.check_workflow_entry(entry_id)
        if problem is not None:
            return None, self.vm.error(problem)
        try:
            start = StartOptions.from_options(
                self.vm.to_py(options) if options is not None else None,
                as_text(name) if name is not None else None)
            data = [self.to_data(a, f"spawn of {entry_id}") for a in args]
            extra = self.vm.to_py(context) if context is not None else None
            queued = self._queued_messages(messages)
        except (OptionsError, ValueError) as exc:
            return None, self.invalid(str(exc))
        default_id = f"{self.workflow_id}/{self.seq}"

        def decide() -> Any:
            # The refusal of a taken ID is decided (and journaled) with the command, so
            # a replay refuses the same spawn: process.spawn returns nil, err, as on
            # Temporal, instead of an EXIT carrying the error.
            refused = self.engine.refused_start(start.workflow_id, start.conflict_policy)
            if refused is not None:
                return {"refused": error_record(refused)}
            return start.workflow_id or default_id

        seq, recorded, child_id = self.issue(
            "spawn", entry_id, [data, start.workflow_id], decide)
        if isinstance(child_id, dict):
            return None, self._run.lua_error(child_id["refused"])
        pid = workflow_pid(worker, child_id)
        op = ChildOp(seq, child_id, pid)
        self.pending[seq] = op
        if self.children is None:
            self.children = {}
        self.children[pid] = op
        if recorded is None:
            child_context = dict(self.row.context or {})
            if isinstance(extra, dict):
                child_context.update(extra)
            self.engine.start_child(self._run, seq, entry_id, worker, data, child_context or None,
                                    child_id, start.conflict_policy, queued)
            op.go_live(self._run)
        return pid, None

    def _queued_messages(self, messages: Any) -> list[tuple[str, Any]]:
        if messages is None:
            return []
        converted = self.vm.to_py(messages)
        return [(str(item[0]), item[1] if len(item) > 1 else None) for item in converted]

    def op_wait(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The wait of ``process.exec``/``workflow.exec`` for a child's result."""
        op = self.children.get(args[0]) if self.children else None
        if op is None or self.pending.get(op.seq) is not op:
            problem = ErrorValue("process ended before it could be awaited", NOT_FOUND, False)
            return None, self.vm.error(problem)
        op.waiter = thread
        self.sched.block_on_op(thread)
        return None

    def op_upgrade(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``process.upgrade``: continue-as-new with a fresh history."""
        entry_id = as_text(args[0]) if args and args[0] is not None else self.row.entry
        problem = self.engine.check_workflow_entry(entry_id)
        if problem is not None:
            return None, self.vm.error(problem)
        try:
            data = [self.to_data(a, "process.upgrade") for a in args[1:]]
        except ValueError as exc:
            return None, self.invalid(str(exc))
        _, recorded, _ = self.issue("continue", entry_id, data)
        self.outcome = "continued"
        if recorded is None:
            self.engine.continue_as_new(self._run, entry_id, data)
        self.sched.block_on_op(thread)
        self.sched.finish(self.proc, self.engine.clean_exit())
        return None

    # -------------------------------------------------------- control
    def terminate(self, dest: Any) -> tuple[Any, Any, bool]:
        """``process.terminate`` from the workflow (performed once)."""
        if dest == self.pid:
            self.terminate_request()
            return True, None, True
        _, recorded, _ = self.issue("terminate_out", self.text(dest))
        if recorded is None:
            self.engine.after_durable(lambda: self.engine.terminate_target(dest))
        return True, None, False

    def cancel(self, dest: Any, reason: Any) -> tuple[Any, Any]:
        """``process.cancel`` from the workflow (performed once)."""
        text = as_text(reason) if reason is not None else ""
        _, recorded, _ = self.issue("cancel_out", self.text(dest), [text])
        if recorded is None:
            self.engine.after_durable(
                lambda: self.engine.cancel_target(dest, text, self.pid.decode()))
        return True, None

    def refused(self, what: str) -> Any:
        """The error of ``monitor``/``link`` in a workflow."""
        return self.invalid(f"process.{what} is not supported in workflow context")

    def terminate_request(self) -> None:
        """Someone terminates this workflow."""
        self.engine.terminate_workflow(self.workflow_id, "terminated by a process")

    def cancel_request(self, sender: bytes, reason: bytes) -> None:
        """Someone cancels this workflow: a durable CANCEL event."""
        self.engine.cancel_workflow(self.workflow_id, as_text(reason), as_text(sender))

    # -------------------------------------------------------- workflow
    def info(self) -> dict[str, Any]:
        """``workflow.info()``."""
        return {
            "workflow_id": self.workflow_id,
            "run_id": self.run_id,
            "workflow_type": self.row.entry,
            "task_queue": self.engine.task_queue(self.row.worker),
            "namespace": "default",
            "attempt": 1,
            "history_length": self.seq,
            "history_size": self.seq,
        }

    def version(self, change_id: str, min_supported: int,
                max_supported: int) -> tuple[Any, Any]:
        """``workflow.version``: the recorded version, or ``max_supported`` when new."""
        _, _, value = self.issue("version", change_id, None, lambda: max_supported)
        if not min_supported <= value <= max_supported:
            return None, self.invalid(
                f"workflow.version({change_id!r}): this run recorded version {value}, outside "
                f"the supported range [{min_supported}, {max_supported}]")
        return value, None

    def attrs(self, values: Any) -> tuple[Any, Any]:
        """``workflow.attrs{search=, memo=}``: journaled (visible in ``workflow show``)."""
        try:
            data = self.to_data(values, "workflow.attrs")
        except ValueError as exc:
            return False, self.invalid(str(exc))
        self.issue("attrs", "", [data], lambda: data)
        return True, None

    def history_length(self) -> int:
        """Records in the history so far."""
        return self.seq

"""The Lua calls of a Temporal run that reach other workflows and processes.

``process.send`` to a workflow on Temporal signals it (signal name = the topic, the
sender's PID in the payload metadata); ``process.spawn*``/``exec`` start child
workflows (their exit resumes ``exec`` or arrives as an EXIT event);
``process.terminate``/``cancel`` of a workflow request its cancellation, as in
Wippy. Sends, terminations and cancellations aimed at actors (processes of the
app, not workflows) run once as local activities (``wippy.send``,
``wippy.terminate``, ``wippy.cancel``), which Temporal records and does not repeat
on replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow

from ...errors import INVALID, NOT_FOUND, ErrorValue
from ...lua import as_text
from ...process import Exit
from ...workflow import OptionsError, StartOptions
from ..local._values import split_pid, workflow_pid
from ._options import CONTEXT_MEMO, start_options
from ._values import error_value, from_json, signal_arg

if TYPE_CHECKING:
    from collections import deque
    from collections.abc import Callable

    from ...process import Process
    from ._config import Catalog
    from ._vm import ActivationScheduler, WorkflowVM

log = logging.getLogger("wippy_py.temporal")

LINKED = 2
CONTROL_TIMEOUT = timedelta(seconds=30)


class ChildOp:
    """A child workflow; its exit resumes ``waiter`` or becomes an EXIT event.
    ``started`` resolves once Temporal started it (or refused to): signals to the
    child wait for it."""

    __slots__ = ("accepted", "child_id", "pid", "refusal", "seq", "spawner", "started",
                 "waiter")

    def __init__(self, seq: int, child_id: str, pid: bytes) -> None:
        self.seq, self.child_id, self.pid = seq, child_id, pid
        self.waiter: Any = None
        self.started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Temporal's answer to the start, as an event of the run: the spawning thread
        # (``spawner``) waits for it, so a refused start is its spawn error.
        self.accepted = False
        self.refusal: ErrorValue | None = None
        self.spawner: Any = None



class MessagesMixin:
    """Messaging, child workflows and control of a Temporal run (the base of
    :class:`~._commands.CommandsMixin`)."""

    if TYPE_CHECKING:  # provided by TemporalRun
        wvm: WorkflowVM
        vm: Any
        sched: ActivationScheduler
        catalog: Catalog
        proc: Process
        pid: bytes
        workflow_id: str
        worker_id: str
        pending: dict[int, Any]
        children: dict[bytes, Any]
        signal_tails: dict[str, asyncio.Task[None]]
        outbound: list[Any]
        events: deque[Callable[[], None]]
        outcome: str | None
        continue_to: tuple[str, list[Any]] | None
        continue_memo: dict[str, Any] | None

        def next_seq(self) -> int: ...
        def to_json(self, value: Any, what: str) -> Any: ...
        def call_context(self, context: Any, what: str) -> dict[str, Any] | None: ...
        def invalid(self, message: str) -> Any: ...
        def lua_now(self) -> Any: ...
        def terminate_request(self) -> None: ...
        def deliver_signal(self, topic: str, data: Any, sender: str) -> None: ...

    def _pending(self, op: Any) -> bool:
        """True while ``op`` waits for its outcome."""
        return self.pending.get(op.seq) is op

    # ------------------------------------------------------------- messaging
    def _temporal_workflow(self, dest: Any) -> str | None:
        """The workflow ID when ``dest`` is the PID of a workflow on Temporal."""
        parts = split_pid(dest)
        if parts is not None and parts[0] in self.catalog.queues:
            return parts[1]
        return None

    def send(self, dest: Any, topic: Any, data: Any) -> Any:
        """``process.send``: a signal to a workflow, or a send to an actor made once."""
        if type(topic) is not bytes or not topic or topic[0] == 64:
            return False, self.invalid("topic must be a non-empty string and not an @ topic")
        try:
            payload = self.to_json(data, "process.send")
        except ValueError as exc:
            return False, self.invalid(str(exc))
        topic_text, sender = as_text(topic), self.pid.decode()
        if dest == self.pid:
            self.events.append(lambda: self.deliver_signal(topic_text, payload, sender))
            return True
        target = self._temporal_workflow(dest)
        if target is not None:
            self._signal_in_order(target, topic_text, payload)
            return True
        self._control("wippy.send", [as_text(dest), topic_text, payload, sender])
        return True

    def _signal_in_order(self, target: str, topic: str, payload: Any) -> None:
        # Signals to one workflow go out one after the other (each waits for the one
        # before), and a signal to a child of this run waits for the child's start.
        previous = self.signal_tails.get(target)
        child = next((op for op in self.children.values() if op.child_id == target), None)
        task = asyncio.get_running_loop().create_task(
            self._signal_external(target, topic, payload, previous, child))
        task.add_done_callback(ignore_outcome)
        self.signal_tails[target] = task
        self.outbound.append(task)

    async def _signal_external(self, target: str, topic: str, payload: Any,
                               previous: asyncio.Task[None] | None,
                               child: ChildOp | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.shield(previous)
        if child is not None and not child.started.done():
            await child.started
        try:
            await workflow.get_external_workflow_handle(target).signal(
                topic, signal_arg(payload, self.pid.decode(), workflow.payload_converter()))
        except Exception as exc:  # the target is gone: sends to dead PIDs are dropped
            log.debug("signal %s to workflow %s dropped: %s", topic, target, exc)

    def _control(self, kind: str, args: list[Any]) -> None:
        handle = workflow.start_local_activity(kind, args=args,
                                               start_to_close_timeout=CONTROL_TIMEOUT)
        handle.add_done_callback(ignore_outcome)
        self.outbound.append(handle)

    def _spawn_task(self, coro: Any, *, outbound: bool = True) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(ignore_outcome)
        if outbound:
            self.outbound.append(task)

    async def flush_outbound(self) -> None:
        """Waits for the sends, cancellations and terminations the run issued: tasks
        that have not run when the workflow completes would never reach Temporal."""
        while self.outbound:
            task = self.outbound.pop(0)
            with contextlib.suppress(Exception):
                await task

    # -------------------------------------------------------------- children
    def spawn(self, entry: Any, host: Any, mode: int, context: Any, name: Any,
              messages: Any, options: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """``process.spawn*`` / ``exec`` / ``workflow.exec``: a child workflow."""
        if mode & LINKED:
            return None, self.invalid("process.spawn_linked is not supported in workflow "
                                      "context (links are not durable); use spawn_monitored")
        worker = self.worker_id if host is None else as_text(host)
        queue = self.catalog.queues.get(worker)
        if queue is None:
            return None, self.invalid(f"a workflow can only spawn child workflows: host "
                                      f"{worker} is not a temporal.worker on a Temporal server")
        entry_id = as_text(entry)
        found = self.catalog.registry.get(entry_id)
        if found is None or found.kind != "workflow.lua":
            return None, self.vm.error(
                ErrorValue(f"workflow {entry_id} not found", NOT_FOUND, False) if found is None
                else ErrorValue(f"{entry_id} is a {found.kind}, not a workflow.lua", INVALID,
                                False))
        try:
            raw = self.vm.to_py(options) if options is not None else None
            start = StartOptions.from_options(raw, as_text(name) if name is not None else None)
            extra = start_options(raw, child=True, namespace=workflow.info().namespace)
            data = [self.to_json(a, f"spawn of {entry_id}") for a in args]
            queued = [(str(m[0]), self.to_json(m[1], "with_message") if len(m) > 1 else None)
                      for m in (self.vm.to_py(messages) if messages is not None else [])]
            values = self.call_context(context, f"spawn of {entry_id}")
        except (OptionsError, ValueError) as exc:
            return None, self.invalid(str(exc))
        memo = dict(extra.pop("memo", None) or {})
        if values:
            memo[CONTEXT_MEMO] = values
        self.catalog.pins.add_to(memo, entry_id)  # the child's code (_pins.py)
        extra.setdefault("task_queue", queue)
        seq = self.next_seq()
        child_id = start.workflow_id or f"{self.workflow_id}/{seq}"
        pid = workflow_pid(worker, child_id)
        op = ChildOp(seq, child_id, pid)
        self.pending[seq] = op
        self.children[pid] = op
        self._spawn_task(self._run_child(op, self.catalog.type_of(entry_id), data, queued,
                                         {**extra, "memo": memo or None}), outbound=False)
        return pid, None, True  # the glue waits for the start (op_started)

    def op_started(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``process.started``: the spawning thread waits until Temporal started the
        child (pid, nil) or refused to (nil, err: an ID in use, ...)."""
        op: ChildOp | None = self.children.get(args[0])
        if op is None or op.accepted:
            return args[0], None
        if op.refusal is not None:
            return None, self.vm.error(op.refusal)
        op.spawner = thread
        self.sched.block_on_op(thread)
        return None

    def _child_answer(self, op: ChildOp, refusal: ErrorValue | None) -> None:
        op.accepted, op.refusal = refusal is None, refusal
        if refusal is not None:  # no child: no EXIT either
            self.pending.pop(op.seq, None)
            self.children.pop(op.pid, None)
        thread, op.spawner = op.spawner, None
        if thread is not None:
            self.sched.wake(thread, (op.pid, None) if refusal is None
                            else (None, self.vm.error(refusal)))
        if refusal is not None and op.waiter is not None:  # workflow.exec waits already
            self.sched.wake(op.waiter, (None, self.vm.error(refusal)))

    async def _run_child(self, op: ChildOp, type_name: str, data: list[Any],
                         queued: list[tuple[str, Any]], extra: dict[str, Any]) -> None:
        value: Any = None
        error: ErrorValue | None = None
        try:
            handle = await workflow.start_child_workflow(
                type_name, args=data, id=op.child_id, **extra)
        except Exception as exc:  # StartChildWorkflowExecutionFailed: the ID is in use
            refusal = error_value(exc)
            op.started.set_result(None)
            self.events.append(lambda: self._child_answer(op, refusal))
            return
        op.started.set_result(None)
        self.events.append(lambda: self._child_answer(op, None))
        try:
            for topic, payload in queued:
                await handle.signal(topic, signal_arg(payload, self.pid.decode(),
                                                       workflow.payload_converter()))
            value = await handle
        except Exception as exc:  # ChildWorkflowError, WorkflowAlreadyStartedError
            error = error_value(exc)
        self.events.append(lambda: self._child_done(op, value, error))

    def _child_done(self, op: ChildOp, value: Any, error: ErrorValue | None) -> None:
        if self.pending.pop(op.seq, None) is None:
            return
        lua_value = self.vm.to_lua(from_json(value)) if error is None else None
        lua_error = self.vm.error(error) if error is not None else None
        if op.waiter is not None:
            self.sched.wake(op.waiter, (lua_value, None) if error is None else (None, lua_error))
        else:
            self.wvm.processes.lifecycle.deliver_exit(self.proc, op.pid, self.lua_now(),
                                                      lua_value, lua_error)

    def op_wait(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The wait of ``process.exec``/``workflow.exec`` for a child's result."""
        op: ChildOp | None = self.children.get(args[0])
        if op is None or not self._pending(op):
            problem = ErrorValue("process ended before it could be awaited", NOT_FOUND, False)
            return None, self.vm.error(problem)
        op.waiter = thread
        self.sched.block_on_op(thread)
        return None

    def op_upgrade(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``process.upgrade``: continue-as-new (the run ends, a new one starts)."""
        entry_id = as_text(args[0]) if args and args[0] is not None else self.proc.entry_id
        found = self.catalog.registry.get(entry_id)
        if found is None or found.kind != "workflow.lua":
            return None, self.invalid(f"process.upgrade: {entry_id} is not a workflow.lua")
        try:
            data = [self.to_json(a, "process.upgrade") for a in args[1:]]
        except ValueError as exc:
            return None, self.invalid(str(exc))
        self.outcome = "continued"
        self.continue_to = (self.catalog.type_of(entry_id), data)
        # The new run carries the memo on, with the code of today's entry pinned.
        self.continue_memo = self.catalog.pins.add_to(dict(workflow.memo()), entry_id)
        self.sched.block_on_op(thread)
        self.sched.finish(self.proc, Exit())
        return None

    # --------------------------------------------------------------- control
    def terminate(self, dest: Any) -> tuple[Any, Any, bool]:
        """``process.terminate``: a workflow is asked to cancel (as in Wippy)."""
        if dest == self.pid:
            self.terminate_request()
            return True, None, True
        target = self._temporal_workflow(dest)
        if target is not None:
            self._spawn_task(workflow.get_external_workflow_handle(target).cancel(
                reason="terminated by a workflow"))
        else:
            self._control("wippy.terminate", [as_text(dest)])
        return True, None, False

    def cancel(self, dest: Any, reason: Any) -> tuple[Any, Any]:
        """``process.cancel``: a cancellation request (CANCEL event at the target)."""
        text = as_text(reason) if reason is not None else ""
        target = self._temporal_workflow(dest)
        if target is not None:
            self._spawn_task(workflow.get_external_workflow_handle(target).cancel(reason=text))
        else:
            self._control("wippy.cancel", [as_text(dest), text, self.pid.decode()])
        return True, None



def ignore_outcome(task: Any) -> None:
    """Fire-and-forget commands: retrieve the outcome so asyncio does not log it."""
    if not task.cancelled():
        task.exception()

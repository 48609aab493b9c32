"""The embedded workflow engine: workflows on a SQLite journal, no server.

One engine serves the ``temporal.worker`` hosts whose client is embedded and that
share a journal file. It owns the runs in memory (live workflows stay resident;
replay only happens after a restart), commits the journal in groups (a flusher task
commits whatever the dispatcher appended since the last commit, then releases the
effects that waited for durability), and polls the journal's inbox for what the CLI
writes from another process (starts, signals, cancels, terminations).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import trio

from ...errors import ALREADY_EXISTS, CANCELED, INVALID, NOT_FOUND, ErrorValue
from ...journal import (
    COMPLETED,
    CONTINUED,
    FAILED,
    TERMINATED,
    Journal,
    Record,
    RunRow,
)
from ...process import Exit, Process, SpawnError
from ...workflow import OptionsError, StartOptions
from ._activities import ActivityRunner
from ._admin import new_run_row
from ._inbox import EngineInbox
from ._lifecycle import EngineLifecycle
from ._run import WorkflowRun
from ._values import error_record, split_pid, to_data, workflow_pid

if TYPE_CHECKING:
    from ...process import ChannelApi, EntryLoader, FuncsApi, ProcessApi, TimeApi
    from ...registry import Registry

log = logging.getLogger("wippy_py.workflow")

class LocalEngine(EngineLifecycle, EngineInbox):
    """Runs workflows of some ``temporal.worker`` hosts on one journal.

    Args:
        journal: The open journal.
        registry: The app's registry.
        loader: Compiles workflow entries.
        processes: The process API (router, lifecycle, scheduler).
        funcs: Function calls (activities run as function processes).
        time: The time module (clock, Lua Time objects).
        channels: Creates channels.
        workers: Worker host ID -> task queue, for the workers this engine serves.
    """

    def __init__(
        self, journal: Journal, registry: Registry, loader: EntryLoader,
        processes: ProcessApi, funcs: FuncsApi, time: TimeApi, channels: ChannelApi,
        workers: dict[str, str],
    ) -> None:
        self.journal = journal
        self.registry = registry
        self.loader = loader
        self.processes = processes
        self.lifecycle = processes.lifecycle
        self.sched = processes.sched
        self.vm = self.sched.vm
        self.funcs = funcs
        self.time = time
        self.channels = channels
        self.workers = workers
        self.activities = ActivityRunner(self.sched, funcs)
        self.runs: dict[str, WorkflowRun] = {}
        self._watchers: dict[str, list[Callable[[Any, Any], None]]] = {}
        self._waiters: list[Callable[[], None]] = []
        self._dirty = trio.Event()
        self._unflushed = False
        self.sched.after_batch.append(self._after_batch)
        self._own_inbox: set[str] = set()
        self._inbox_rowid = 0
        self.verify_outcome: str | None = None
        self._ops: dict[bytes, Any] | None = None  # the opcode table of workflow processes

    # ------------------------------------------------------------ queries
    def serves(self, worker: str) -> bool:
        """True when ``worker`` is a host of this engine."""
        return worker in self.workers

    def task_queue(self, worker: str) -> str:
        """The task queue of a worker (``workflow.info().task_queue``)."""
        return self.workers.get(worker, "")

    def check_workflow_entry(self, entry_id: str) -> ErrorValue | None:
        """Why ``entry_id`` cannot be started as a workflow, or None."""
        entry = self.registry.get(entry_id)
        if entry is None:
            return ErrorValue(f"workflow {entry_id} not found", NOT_FOUND, False)
        if entry.kind != "workflow.lua":
            return ErrorValue(f"{entry_id} is a {entry.kind}, not a workflow.lua", INVALID, False)
        return None

    def now_wall(self) -> float:
        """Seconds since the epoch on the runtime's (maybe virtual) clock."""
        return self.time.now_ns() / 1e9

    # ------------------------------------------------------------ journal
    def append(self, run: WorkflowRun, record: Record, consumed: str = "") -> None:
        """Journals a record of ``run`` (and drops the inbox item it consumed)."""
        journal = self.journal
        journal.append(run.run_id, record)
        if consumed:
            journal.remove_inbox(consumed)
        if record.kind in ("timer", "every") and record.type == "command":
            journal.add_timer(run.run_id, record.seq, float(record.value))
        elif record.kind == "fired" and record.ref is not None:
            journal.remove_timer(run.run_id, record.ref)
        elif record.kind == "cancel_timer":
            journal.remove_timer(run.run_id, int(record.target))
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        # Inside a dispatcher batch the after-batch hook commits (no task switch);
        # otherwise (timers, the poller) the flusher task does.
        self._unflushed = True
        if not self.sched.dispatching:
            self._dirty.set()

    def _after_batch(self) -> None:
        if self._unflushed:
            self.flush()

    def after_durable(self, effect: Callable[[], None]) -> None:
        """Runs ``effect`` once everything journaled so far is committed."""
        self._waiters.append(effect)
        self._mark_dirty()

    def flush(self) -> None:
        """Commits the journal, then runs the effects that waited for it."""
        self._unflushed = False
        waiters, self._waiters = self._waiters, []
        self.journal.commit()
        for effect in waiters:
            effect()

    async def _flush_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty = trio.Event()
            if self._unflushed:
                self.flush()

    # -------------------------------------------------------------- timers
    def arm(self, due: float, callback: Callable[[], None]) -> Any:
        """Calls ``callback`` at wall time ``due`` (seconds since the epoch)."""
        return self.sched.call_at(self.sched.now() + (due - self.now_wall()), callback)

    def disarm(self, handle: Any) -> None:
        """Cancels a timer armed with :meth:`arm`."""
        self.sched.cancel_timer(handle)

    # ------------------------------------------------------------ starting
    def start_from_lua(
        self, entry: str, host: str, args: tuple[Any, ...], *, context: dict[str, Any] | None,
        name: Any, options: Any, messages: Any, sender: bytes,
    ) -> Process:
        """``process.spawn*`` of a workflow by an actor (the provider API of Spawner).

        Raises:
            SpawnError: unknown entry, bad options or arguments, or an ID conflict.
        """
        problem = self.check_workflow_entry(entry)
        if problem is not None:
            raise SpawnError(problem)
        try:
            start = StartOptions.from_options(
                self.vm.to_py(options) if options is not None else None,
                name.decode() if isinstance(name, bytes) else None)
            data = [to_data(self.vm.to_py(a)) for a in args]
            queued = [(str(m[0]), m[1] if len(m) > 1 else None)
                      for m in (self.vm.to_py(messages) if messages is not None else [])]
        except (OptionsError, ValueError) as exc:
            raise SpawnError(ErrorValue(str(exc), INVALID, False)) from exc
        run = self.start(entry, host, data, workflow_id=start.workflow_id,
                         policy=start.conflict_policy, context=context, messages=queued,
                         sender=sender.decode(errors="replace"))
        return run.proc

    def start(
        self, entry: str, worker: str, data: list[Any], *, workflow_id: str | None = None,
        policy: str = "use_existing", context: dict[str, Any] | None = None,
        parent: tuple[str, int] | None = None, messages: list[tuple[str, Any]] | None = None,
        sender: str = "",
    ) -> WorkflowRun:
        """Starts a new run (or returns the running one, per the conflict policy).

        Raises:
            SpawnError: the ID is taken and the policy is ``fail``.
        """
        refused = self.refused_start(workflow_id, policy)
        if refused is not None:
            raise SpawnError(refused)
        existing = self.runs.get(workflow_id) if workflow_id else None
        if existing is not None and policy == "terminate_existing":
            self.terminate_workflow(existing.workflow_id, "replaced by a new run")
            existing = None
        if existing is not None:
            for topic, payload in messages or []:
                self.signal(existing.workflow_id, topic, payload, sender)
            return existing
        row = self.new_run_row(entry, worker, data, workflow_id, context, parent)
        self.journal.create_run(row)
        self._mark_dirty()
        run = self.resume(row, [], new=True)
        for topic, payload in messages or []:
            self.signal(row.workflow_id, topic, payload, sender)
        return run

    def refused_start(self, workflow_id: str | None, policy: str) -> ErrorValue | None:
        """Why a start with ``workflow_id`` is refused (the ID is running and the
        conflict policy is ``fail``), or None."""
        if workflow_id and policy == "fail" and workflow_id in self.runs:
            return ErrorValue(f"workflow {workflow_id} is already running", ALREADY_EXISTS,
                              False)
        return None

    def new_run_row(
        self, entry: str, worker: str, data: list[Any], workflow_id: str | None,
        context: dict[str, Any] | None, parent: tuple[str, int] | None = None,
    ) -> RunRow:
        """The status row of a new run (the script is stored once, by hash)."""
        return new_run_row(self.journal, self.registry, entry, worker, data, workflow_id,
                           context, self.now_wall(), parent)

    def resume(self, row: RunRow, history: list[Record], *, new: bool = False,
               verify_only: bool = False, source: str | None = None) -> WorkflowRun:
        """Creates the process of a run: new, or replaying ``history`` after a restart."""
        if new:
            loaded = self.loader.load(row.entry, ("workflow.lua",))
        else:
            text = source if source is not None else self.journal.script(row.script_hash)
            loaded = self.loader.load_version(row.entry, text)
        run = WorkflowRun(self, row, history, verify_only=verify_only)
        pid = workflow_pid(row.worker, row.workflow_id)
        proc = Process(pid, row.entry, row.worker)
        proc.workflow = run
        if self._ops is None:
            self._ops = self.sched.op_table(WorkflowRun.op_handlers())
        proc.ops = self._ops
        proc.context = row.context
        run.proc, run.pid = proc, pid
        args = tuple(self.vm.to_lua(_lua_ready(a)) for a in row.input)
        co = self.vm.new_process_thread(loaded.factory, loaded.env_mt, loaded.method, args)
        proc.add_exit_callback(self._ended)
        if not verify_only:
            self.runs[row.workflow_id] = run
        self.sched.start_process(proc, co)
        return run

    def start_child(
        self, run: WorkflowRun, seq: int, entry: str, worker: str, data: list[Any],
        context: dict[str, Any] | None, child_id: str, policy: str,
        messages: list[tuple[str, Any]],
    ) -> None:
        """Starts a child workflow of ``run`` (its exit reaches the parent)."""
        try:
            self.start(entry, worker, data, workflow_id=child_id, policy=policy,
                       context=context, parent=(run.run_id, seq), messages=messages,
                       sender=run.pid.decode())
        except SpawnError as exc:
            error = error_record(exc.error)
            self.sched.call_at(self.sched.now(), lambda: self._notify(child_id, None, error))

    def continue_as_new(self, run: WorkflowRun, entry: str, data: list[Any]) -> None:
        """Ends ``run`` as continued; a new run of the same workflow ID starts.

        Processes monitoring the workflow keep monitoring it: their EXIT event comes
        when the last run of the chain ends (the PID stays the same).
        """
        run.continue_to = (entry, data, run.proc.monitored_by)
        run.proc.monitored_by = None

    def clean_exit(self) -> Exit:
        """An exit without value (a run that ends by continuing as new)."""
        return Exit()

    # ------------------------------------------------------------- inbound
    def terminate_workflow(self, workflow_id: str, reason: str) -> bool:
        """Stops a running workflow at once (status ``terminated``)."""
        run = self.runs.get(workflow_id)
        if run is None:
            return False
        run.outcome = "terminated"
        self.sched.fail(run.proc, ErrorValue(f"workflow terminated: {reason}", CANCELED, False))
        return True

    def send_to_actor(self, run: WorkflowRun, dest: Any, topic: bytes, payload: Any) -> None:
        """Performs a workflow's send to an actor (once its command is durable)."""
        target, _ = self.processes.router.resolve(dest)
        if target is not None:
            self.processes.router.send_from_host(
                target, topic, self.vm.to_lua(_lua_ready(payload)), run.pid)

    def terminate_target(self, dest: Any) -> None:
        """``process.terminate`` issued by a workflow."""
        parts = split_pid(dest)
        if parts is not None and self.serves(parts[0]):
            self.terminate_workflow(parts[1], "terminated by a workflow")
            return
        target, _ = self.processes.router.resolve(dest)
        if target is not None:
            self.processes.terminate(target)

    def cancel_target(self, dest: Any, reason: str, sender: str) -> None:
        """``process.cancel`` issued by a workflow."""
        parts = split_pid(dest)
        if parts is not None and self.serves(parts[0]):
            self.cancel_workflow(parts[1], reason, sender)
            return
        target, _ = self.processes.router.resolve(dest)
        if target is not None:
            self.processes.cancel(target, reason, sender.encode())

    # -------------------------------------------------------------- exits
    def watch_exit(self, workflow_id: str, callback: Callable[[Any, Any], None]) -> None:
        """Calls ``callback(result, error_record)`` when the workflow finishes."""
        if workflow_id not in self.runs:
            row = self.journal.current_run(workflow_id)
            if row is not None and row.status in (COMPLETED, FAILED, TERMINATED):
                callback(row.result, row.error)
                return
        self._watchers.setdefault(workflow_id, []).append(callback)

    def _notify(self, workflow_id: str, result: Any, error: Any) -> None:
        for callback in self._watchers.pop(workflow_id, []):
            callback(result, error)

    def _ended(self, proc: Process, exit: Exit) -> None:
        run: WorkflowRun = proc.workflow
        if run.verify_only:
            return
        if self.runs.get(run.workflow_id) is run:
            del self.runs[run.workflow_id]
        if run.stopping:
            return
        status, result, error = self._outcome(run, exit)
        for op in run.pending.values():
            op.abandon(run)
            if getattr(op, "due", None) is not None:
                self.journal.remove_timer(run.run_id, op.seq)
        self.journal.finish_run(run.run_id, status, result, error)
        self._mark_dirty()
        log.info("%s %s", run.describe(), status)
        if status == CONTINUED:
            entry, data, watchers = run.continue_to or (run.row.entry, [], None)
            parent = (run.row.parent_run, run.row.parent_seq or 0) if run.row.parent_run \
                else None
            successor = self.start(entry, run.row.worker, data, workflow_id=run.workflow_id,
                                   context=run.row.context, parent=parent)
            successor.proc.monitored_by = watchers
            return
        self._notify(run.workflow_id, result, error)

    def _outcome(self, run: WorkflowRun, exit: Exit) -> tuple[str, Any, Any]:
        if run.failure is None and run.outcome is None and run.replay is not None \
                and not run.replay.live:
            run.failure = ErrorValue(
                f"workflow {run.workflow_id} (run {run.run_id}) diverged from its journal: "
                f"the code returned at step {run.replay.position}, but the journal holds more "
                "records. Its code changed while the run was in flight.", "Internal", False)
        if run.failure is not None:
            return FAILED, None, error_record(run.failure)
        if run.outcome == "terminated":
            return TERMINATED, None, error_record(exit.error_value)
        if run.outcome == "continued":
            return CONTINUED, None, None
        if not exit.ok:
            return FAILED, None, error_record(exit.error_value)
        try:
            return COMPLETED, to_data(self.vm.to_py(exit.value)), None
        except ValueError as exc:
            return FAILED, None, error_record(ErrorValue(
                f"the workflow's result cannot be stored: {exc}", "Internal", False))

    def verified(self, run: WorkflowRun) -> None:
        """``workflow replay``: the whole history matched; stop the run."""
        self.verify_outcome = "ok"
        run.stopping = True
        self.sched.finish(run.proc, Exit())


def _lua_ready(value: Any) -> Any:
    from ._values import from_data

    return from_data(value)

"""The scheduler: one dispatcher that drives every ready Lua thread of a node.

Approaches considered: one trio task per process costs ~8.5 µs per message and
randomises order; one dispatcher over a FIFO run queue costs ~0.9 µs and gives a
repeatable order (DESIGN decision 5). A run queue in Python still crossed into
Python several times per message (~5 µs per hop of a ring of actors), so the run
queue, the channels and the parking of threads live in Lua (``lua/sched.lua``):
``K.run`` resumes ready threads until one yields a host operation, ends or needs
attention, and this class performs the operation (the protocol is described in
``lua/kernel.lua`` and ``lua/sched.lua``), ends processes and keeps what Python owns
(pending host operations, timers, the trio side). Timers live in a heap owned by the
dispatcher; I/O runs in trio tasks that call :meth:`Scheduler.wake`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any

import trio

from ..errors import ErrorValue, internal
from ..lua import LuaVM
from ._model import BLOCKED_OP, DONE, QUEUED, READY, Exit, Process, Thread

log = logging.getLogger("wippy_py.process")

OpHandler = Callable[[Thread, tuple[Any, ...]], "tuple[Any, ...] | None"]

# Resumes between two trio checkpoints, so timers and I/O tasks get to run.
_BATCH = 2000
# What K.run reports (lua/sched.lua).
_OP, _DONE, _ATTENTION, _IDLE = 0, 1, 2, 5


class Scheduler:
    """Runs Lua processes on one shared :class:`LuaVM`.

    Args:
        vm: The Lua runtime all processes share.
        clock: Returns the current time in seconds (trio's clock by default).
    """

    def __init__(self, vm: LuaVM) -> None:
        self.vm = vm
        k = vm.kernel
        # Kernel functions are looked up once (lupa: see process/_anchor.py).
        self._run = k.run
        self._push = k.push
        self._proc_start = k.proc_start
        self._thread_add = k.thread_add
        self._proc_end = k.proc_end
        self._any_queued = k.any_queued
        self._stuck = k.stuck
        self._lua_idle = k.idle
        k.set_current_sink(self._set_current)
        self._ops: dict[bytes, OpHandler] = {}
        self.procs: dict[bytes, Process] = {}
        self.current: Process | None = None
        self._uniq = itertools.count(1)
        self._tids = itertools.count(1)
        self._timers: list[list[Any]] = []
        self._timer_seq = itertools.count()
        self._wakeup = trio.Event()
        self._nursery: trio.Nursery | None = None
        self.exit_listeners: list[Callable[[Process, Exit], None]] = []
        # Called after every batch of resumes (the journal commits its group here).
        self.after_batch: list[Callable[[], None]] = []
        self._dispatching = False
        self._clock: trio.abc.Clock | None = None  # the clock of the run dispatching

    # ------------------------------------------------------------ registration
    def register_op(self, name: str, handler: OpHandler) -> None:
        """Registers the handler of an opcode yielded by Lua glue."""
        self._ops[name.encode()] = handler

    def op_table(self, overrides: dict[str, OpHandler]) -> dict[bytes, OpHandler]:
        """The opcode table with some handlers replaced (a workflow's ``Process.ops``)."""
        table = dict(self._ops)
        table.update({name.encode(): handler for name, handler in overrides.items()})
        return table

    def has_ready(self, proc: Process) -> bool:
        """True while a thread of ``proc`` is ready to run (or running)."""
        if self.current is proc:
            return True
        if proc.workflow is not None:
            # Python sees every step of a workflow thread (K.run reports each of its
            # parks), so the Python states are exact unless a thread is READY.
            states = [t.state for t in proc.threads]
            if QUEUED in states:
                return True
            if READY not in states:
                return False
        return bool(self._any_queued(*[t.co for t in proc.threads]))

    def _set_current(self, pid: bytes | None) -> None:
        # Called from Lua (sched.lua) before a Python callback of another process.
        self.current = self.procs.get(pid) if pid is not None else None

    # ---------------------------------------------------------------- processes
    def new_pid(self, host: str) -> bytes:
        """Allocates a PID on ``host``: ``{host|0x0000n}``."""
        return f"{{{host}|0x{next(self._uniq):05x}}}".encode()

    def start_process(
        self, proc: Process, co: Any, *, front: bool = False
    ) -> Process:
        """Registers a process whose main coroutine is ``co`` and makes it ready."""
        thread = Thread(co, proc, True, next(self._tids))
        proc.threads.append(thread)
        self.procs[proc.pid] = proc
        self._proc_start(proc.pid, co, thread.tid, proc.workflow is not None, front)
        self._signal()
        return proc

    def spawn_thread(self, proc: Process, co: Any) -> Thread:
        """Adds a ``coroutine.spawn`` thread to a process and makes it ready."""
        thread = Thread(co, proc, False, next(self._tids))
        proc.threads.append(thread)
        self._thread_add(proc.pid, co, thread.tid)
        self._signal()
        return thread

    # ------------------------------------------------------------------ waking
    def wake(self, thread: Thread, values: tuple[Any, ...]) -> None:
        """Makes a blocked thread ready, to be resumed with ``values``."""
        if thread.state == DONE or not thread.proc.alive:
            return
        if thread.state == BLOCKED_OP:
            thread.proc.pending -= 1
        thread.state = QUEUED
        self._push(thread.co, *values)
        self._signal()

    def block_on_op(self, thread: Thread) -> None:
        """Marks a thread as waiting for the host (it will be woken with :meth:`wake`)."""
        thread.state = BLOCKED_OP
        thread.proc.pending += 1

    def release_pending(self, proc: Process) -> None:
        """Ends a pending operation that did not wake a thread (a timer that fired into a
        channel, a stopped ticker) and re-checks the process for a deadlock."""
        proc.pending -= 1
        self._check_deadlock(proc)

    @property
    def dispatching(self) -> bool:
        """True while a batch runs (an ``after_batch`` hook follows)."""
        return self._dispatching

    def signal(self) -> None:
        """Wakes the dispatcher after Python delivered into Lua channels (a thread may
        have become ready); a no-op while it runs a batch."""
        self._signal()

    def _signal(self) -> None:
        # Inside a batch the dispatcher is awake and re-checks the queue afterwards.
        if not self._dispatching:
            self._wakeup.set()

    # ------------------------------------------------------------------ timers
    def now(self) -> float:
        """The scheduler's clock in seconds (trio's clock: virtual under MockClock)."""
        clock = self._clock
        # While the dispatcher runs, its run's clock is asked directly: several reads
        # per workflow step, each otherwise three calls deep.
        return clock.current_time() if clock is not None else trio.current_time()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> list[Any]:
        """Runs ``callback`` at ``deadline`` (seconds on :meth:`now`); returns a handle."""
        entry = [deadline, next(self._timer_seq), callback]
        heapq.heappush(self._timers, entry)
        self._signal()
        return entry

    @staticmethod
    def cancel_timer(handle: list[Any]) -> None:
        """Cancels a timer returned by :meth:`call_at` (no-op if it already fired)."""
        handle[2] = None

    def _fire_timers(self) -> float | None:
        now = self.now()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, callback = heapq.heappop(timers)
            if callback is not None:
                callback()
        while timers and timers[0][2] is None:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    # --------------------------------------------------------------- dispatch
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Runs the dispatcher until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._clock = trio.lowlevel.current_clock()
            try:
                task_status.started()
                while True:
                    next_deadline = self._fire_timers()
                    if not self._lua_idle():
                        self._run_batch()
                        for hook in self.after_batch:
                            hook()
                        await trio.lowlevel.checkpoint()
                        continue
                    self._wakeup = trio.Event()
                    due = next_deadline is not None and next_deadline <= self.now()
                    if due or not self._lua_idle():
                        continue
                    wake_at = next_deadline if next_deadline is not None else float("inf")
                    with trio.move_on_at(wake_at):
                        await self._wakeup.wait()
            finally:
                self._clock = None  # a later read outside the run asks trio

    def start_task(self, fn: Callable[..., Any], *args: Any) -> None:
        """Starts a trio task (I/O) in the scheduler's nursery."""
        assert self._nursery is not None, "the scheduler is not running"
        self._nursery.start_soon(fn, *args)

    def _run_batch(self) -> bool:
        """Runs up to one batch of ready threads; True when the run queue ran dry
        (False: the batch's budget ended it, more may be ready)."""
        self._dispatching = True
        try:
            result = self._run(_BATCH)
            while result[0] != _IDLE:
                result = self._attend(result)
            return bool(result[1] > 0)  # budget left over: nothing was left to run
        finally:
            self.current = None
            self._dispatching = False

    def _attend(self, result: tuple[Any, ...]) -> tuple[Any, ...]:
        """Handles what K.run reported about one thread; returns K.run's next report."""
        status, remaining, tid = result[0], result[1], result[3]
        proc = self.procs[result[2]]
        thread = proc.threads[0]  # the main thread, unless coroutine.spawn was used
        if thread.tid != tid:
            thread = next(t for t in proc.threads if t.tid == tid)
        thread.state = READY  # it ran
        self.current = proc
        if status == _OP:
            ops = self._ops if proc.ops is None else proc.ops
            handler = ops.get(result[4])
            if handler is None:
                raise RuntimeError(f"unknown operation {result[4]!r}")
            answer = handler(thread, result[5:])
            if answer is not None and proc.alive:
                self.current = None
                return self._run(remaining, thread.co, *answer)  # resumed at once
        elif status == _DONE:
            self._thread_done(thread, result[4], result[5:])
        else:  # a workflow thread parked, or the process may be deadlocked
            self._check_deadlock(proc)
        self.current = None
        if proc.workflow is not None:
            proc.workflow.settle()
        return self._run(remaining)

    # ------------------------------------------------------------------- exits
    def _thread_done(self, thread: Thread, ok: Any, results: tuple[Any, ...]) -> None:
        thread.state = DONE
        proc = thread.proc
        if thread.is_main:
            self.finish(proc, self._exit_from_results(ok, results))
            return
        if not ok:
            # A failing coroutine.spawn thread fails its process, like Wippy.
            self.finish(proc, self._exit_from_results(ok, results))
            return
        proc.threads.remove(thread)
        self._check_deadlock(proc)

    def _exit_from_results(self, ok: Any, results: tuple[Any, ...]) -> Exit:
        vm = self.vm
        if not ok:
            error = results[0] if results else None
            if not vm.is_error(error):
                # The handler itself failed (e.g. out of memory while building a traceback).
                text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
                error_value = internal(text)
                return Exit(error=vm.error(error_value), error_value=error_value)
            return Exit(error=error, error_value=vm.convert.error_to_py(error))
        value = results[0] if results else None
        second = results[1] if len(results) > 1 else None
        if type(second) is bytes:
            error_value = internal(second.decode(errors="replace"))
            return Exit(error=vm.error(error_value), error_value=error_value)
        if second is not None and vm.is_error(second):
            return Exit(error=second, error_value=vm.convert.error_to_py(second))
        return Exit(value=value, extra=results[1:])

    def fail(self, proc: Process, error: ErrorValue) -> None:
        """Ends a process with ``error`` (terminate, linked failure, deadlock)."""
        self.finish(proc, Exit(error=self.vm.error(error), error_value=error))

    def finish(self, proc: Process, exit: Exit) -> None:
        """Ends a process: kills its threads and notifies names, links and monitors."""
        if not proc.alive:
            return
        proc.alive = False
        proc.exit = exit
        for thread in proc.threads:
            if thread.state != DONE:
                thread.state = DONE
                self._safe_kill(thread)
        proc.threads = []
        self.procs.pop(proc.pid, None)
        self._proc_end(proc.pid)
        for listener in self.exit_listeners:
            listener(proc, exit)
        if proc.on_exit:
            for callback in proc.on_exit:
                callback(proc, exit)
        if exit.error_value is not None:
            log.debug("process %s (%s) failed: %s", proc.pid_text, proc.entry_id,
                      exit.error_value.message)

    def _safe_kill(self, thread: Thread) -> None:
        # A running coroutine cannot be closed; it is simply dropped.
        with contextlib.suppress(Exception):
            self.vm.kill(thread.co)

    def _check_deadlock(self, proc: Process) -> None:
        if not proc.alive or proc.pending:
            return
        if self._stuck(proc.pid):
            self.fail(
                proc,
                ErrorValue(
                    message="deadlock: all coroutines blocked with no pending operations",
                    kind="Internal",
                    retryable=False,
                ),
            )

    @property
    def idle(self) -> bool:
        """True when no thread is ready to run."""
        return bool(self._lua_idle())

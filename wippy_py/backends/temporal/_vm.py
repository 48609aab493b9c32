"""A Lua runtime of its own for each Temporal workflow run, stepped inside activations.

What is reused: the whole process layer, unchanged (``LuaVM``, ``Scheduler``'s run
queue and ``K.step`` protocol, ``StdLib`` with every host module, ``EntryLoader``,
``FuncsApi``, ``ProcessApi`` and its Lua glue), so a workflow's Lua code calls
exactly what it calls on the embedded engine, and the workflow hooks
(``process/_hooks.py``) are the one seam where Temporal comes in.

What is added: :class:`ActivationScheduler`, which replaces the two trio-bound parts
of :class:`~wippy_py.process.Scheduler`: ``run()`` (a trio task) becomes
:meth:`~ActivationScheduler.run_until_idle`, a synchronous drain of the run queue
called from the workflow's coroutine inside a Temporal activation; ``now()`` (trio's
clock) becomes the workflow's deterministic time, and ``call_at`` a durable Temporal
timer (the workflow event loop's ``call_later``).

Why one runtime per run rather than one per worker: Temporal runs activations of
different workflows in a thread pool, concurrently; a private runtime needs no lock
(lupa releases the GIL while Lua runs, so runs even step in parallel), and it is
dropped whole when Temporal evicts the run.

Runtimes are reused (:class:`VMPool`): building one costs 1.5-2 ms (the kernel, the
host modules, compiling the entry), a tenth of a short workflow's whole cost in a
worker. When a run ends, its runtime goes back to the pool only if nothing of the run
is left in it (:meth:`WorkflowVM.recycle`: no process, no ready thread, no Lua-side
process record, no registered name, no timer; a full Lua collection then runs the
finalizers of its garbage while no process is current), and its counters are reset,
so the next run starts from the state a fresh runtime has, except for what is
shared by design and immutable: compiled entries and built host modules. A run's
globals, module-level locals and libraries live in its process's environment (made
per process, as on the embedded engine where every process shares one runtime),
never in the runtime. A runtime whose run did not end (evicted from the cache, a
driver error) is dropped, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from typing import Any

from temporalio import workflow

from ...lua import DEFAULT_INSTRUCTION_BUDGET, LuaVM
from ...process import (
    ChannelApi,
    Console,
    EntryLoader,
    FuncsApi,
    ProcessApi,
    Scheduler,
    Spawner,
    StdLib,
)
from ...registry import Registry

# A workflow's Lua memory cap: well under a worker's, many runs share the process.
WORKFLOW_MEMORY_LIMIT = 256 << 20


class ActivationScheduler(Scheduler):
    """The dispatcher of one workflow's runtime, driven from Temporal activations."""

    def run_until_idle(self) -> None:
        """Resumes ready threads until none is ready (the workflow waits on Temporal).
        Each call into Lua lets other threads take the GIL, so the batch's own report
        says when the queue ran dry instead of a separate ``idle`` query."""
        while not self._run_batch():
            pass

    def now(self) -> float:
        """The workflow's time in epoch seconds (deterministic, from the activation)."""
        return workflow.time()

    def call_at(self, deadline: float, callback: Any) -> list[Any]:
        """A durable timer: Temporal's workflow event loop turns ``call_later`` into a
        timer command."""
        delay = max(deadline - self.now(), 0.0)
        handle = asyncio.get_running_loop().call_later(delay, callback)
        return [deadline, 0, callback, handle]

    @staticmethod
    def cancel_timer(handle: list[Any]) -> None:
        """Cancels a timer of :meth:`call_at` (a no-op once fired)."""
        handle[2] = None
        handle[3].cancel()

    def quiet(self) -> bool:
        """True when the scheduler holds nothing of a run: no process, no ready
        thread, no timer, not dispatching."""
        return (not self.procs and self.current is None and not self._timers
                and not self._dispatching and self.idle)

    def reset_counters(self) -> None:
        """Numbers PIDs and threads from 1 again, as a fresh scheduler does."""
        self._uniq = itertools.count(1)
        self._tids = itertools.count(1)
        self._timer_seq = itertools.count()


class WorkflowVM:
    """The runtime, modules and loader of one workflow run.

    Args:
        registry: The app's registry (read-only, shared).
        instruction_budget: Instructions a thread may run between two yields; keeps a
            runaway loop far below Temporal's 2 s deadlock detector.
    """

    def __init__(self, registry: Registry,
                 instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET) -> None:
        self.registry = registry
        self.pooled = False  # True while idle in a VMPool
        self.vm = LuaVM(memory_limit=WORKFLOW_MEMORY_LIMIT, instruction_budget=instruction_budget)
        self.sched = ActivationScheduler(self.vm)
        self.stdlib = StdLib(self.sched, Console(), lambda _host: False)
        # time.now() = wall + (sched.now() - start): anchored at 0, it is exactly the
        # workflow clock, the same on every replay.
        self.stdlib.time._anchor = (0, 0.0)
        # The module gate already ran over every workflow entry when the node loaded
        # the registry (node.check_workflow_modules).
        self.loader = EntryLoader(self.vm, registry, self.stdlib.modules, self._libs)
        self.channels: ChannelApi = self.stdlib.channels
        self.funcs = FuncsApi(self.sched, self.loader, self.channels.new_channel)
        self.spawner = Spawner(self.sched, self.loader, lambda _host: None)
        self.processes = ProcessApi(self.sched, self.spawner, self.channels, self.stdlib.time)
        self.stdlib.build(self.funcs, {"process": self.processes.build_module()})
        kernel = self.vm.kernel
        # Looked up once (lupa: see process/_anchor.py): the Lua side's process
        # records (pid -> record) and the running process (sched.lua).
        self._lua_procs = kernel.ALL
        self._lua_now = kernel.NOW

    def _libs(self) -> dict[str, Any]:
        proc = self.sched.current
        if proc is None:
            return {}
        if proc.libs is None:
            proc.libs = {}
        return proc.libs

    def close(self) -> None:
        """Drops every process of the runtime (the run ended or was evicted)."""
        for proc in list(self.sched.procs.values()):
            proc.alive = False
            for thread in proc.threads:
                with contextlib.suppress(Exception):  # a coroutine that is running
                    self.vm.kill(thread.co)
            proc.threads = []
        self.sched.procs.clear()

    def recycle(self) -> bool:
        """Readies the runtime for another run; False (the runtime must be dropped)
        when something of the last run is left in it.

        Checked: no process in the scheduler or the Lua side's process records, no
        ready thread, no timer, no registered name, no doomed process, no remote
        host, no process current. Then a full Lua collection runs the finalizers of
        the run's garbage now, while no process is current (a host call made by one
        sees none), and the counters restart.
        """
        processes = self.processes
        clean = (self.sched.quiet()
                 and next(iter(self._lua_procs), None) is None
                 and not self._lua_now[1]
                 and not processes.names.pids
                 and processes.lifecycle.settled
                 and not processes.router.remote_hosts)
        if not clean:
            return False
        self.vm.collect_garbage()
        if not self.sched.quiet() or next(iter(self._lua_procs), None) is not None:
            return False  # a finalizer started something
        self.sched.reset_counters()
        return True


class VMPool:
    """Idle runtimes of ended runs, by registry, for later runs of the same code.

    Thread-safe (runs start and end in the SDK's activation threads).

    Args:
        instruction_budget: The budget of every runtime made here.
        limit: Idle runtimes kept at most (over all registries); the worker's
            ``max_cached_workflows`` by default, the runs it keeps alive at once.
        registries: Registries (the current code, pinned versions) with a pool.
    """

    def __init__(self, instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET,
                 limit: int = 1000, registries: int = 4) -> None:
        self.instruction_budget = instruction_budget
        self.limit = limit
        self.registries = registries
        self._idle: dict[int, tuple[Registry, list[WorkflowVM]]] = {}
        self._count = 0
        self._lock = threading.Lock()
        self.made = 0
        self.reused = 0

    def take(self, registry: Registry) -> WorkflowVM:
        """A runtime for a run of ``registry``'s code: an idle one, else a new one."""
        with self._lock:
            found = self._idle.get(id(registry))
            if found is not None and found[1]:
                wvm = found[1].pop()
                wvm.pooled = False
                self._count -= 1
                self.reused += 1
                return wvm
            self.made += 1
        return WorkflowVM(registry, self.instruction_budget)

    def give(self, wvm: WorkflowVM) -> None:
        """Takes back the runtime of an ended (or evicted) run: kept for reuse when
        :meth:`WorkflowVM.recycle` finds it clean and there is room, else dropped."""
        if wvm.pooled:
            return
        if not wvm.recycle():
            wvm.close()
            return
        with self._lock:
            if self._count >= self.limit:
                return
            key = id(wvm.registry)
            found = self._idle.get(key)
            if found is None:
                if len(self._idle) >= self.registries:  # the oldest registry's go
                    oldest = next(iter(self._idle))
                    self._count -= len(self._idle.pop(oldest)[1])
                found = self._idle[key] = (wvm.registry, [])
            wvm.pooled = True
            found[1].append(wvm)
            self._count += 1

    @property
    def idle(self) -> int:
        """Runtimes waiting for a run."""
        return self._count

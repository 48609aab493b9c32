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
dropped whole when Temporal evicts the run. A runtime costs about 1 ms (measured; the
kernel and the host glue load from bytecode compiled once per process, and modules are
built when an entry first lists them), small beside a workflow task's round trip to
the server.
"""

from __future__ import annotations

import asyncio
import contextlib
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
        """Resumes ready threads until none is ready (the workflow waits on Temporal)."""
        while not self.idle:
            self._run_batch()

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


class WorkflowVM:
    """The runtime, modules and loader of one workflow run.

    Args:
        registry: The app's registry (read-only, shared).
        instruction_budget: Instructions a thread may run between two yields; keeps a
            runaway loop far below Temporal's 2 s deadlock detector.
    """

    def __init__(self, registry: Registry,
                 instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET) -> None:
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

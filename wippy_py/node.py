"""The composition root: a registry, one Lua runtime, the scheduler and the host modules.

A :class:`Node` is what ``wippy-py run`` boots. It owns one :class:`~wippy_py.lua.LuaVM`
and one :class:`~wippy_py.process.Scheduler` for all hosts of the app: ``process.host``
and ``terminal.host`` entries name PID spaces on that single dispatcher (see the
README, "Hosts"). Blocking work never runs on the dispatcher; scale-out is by more
OS processes or by the Temporal backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from .backends.local import LocalEngine, journal_path
from .durations import SECOND
from .errors import EntryError, WippyError
from .host._catalog import MODULE_CLASSES, workflow_allowed
from .journal import Journal
from .lua import DEFAULT_INSTRUCTION_BUDGET, DEFAULT_MEMORY_LIMIT, LuaVM
from .process import (
    ChannelApi,
    Console,
    EntryLoader,
    Exit,
    FuncsApi,
    Process,
    ProcessApi,
    Scheduler,
    Spawner,
    StdLib,
)
from .registry import Entry, Lifecycle, Registry
from .supervision import SupervisionError, Supervisor

IMPLICIT_TERMINAL = "wippy:terminal"


class Node:
    """One running app.

    Args:
        registry: The loaded registry.
        console: stdin/stdout of the terminal host (tests pass their own).
        memory_limit: Bytes the Lua runtime may allocate.
        instruction_budget: Instructions a process may run between two yields.
        embedded: Run every ``temporal.worker`` on the embedded engine, whatever the
            address of its client (``wippy-py run --embedded``).
        synchronous: The journal's SQLite ``synchronous`` level (FULL by default).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        console: Console | None = None,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET,
        embedded: bool = False,
        synchronous: str = "FULL",
    ) -> None:
        self.registry = registry
        self.vm = LuaVM(memory_limit=memory_limit, instruction_budget=instruction_budget)
        self.scheduler = Scheduler(self.vm)
        self.stdlib = StdLib(self.scheduler, console or Console(), self.is_terminal)
        self.loader = EntryLoader(self.vm, registry, self.stdlib.modules, self._current_libs,
                                  module_gate=check_workflow_modules)
        self.channels: ChannelApi = self.stdlib.channels
        self.funcs = FuncsApi(self.scheduler, self.loader, self.channels.new_channel)
        self.spawner = Spawner(self.scheduler, self.loader, self.host_kind)
        self.processes = ProcessApi(
            self.scheduler, self.spawner, self.channels, self.stdlib.time
        )
        self.stdlib.build(self.funcs, {"process": self.processes.build_module()})
        self.supervisor = Supervisor(registry, self.processes)
        for entry in registry.by_kind("workflow.lua"):
            check_workflow_modules(entry, [str(m) for m in entry.data.get("modules") or []])
        self.engines: list[LocalEngine] = []
        # Providers of the workers whose client is a Temporal server (backends/temporal).
        self.temporal: list[Any] = []
        # Workers that cannot run here, with the reason (temporalio not installed).
        self.unavailable_workers: dict[str, str] = {}
        self._setup_workflow_engines(embedded, synchronous)
        self._setup_temporal(instruction_budget)

    def _setup_workflow_engines(self, embedded: bool, synchronous: str) -> None:
        # One embedded engine per journal file; workers of clients that share a
        # journal share the engine.
        root = self.registry.root or Path(".")
        by_journal: dict[Path, dict[str, str]] = {}
        self._remote_workers: list[str] = []
        for worker in self.registry.by_kind("temporal.worker"):
            client = self.registry.get(str(worker.data.get("client", "")))
            client_data = client.data if client is not None else {}
            address = str(client_data.get("address", ""))
            if address != "embedded" and not embedded:
                self._remote_workers.append(str(worker.id))
                continue
            path = journal_path(root, client_data).resolve()
            by_journal.setdefault(path, {})[str(worker.id)] = str(worker.data.get("task_queue", ""))
        for path, workers in by_journal.items():
            engine = LocalEngine(
                Journal(path, synchronous=synchronous), self.registry, self.loader,
                self.processes, self.funcs, self.stdlib.time, self.channels, workers,
            )
            self.engines.append(engine)
            for worker_id in workers:
                self.spawner.add_provider(worker_id, engine)

    def _setup_temporal(self, instruction_budget: int) -> None:
        # Workers whose client has a real address run on that Temporal server.
        if not self._remote_workers:
            return
        try:
            from .backends.temporal import providers
        except ImportError:
            for worker_id in self._remote_workers:
                self.unavailable_workers[worker_id] = (
                    "its client is a Temporal server and the Temporal backend is not "
                    "installed: pip install 'wippy-py[temporal]', or start the app with "
                    "`wippy-py run --embedded`")
            return
        found = providers(self.registry, self._remote_workers, self.processes, self.funcs,
                          instruction_budget)
        for worker_id, provider in found.items():
            self.temporal.append(provider)
            self.spawner.add_provider(worker_id, provider)

    def engine_of(self, worker: str) -> LocalEngine | None:
        """The embedded engine serving ``worker`` (None when it runs nowhere)."""
        return next((e for e in self.engines if e.serves(worker)), None)

    async def _start_engines(self, nursery: trio.Nursery) -> None:
        for engine in self.engines:
            await nursery.start(engine.run)
        for provider in self.temporal:
            await nursery.start(provider.run)

    def _stop_engines(self) -> None:
        for engine in self.engines:
            engine.stop()
        for provider in self.temporal:
            provider.stop()

    # ------------------------------------------------------------------ hosts
    def host_kind(self, host_id: str) -> str | None:
        """The kind of the host entry ``host_id`` (None when there is no such entry)."""
        if host_id == IMPLICIT_TERMINAL:
            return "terminal.host"
        entry = self.registry.get(host_id)
        return entry.kind if entry is not None else None

    def is_terminal(self, host_id: str) -> bool:
        """True for processes on a ``terminal.host`` (they may use ``io``)."""
        return self.host_kind(host_id) == "terminal.host"

    def terminal_host(self, requested: str | None = None) -> str:
        """Picks the terminal host for ``run -x``: the requested one, the only one, or
        an implicit one when the app declares none.

        Raises:
            ValueError: the requested host is not a terminal.host, or several exist.
        """
        hosts = [str(e.id) for e in self.registry.by_kind("terminal.host")]
        if requested:
            if requested not in hosts:
                raise ValueError(
                    f"--host {requested} is not a terminal.host of this app"
                    + (f" (terminal hosts: {', '.join(hosts)})" if hosts else "")
                )
            return requested
        if len(hosts) > 1:
            raise ValueError(
                f"the app has several terminal hosts ({', '.join(hosts)}); pick one with --host"
            )
        return hosts[0] if hosts else IMPLICIT_TERMINAL

    def _current_libs(self) -> dict[str, Any]:
        proc = self.scheduler.current
        if proc is None:
            return {}
        if proc.libs is None:
            proc.libs = {}
        return proc.libs

    # -------------------------------------------------------------- running
    def spawn(self, entry_id: str, host: str, args: Sequence[Any] = ()) -> Process:
        """Spawns a process with Python-valued arguments (must be inside :meth:`serve`)."""
        lua_args = tuple(self.vm.to_lua(a) for a in args)
        return self.spawner.spawn(entry_id, host, lua_args)

    async def run_entry(
        self, entry_id: str, args: Sequence[Any] = (), host: str | None = None
    ) -> Exit:
        """Runs one process to completion on the terminal host and returns how it ended.

        Raises:
            SpawnError: the entry cannot be spawned.
            WippyError: a workflow backend could not start (a Temporal server that
                cannot be reached).
        """
        terminal = self.terminal_host(host)
        proc = self.spawn(entry_id, terminal, args)
        done = trio.Event()
        proc.add_exit_callback(lambda _p, _e: done.set())
        try:
            async with trio.open_nursery() as nursery:
                # The engines recover their unfinished runs before the entry runs: a
                # spawn with an explicit workflow ID must find the run left in flight
                # (use_existing), not start a second one.
                await self._start_engines(nursery)
                await nursery.start(self.scheduler.run)
                await done.wait()
                self._stop_engines()
                nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1 and isinstance(group.exceptions[0], WippyError):
                raise group.exceptions[0] from None
            raise
        assert proc.exit is not None
        return proc.exit

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Runs the app as a server until cancelled, then shuts it down gracefully.

        Starts the dispatcher and the ``auto_start`` services (dependencies first), then
        reports readiness through ``task_status`` (use ``await nursery.start(node.serve)``)
        and runs until the calling scope is cancelled. Shutdown runs shielded from that
        cancellation: services stop dependents-first (CANCEL "service stopping", then
        terminate after ``stop_timeout``), then every remaining process gets CANCEL
        "scheduler shutdown" and is terminated once its host's ``stop_timeout`` expired.

        ``process.host`` fields ``workers``, ``queue_size`` and ``local_queue_size`` are
        accepted and ignored: all hosts share one dispatcher.

        Raises:
            SupervisionError: a dependency cycle, or a required service did not start
                (raised after the shutdown of what did start).
        """
        stopping = trio.Event()
        booted = trio.Event()
        failure: list[BaseException] = []
        try:
            async with trio.open_nursery() as outer:
                outer.start_soon(self._run_until_stopped, stopping, booted, failure)
                try:
                    await booted.wait()
                    if not failure:
                        task_status.started()
                        await trio.sleep_forever()
                finally:
                    stopping.set()
        except BaseExceptionGroup as group:
            # The cancellation (or Ctrl+C) that stopped the wait, alone in its group:
            # raise it as it came, so callers can catch KeyboardInterrupt.
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        if failure:
            raise failure[0]

    async def _run_until_stopped(
        self, stopping: trio.Event, booted: trio.Event, failure: list[BaseException]
    ) -> None:
        # Shielded: cancelling serve() must not stop the dispatcher before the
        # processes had their chance to shut down.
        with trio.CancelScope(shield=True):
            async with trio.open_nursery() as runtime:
                await runtime.start(self.scheduler.run)
                try:
                    await self._start_engines(runtime)
                except WippyError as exc:  # a Temporal server that cannot be reached
                    failure.append(exc)
                with trio.CancelScope() as boot:
                    runtime.start_soon(_cancel_when_set, stopping, boot)
                    try:
                        if not failure:
                            await self.supervisor.start_all(runtime)
                    except SupervisionError as exc:
                        failure.append(exc)
                booted.set()
                await stopping.wait()
                await self.supervisor.stop_all()
                self._stop_engines()  # workflows stay running in their journal
                await self._stop_processes()
                runtime.cancel_scope.cancel()

    async def _stop_processes(self) -> None:
        procs = list(self.scheduler.procs.values())
        if not procs:
            return
        for proc in procs:
            self.processes.cancel(proc, REASON_SCHEDULER_SHUTDOWN)
        timeout = max(self._host_stop_timeout(p.host) for p in procs)
        with trio.move_on_after(timeout / SECOND):
            while self.scheduler.procs:
                await trio.sleep(0.01)
        for proc in list(self.scheduler.procs.values()):
            self.processes.terminate(proc)

    def _host_stop_timeout(self, host_id: str) -> int:
        entry = self.registry.get(host_id)
        return entry.lifecycle.stop_timeout if entry is not None else Lifecycle().stop_timeout

    def exit_to_python(self, exit: Exit) -> Any:
        """Converts an exit's value to Python (for exit codes and tests)."""
        return self.vm.to_py(exit.value)


REASON_SCHEDULER_SHUTDOWN = "scheduler shutdown"


def check_workflow_modules(entry: Entry, modules: list[str]) -> None:
    """The module gate: a workflow may list only deterministic or workflow modules.

    Raises:
        EntryError: naming the entry, its file and the refused module.
    """
    if entry.kind != "workflow.lua":
        return
    for name in modules:
        if not workflow_allowed(name):
            allowed = ", ".join(sorted(m for m in MODULE_CLASSES if workflow_allowed(m)))
            reason = ("it is not deterministic" if name in MODULE_CLASSES
                      else "it is not a known module")
            raise EntryError(
                f"{entry.file}:{entry.field_line('modules')}: workflow {entry.id} lists module "
                f"{name!r}, which workflows may not use ({reason}); allowed: {allowed}"
            )


async def _cancel_when_set(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel()

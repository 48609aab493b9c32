"""The Python side of the ``process`` global (glue: ``host/glue/process.lua``).

This module is the Lua-facing surface: argument checks and ``value, err`` returns. The
work is done by :class:`~._messaging.Router` (send, inbox, events, listen),
:class:`~._lifecycle.Lifecycle` (links, monitors, terminate, cancel, exit propagation)
and :class:`~._names.NameRegistry`. Hosts (the supervisor, the node) use the public
methods :meth:`ProcessApi.spawn`, :meth:`ProcessApi.cancel` and
:meth:`ProcessApi.terminate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import INVALID, NOT_FOUND, ErrorValue
from ..lua import as_text
from ._channels import ChannelApi
from ._lifecycle import Lifecycle
from ._messaging import Router
from ._model import Exit, Process, Thread
from ._names import NameRegistry
from ._scheduler import Scheduler
from ._spawn import Spawner, SpawnError
from ._time_api import TimeApi

MONITORED, LINKED = 1, 2  # spawn mode bits


class ProcessApi:
    """Messaging, spawning, links, monitors and names for Lua processes.

    Args:
        scheduler: The dispatcher.
        spawner: Creates processes from entries.
        channels: Creates channels fed from Python.
        clock: The time module (event timestamps).
    """

    def __init__(
        self, scheduler: Scheduler, spawner: Spawner, channels: ChannelApi, clock: TimeApi
    ) -> None:
        self.sched = scheduler
        self.vm = scheduler.vm
        self.spawner = spawner
        self.channels = channels
        self.names = NameRegistry()
        self.router = Router(scheduler, self.names)
        self.lifecycle = Lifecycle(scheduler, self.router, self.names, clock.now_lua)
        scheduler.register_op("process.wait", self._op_wait)
        scheduler.register_op("process.dead", _op_dead)
        scheduler.register_op("process.upgrade", self._op_upgrade)

    def build_module(self) -> Any:
        """Builds the ``process`` global table (and installs ``coroutine.spawn``)."""
        from ..host._catalog import glue

        module = self.vm.build_module("process", glue("process"), self.functions())
        self.lifecycle.bind(self.vm.kernel)
        return module

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py``."""
        return {
            "pid": self._pid,
            "send": self._send,
            "spawn": self._spawn,
            "terminate": self._terminate,
            "cancel": self._cancel,
            "monitor": self._monitor,
            "unmonitor": self._unmonitor,
            "link": self._link,
            "unlink": self._unlink,
            "get_trap_links": self._get_trap_links,
            "set_trap_links": self._set_trap_links,
            "reg_register": self._reg_register,
            "reg_lookup": self._reg_lookup,
            "reg_unregister": self._reg_unregister,
            "spawn_coroutine": self._spawn_coroutine,
        }

    def _send(self, dest: Any, topic: Any, data: Any, count: Any = None) -> Any:
        current = self.sched.current
        if current is not None and current.workflow is not None:
            return current.workflow.send(dest, topic, data)
        return self.router.send(dest, topic, data, count)

    # ------------------------------------------------------- host-side API
    def spawn(
        self, entry_id: str, host: str, args: Sequence[Any] = (), *, name: str | None = None
    ) -> Process:
        """Spawns a process from the host with Python-valued arguments.

        Raises:
            SpawnError: unknown entry or host, wrong kind, load failure, or ``name`` taken.
        """
        lua_args = tuple(self.vm.to_lua(a) for a in args)
        before = None
        if name is not None:
            def before(proc: Process) -> None:
                problem = self.names.register(name.encode(), proc)
                if problem is not None:
                    raise SpawnError(problem)
        return self.spawner.spawn(entry_id, host, lua_args, before_start=before)

    def cancel(self, proc: Process, reason: str, sender: bytes = b"") -> None:
        """Sends ``proc`` a CANCEL event with ``reason`` (e.g. "service stopping")."""
        if proc.alive:
            self.lifecycle.cancel(proc, sender, reason.encode())

    def terminate(self, proc: Process) -> None:
        """Ends ``proc`` with the error "process terminated"."""
        if proc.alive:
            self.lifecycle.terminate(proc)

    # ------------------------------------------------------------- helpers
    def _err(self, problem: ErrorValue) -> Any:
        return self.vm.error(problem)

    def _caller(self, what: str) -> Process:
        proc = self.sched.current
        if proc is None:
            raise RuntimeError(f"process.{what} can only be called from a process")
        return proc

    def _pid(self) -> bytes:
        proc = self.sched.current
        return proc.pid if proc is not None else b""

    def _target(self, dest: Any) -> tuple[Process | None, Any]:
        """(process, None), (None, None) for a dead PID, or (None, Lua error)."""
        proc, problem = self.router.resolve(dest)
        return proc, (self._err(problem) if problem is not None else None)

    # ------------------------------------------------------------ spawning
    def _spawn(
        self, entry: Any, host: Any, mode: int, context: Any, name: Any, messages: Any,
        options: Any, *args: Any,
    ) -> tuple[Any, ...]:
        parent = self.sched.current
        if parent is not None and parent.workflow is not None:
            return parent.workflow.spawn(
                entry, host, mode, context, name, messages, options, args
            )
        provider = self.spawner.provider(as_text(host)) if type(host) is bytes else None
        if provider is not None:
            return self._spawn_workflow(provider, parent, entry, host, mode, context, name,
                                        messages, options, args)
        if name is not None:
            existing = self.procs_by_name(name)
            if existing is not None:
                # spawn-or-signal: the name is taken, so no new process; the queued
                # messages go to the existing one (and it is linked/monitored as asked).
                self._watch(parent, existing, mode)
                self._send_queued(existing, messages, parent)
                return existing.pid, None
        child_context = parent.context if parent is not None else None
        if context is not None:
            values = self.vm.to_py(context)
            if isinstance(values, dict):
                child_context = {**(child_context or {}), **values}

        def before_start(child: Process) -> None:
            if name is not None:
                problem = self.names.register(name, child)
                if problem is not None:
                    raise SpawnError(problem)
            self._watch(parent, child, mode)
            self._send_queued(child, messages, parent)

        try:
            child = self.spawner.spawn(
                as_text(entry), as_text(host), args,
                context=child_context, before_start=before_start,
            )
        except SpawnError as exc:
            return None, self._err(exc.error)
        return child.pid, None

    def _spawn_workflow(
        self, provider: Any, parent: Process | None, entry: Any, host: Any, mode: int,
        context: Any, name: Any, messages: Any, options: Any, args: tuple[Any, ...],
    ) -> tuple[Any, ...]:
        # A workflow started by an actor: the provider journals it; the actor may link
        # to or monitor the workflow's live process like any other.
        merged = dict(parent.context or {}) if parent is not None and parent.context else {}
        if context is not None:
            values = self.vm.to_py(context)
            if isinstance(values, dict):
                merged.update(values)
        try:
            child = provider.start_from_lua(
                as_text(entry), as_text(host), args, context=merged or None, name=name,
                options=options, messages=messages,
                sender=parent.pid if parent is not None else b"",
            )
        except SpawnError as exc:
            return None, self._err(exc.error)
        if child.alive:
            self._watch(parent, child, mode)
        elif parent is not None and mode & MONITORED:
            self.lifecycle.monitor_dead(parent, child.pid)
        if getattr(child.workflow, "starting", False):  # the glue waits for the answer
            return child.pid, None, True
        return child.pid, None

    def _watch(self, parent: Process | None, child: Process, mode: int) -> None:
        if parent is not None and mode & MONITORED:
            self.lifecycle.monitor(parent, child)
        if parent is not None and mode & LINKED:
            self.lifecycle.link(parent, child)

    def procs_by_name(self, name: bytes) -> Process | None:
        """The live process registered under ``name``, if any."""
        pid = self.names.lookup(name)
        return self.sched.procs.get(pid) if pid is not None else None

    def _send_queued(self, target: Process, messages: Any, sender: Process | None) -> None:
        if messages is None:
            return
        from_pid = sender.pid if sender is not None else b""
        for index in range(1, len(messages) + 1):
            item = messages[index]
            self.router.send_from_host(target, item[1], item[2], from_pid)

    def _op_wait(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        target = self.sched.procs.get(args[0])
        if target is None:
            problem = ErrorValue("process ended before it could be awaited", NOT_FOUND)
            return (None, self._err(problem))
        self.sched.block_on_op(thread)

        def resume(_p: Process, exit: Exit) -> None:
            self.sched.wake(thread, (exit.value, None) if exit.ok else (None, exit.error))

        target.add_exit_callback(resume)
        return None

    def _op_upgrade(self, _thread: Thread, _args: tuple[Any, ...]) -> tuple[Any, ...]:
        problem = ErrorValue(
            "process.upgrade is only supported in workflows (continue-as-new)", INVALID, False
        )
        return (None, self._err(problem))

    def _spawn_coroutine(self, fn: Any, *args: Any) -> None:
        proc = self._caller("coroutine.spawn")
        self.sched.spawn_thread(proc, self.vm.new_thread(fn, args))

    # ------------------------------------------------------------- control
    def _terminate(self, dest: Any) -> tuple[Any, Any, bool]:
        current = self.sched.current
        if current is not None and current.workflow is not None:
            return current.workflow.terminate(dest)
        target, err = self._target(dest)
        if err is not None:
            return False, err, False
        if target is not None and target.workflow is not None:
            target.workflow.terminate_request()
        elif target is not None:
            self.lifecycle.terminate(target)
        current = self.sched.current
        return True, None, current is not None and not current.alive

    def _cancel(self, dest: Any, reason: Any) -> tuple[Any, Any]:
        current = self.sched.current
        if current is not None and current.workflow is not None:
            return current.workflow.cancel(dest, reason)
        target, err = self._target(dest)
        if err is not None:
            return False, err
        if target is not None and target.workflow is not None:
            target.workflow.cancel_request(self._pid(), reason if reason is not None else b"")
        elif target is not None:
            self.lifecycle.cancel(target, self._pid(), reason if reason is not None else b"")
        return True, None

    def _monitor(self, dest: Any) -> tuple[Any, Any]:
        refused = self._refused_in_workflow("monitor")
        if refused is not None:
            return False, refused
        watcher = self._caller("monitor")
        target, err = self._target(dest)
        if err is not None:
            return False, err
        if target is None:
            self.lifecycle.monitor_dead(watcher, dest)
        else:
            self.lifecycle.monitor(watcher, target)
        return True, None

    def _unmonitor(self, dest: Any) -> tuple[Any, Any]:
        refused = self._refused_in_workflow("unmonitor")
        if refused is not None:
            return False, refused
        watcher = self._caller("unmonitor")
        target, err = self._target(dest)
        if err is not None:
            return False, err
        self.lifecycle.unmonitor(watcher, target.pid if target is not None else dest)
        return True, None

    def _link(self, dest: Any) -> tuple[Any, Any]:
        refused = self._refused_in_workflow("link")
        if refused is not None:
            return False, refused
        proc = self._caller("link")
        target, err = self._target(dest)
        if err is not None:
            return False, err
        if target is None:
            if self.lifecycle.link_dead(proc, dest):
                return True, None
            return False, self._err(ErrorValue(
                f"cannot link: process {as_text(dest)} is not alive", NOT_FOUND, False
            ))
        self.lifecycle.link(proc, target)
        return True, None

    def _unlink(self, dest: Any) -> tuple[Any, Any]:
        refused = self._refused_in_workflow("unlink")
        if refused is not None:
            return False, refused
        proc = self._caller("unlink")
        target, err = self._target(dest)
        if err is not None:
            return False, err
        self.lifecycle.unlink(proc, target.pid if target is not None else dest)
        return True, None

    def _refused_in_workflow(self, what: str) -> Any:
        current = self.sched.current
        if current is not None and current.workflow is not None:
            return current.workflow.refused(what)
        return None

    def _get_trap_links(self) -> bool:
        return self._caller("get_options").trap_links

    def _set_trap_links(self, value: Any) -> None:
        self._caller("set_options").trap_links = bool(value)

    # ---------------------------------------------------------------- names
    def _reg_register(self, name: Any, pid: Any, scope: Any) -> tuple[Any, Any]:
        problem = NameRegistry.check_name(name) or NameRegistry.check_scope(scope)
        if problem is not None:
            return False, self._err(problem)
        if pid is None:
            owner: Process | None = self._caller("registry.register")
        elif type(pid) is bytes:
            owner = self.sched.procs.get(pid)
        else:
            return False, self._err(ErrorValue("pid must be a PID string", INVALID, False))
        if owner is None:
            return False, self._err(ErrorValue(
                f"cannot register {as_text(name)!r}: process {as_text(pid)} is not alive",
                NOT_FOUND, False,
            ))
        problem = self.names.register(name, owner)
        if problem is not None:
            return False, self._err(problem)
        return True, None

    def _reg_lookup(self, name: Any) -> tuple[Any, Any]:
        problem = NameRegistry.check_name(name)
        if problem is not None:
            return None, self._err(problem)
        pid = self.names.lookup(name)
        if pid is None:
            return None, self._err(NameRegistry.not_found(name))
        return pid, None

    def _reg_unregister(self, name: Any, scope: Any) -> bool:
        if NameRegistry.check_name(name) or NameRegistry.check_scope(scope):
            return False
        pid = self.names.lookup(name)
        owner = self.sched.procs.get(pid) if pid is not None else None
        return self.names.unregister(name, owner)


def _op_dead(_thread: Thread, _args: tuple[Any, ...]) -> None:
    # The calling process ended while it ran (it terminated itself or a linked peer):
    # leave its thread suspended; the dispatcher drops it.
    return None


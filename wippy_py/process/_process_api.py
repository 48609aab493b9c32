"""The Python side of the ``process`` global (glue: ``host/glue/process.lua``)."""

from __future__ import annotations

from typing import Any

from ..errors import INVALID, NOT_FOUND, ErrorValue
from ..lua import as_text
from ._channel import UNBOUNDED, Channel
from ._channels import ChannelApi
from ._model import Exit, Process, Thread
from ._scheduler import Scheduler
from ._spawn import SpawnError, Spawner


class ProcessApi:
    """Messaging and spawning for Lua processes.

    Args:
        scheduler: The dispatcher.
        spawner: Creates processes from entries.
        channels: Creates channels (inbox, events, listen).
    """

    def __init__(self, scheduler: Scheduler, spawner: Spawner, channels: ChannelApi) -> None:
        self.sched = scheduler
        self.vm = scheduler.vm
        self.spawner = spawner
        self.channels = channels
        self.names: dict[bytes, bytes] = {}
        scheduler.register_op("process.wait", self._op_wait)

    def build_module(self) -> Any:
        """Builds the ``process`` global table."""
        from ..host._catalog import glue

        return self.vm.build_module("process", glue("process"), self.functions())

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py``."""
        return {
            "pid": self._pid,
            "send": self._send,
            "spawn": self._spawn,
            "inbox": self._inbox,
        }

    def _err(self, message: str, kind: str) -> Any:
        return self.vm.error(ErrorValue(message, kind, False))

    def _pid(self) -> bytes:
        proc = self.sched.current
        return proc.pid if proc is not None else b""

    # ------------------------------------------------------------- messaging
    def resolve(self, dest: Any) -> Process | None:
        """Finds a live process by PID or registered name."""
        pid = self.names.get(dest, dest)
        return self.sched.procs.get(pid)

    def _send(self, dest: Any, topic: Any, data: Any) -> tuple[Any, Any]:
        if not isinstance(topic, bytes) or not topic:
            return None, self._err("topic must be a non-empty string", INVALID)
        if topic[:1] == b"@":
            return None, self._err("cannot send to @ topics", INVALID)
        if not isinstance(dest, bytes):
            return None, self._err("destination must be a PID or a name", INVALID)
        if dest[:1] != b"{" and dest not in self.names:
            return None, self._err(f"could not resolve: {as_text(dest)}", NOT_FOUND)
        target = self.resolve(dest)
        if target is None:
            return True, None  # a dead PID: dropped silently, like Erlang
        sender = self.sched.current
        message = self.vm.kernel.new_message(topic, sender.pid if sender else b"", data)
        self.deliver(target, topic, message, data)
        return True, None

    def deliver(self, target: Process, topic: bytes, message: Any, data: Any) -> None:
        """Routes a message: an exact listen() first, then the inbox, else it stays queued."""
        listeners = target.listeners
        if listeners:
            sub = listeners.get(topic)
            if sub is not None:
                channel, as_message = sub
                channel.deliver(message if as_message else data)
                return
        if target.inbox is not None:
            target.inbox.deliver(message)
            return
        if target.queued is None:
            from collections import deque

            target.queued = deque()
        target.queued.append((topic, message, data))

    def _inbox(self) -> Channel:
        proc = self.sched.current
        assert proc is not None, "process.inbox() outside a process"
        if proc.inbox is None:
            proc.inbox = self.channels.new_channel(UNBOUNDED)
            self._flush_queued(proc)
        return proc.inbox

    def _flush_queued(self, proc: Process) -> None:
        queued = proc.queued
        if not queued:
            return
        proc.queued = None
        for topic, message, data in queued:
            self.deliver(proc, topic, message, data)

    # --------------------------------------------------------------- spawning
    def _spawn(self, entry: Any, host: Any, mode: int, *args: Any) -> tuple[Any, Any]:
        parent = self.sched.current
        try:
            proc = self.spawner.spawn(
                as_text(entry), as_text(host), args,
                context=parent.context if parent else None,
            )
        except SpawnError as exc:
            return None, self.vm.error(exc.error)
        return proc.pid, None

    def _op_wait(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        target = self.sched.procs.get(args[0])
        if target is None:
            return (None, self._err("process ended before it could be awaited", NOT_FOUND))
        self.sched.block_on_op(thread)

        def resume(_p: Process, exit: Exit) -> None:
            self.sched.wake(thread, (exit.value, None) if exit.ok else (None, exit.error))

        target.add_exit_callback(resume)
        return None

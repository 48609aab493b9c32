"""Starting processes of ``process.lua`` entries on a host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import INVALID, NOT_FOUND, EntryError, ErrorValue
from ..lua import LuaLoadError
from ._loader import EntryLoader
from ._model import Process
from ._scheduler import Scheduler

PROCESS_HOST_KINDS = ("process.host", "terminal.host")


class SpawnError(Exception):
    """A spawn that cannot happen; ``error`` is what Lua receives."""

    def __init__(self, error: ErrorValue) -> None:
        super().__init__(error.message)
        self.error = error


class Spawner:
    """Creates processes from entries.

    Args:
        scheduler: The dispatcher.
        loader: Compiles entries.
        host_kind: Returns the kind of the host entry named by an ID (or None).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        loader: EntryLoader,
        host_kind: Callable[[str], str | None],
    ) -> None:
        self.sched = scheduler
        self.loader = loader
        self._host_kind = host_kind
        self._providers: dict[str, Any] = {}

    def add_provider(self, host: str, provider: Any) -> None:
        """Routes spawns on ``host`` (a ``temporal.worker``) to a workflow provider.

        The provider has ``start_from_lua(entry, host, args, *, context, name, options,
        messages, sender) -> Process`` and raises :class:`SpawnError`.
        """
        self._providers[host] = provider

    def provider(self, host: str) -> Any:
        """The workflow provider of ``host``, or None for process hosts."""
        return self._providers.get(host)

    def spawn(
        self,
        entry_id: str,
        host: str,
        args: tuple[Any, ...],
        *,
        context: dict[str, Any] | None = None,
        before_start: Callable[[Process], None] | None = None,
    ) -> Process:
        """Starts ``entry_id`` on ``host`` with Lua-valued ``args``.

        Args:
            entry_id: A ``process.lua`` entry.
            host: A ``process.host`` or ``terminal.host`` entry ID.
            args: Positional arguments (Lua values).
            context: ctx values of the new process.
            before_start: Called with the new process before it first runs (to link or
                monitor it atomically with the spawn).

        Raises:
            SpawnError: unknown entry, wrong kind, unknown host, or a load failure.
        """
        host_kind = self._host_kind(host)
        if host_kind not in PROCESS_HOST_KINDS:
            reason = "is not defined" if host_kind is None else f"is a {host_kind}"
            raise SpawnError(
                ErrorValue(f"host {host} {reason}; expected a process.host", NOT_FOUND, False)
            )
        entry = self.loader.registry.get(entry_id)
        if entry is None:
            raise SpawnError(ErrorValue(f"process {entry_id} not found", NOT_FOUND, False))
        if entry.kind != "process.lua":
            raise SpawnError(
                ErrorValue(f"{entry_id} is a {entry.kind}, not a process.lua", INVALID, False)
            )
        try:
            loaded = self.loader.load(entry_id, ("process.lua",))
        except (EntryError, LuaLoadError) as exc:
            raise SpawnError(ErrorValue(str(exc), "Internal", False)) from exc
        proc = Process(self.sched.new_pid(host), entry_id, host)
        proc.context = context
        co = self.sched.vm.new_process_thread(loaded.factory, loaded.env_mt, loaded.method, args)
        if before_start is not None:
            before_start(proc)
        self.sched.start_process(proc, co)
        return proc

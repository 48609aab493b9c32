"""One supervised ``process.service`` entry: its configuration and runtime state."""

from __future__ import annotations

from typing import Any

import trio

from ..errors import ErrorValue
from ..process import Process
from ..registry import Entry, Lifecycle

# Service states (Wippy's names).
UNKNOWN = "unknown"
STARTING = "starting"
RUNNING = "running"
STOPPING = "stopping"
STOPPED = "stopped"
FAILED = "failed"
EXITED = "exited"


class Service:
    """A ``process.service`` entry under supervision.

    Attributes:
        id: The entry ID, e.g. ``app:worker``.
        entry: The registry entry.
        process_id: The ``process.lua`` entry it runs.
        host: The ``process.host`` its process runs on.
        args: Positional arguments (the ``input`` list, Python values).
        state: The current state (see the module constants).
        attempt: Starts in the current failure series (1 = first start).
        starts: Starts in total (for tests and status output).
        proc: The current or last process.
        last_error: The error of the last failed start or run (None if none).
        requires: Services this one needs running first (lifecycle.requires/depends_on).
        after: Services this one is only ordered after (dependencies found by the
            registry), when they are started in the same batch.
        started: Set once the service first reached ``running``.
        settled: Set once the service is running or will not start (gave up, blocked).
        stopped: Set once :meth:`Supervisor.stop_all` is done with it.
    """

    def __init__(self, entry: Entry) -> None:
        self.id = str(entry.id)
        self.entry = entry
        self.process_id = str(entry.get("process", ""))
        self.host = str(entry.get("host", ""))
        data_input = entry.get("input")
        self.args: list[Any] = list(data_input) if isinstance(data_input, list) else []
        self.state = UNKNOWN
        self.attempt = 0
        self.starts = 0
        self.proc: Process | None = None
        self.last_error: ErrorValue | None = None
        self.requires: list[str] = []
        self.after: list[str] = []
        self.started = trio.Event()
        self.settled = trio.Event()
        self.stopped = trio.Event()
        self.scope: trio.CancelScope | None = None
        self.launched = False
        self.stopping = False
        self.final = False  # exited, gave up or blocked: it will not run again

    @property
    def lifecycle(self) -> Lifecycle:
        """The parsed lifecycle block of the entry."""
        return self.entry.lifecycle

    @property
    def required(self) -> bool:
        """True for ``startup: required`` (the default): the boot fails without it."""
        return self.lifecycle.startup == "required"

    def __repr__(self) -> str:
        return f"Service({self.id}, {self.state})"

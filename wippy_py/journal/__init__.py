"""The journal: the durable store of the embedded workflow engine (DESIGN decision 7).

One SQLite file in WAL mode holds, per workflow run, a status row and an append-only
history of msgpack records, plus the Lua scripts (stored once by content hash), durable
timers, and an inbox of pending requests (start, signal, cancel, terminate) that the CLI
writes from another process while the engine runs.

The engine buffers its writes and commits them in groups across workflows
(:meth:`Journal.commit`); the CLI writes with :meth:`Journal.post` and reads. Every
failure is a :class:`~wippy_py.errors.JournalError` whose message names the file and says
what to do.

Layer 1: imports only :mod:`wippy_py.errors`, the standard library and msgpack.
"""

from __future__ import annotations

from ._records import (
    COMPLETED,
    CONTINUED,
    FAILED,
    RUNNING,
    STATUSES,
    TERMINATED,
    InboxItem,
    Record,
    RunRow,
)
from ._schema import SCHEMA_VERSION
from ._store import Journal

__all__ = [
    "COMPLETED",
    "CONTINUED",
    "FAILED",
    "RUNNING",
    "SCHEMA_VERSION",
    "STATUSES",
    "TERMINATED",
    "InboxItem",
    "Journal",
    "Record",
    "RunRow",
]

"""The error tree of wippy-py, and the error value that Lua scripts see.

Two kinds of errors live here:

* Python exceptions raised by the runtime to its host (CLI, tests, embedding code)::

      WippyError
      ├── RegistryError          bad YAML, bad entry, bad reference (file, line, entry, field)
      ├── LuaLoadError           a Lua source that does not compile (file and line)
      ├── EntryError             an entry that cannot run (missing method, unknown module, ...)
      ├── JournalError           a journal file that is corrupt, truncated or too new
      │   └── NondeterminismError  replayed code diverged from its recorded history
      └── WorkflowError          an unknown workflow ID, a signal to a finished workflow, ...

* :class:`ErrorValue`, the structured error that Lua code receives as the second return
  value (``nil, err``) and that crosses the journal. It mirrors Wippy's error userdata: a
  kind (one of :data:`KINDS`), a message, a retryable flag that may be unknown, details
  and a Lua stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Wippy's error kinds: Lua constant name -> the exact string value scripts compare with.
KINDS: dict[str, str] = {
    "UNKNOWN": "Unknown",
    "NOT_FOUND": "NotFound",
    "ALREADY_EXISTS": "AlreadyExists",
    "INVALID": "Invalid",
    "PERMISSION_DENIED": "PermissionDenied",
    "UNAVAILABLE": "Unavailable",
    "INTERNAL": "Internal",
    "CANCELED": "Canceled",
    "CONFLICT": "Conflict",
    "TIMEOUT": "Timeout",
    "RATE_LIMITED": "RateLimited",
}

UNKNOWN = KINDS["UNKNOWN"]
NOT_FOUND = KINDS["NOT_FOUND"]
ALREADY_EXISTS = KINDS["ALREADY_EXISTS"]
INVALID = KINDS["INVALID"]
PERMISSION_DENIED = KINDS["PERMISSION_DENIED"]
UNAVAILABLE = KINDS["UNAVAILABLE"]
INTERNAL = KINDS["INTERNAL"]
CANCELED = KINDS["CANCELED"]
CONFLICT = KINDS["CONFLICT"]
TIMEOUT = KINDS["TIMEOUT"]
RATE_LIMITED = KINDS["RATE_LIMITED"]


@dataclass(frozen=True)
class ErrorValue:
    """A Wippy error as Lua code sees it (``err:kind()``, ``err:message()``, ...).

    Attributes:
        message: Human-readable text.
        kind: One of the values of :data:`KINDS`; empty when the error has no kind.
        retryable: ``True``/``False`` when stated, ``None`` when unspecified.
        details: Free-form structured data attached by the raiser.
        stack: A Lua traceback, when one was captured.
    """

    message: str
    kind: str = ""
    retryable: bool | None = None
    details: Any = None
    stack: str = ""

    def __str__(self) -> str:
        return self.message

    def to_record(self) -> dict[str, Any]:
        """Returns a msgpack-friendly mapping (for the journal and for messages)."""
        return {
            "message": self.message,
            "kind": self.kind,
            "retryable": self.retryable,
            "details": self.details,
            "stack": self.stack,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ErrorValue:
        """Rebuilds an error written by :meth:`to_record`."""
        return cls(
            message=str(record.get("message", "")),
            kind=str(record.get("kind", "")),
            retryable=record.get("retryable"),
            details=record.get("details"),
            stack=str(record.get("stack", "")),
        )

    def with_context(self, context: str) -> ErrorValue:
        """Returns a copy whose message is prefixed by ``context`` (``errors.wrap``)."""
        return ErrorValue(
            message=f"{context}: {self.message}",
            kind=self.kind,
            retryable=self.retryable,
            details=self.details,
            stack=self.stack,
        )


def internal(message: str, *, retryable: bool | None = False) -> ErrorValue:
    """Returns an ``Internal`` error, the kind Wippy gives to plain string failures."""
    return ErrorValue(message=message, kind=INTERNAL, retryable=retryable)


class WippyError(Exception):
    """Base class of every exception the runtime raises to its host."""


@dataclass
class Location:
    """Where a problem sits in the user's files; every part is optional."""

    file: str = ""
    line: int | None = None
    entry: str = ""
    field: str = ""

    def describe(self) -> str:
        """Returns ``file:line: entry ns:name, field f`` with the known parts only."""
        parts: list[str] = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.entry:
            parts.append(f"entry {self.entry}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


class RegistryError(WippyError):
    """A registry file or entry is invalid.

    Attributes:
        problem: What is wrong, without the location.
        location: The file, line, entry and field concerned.
    """

    def __init__(self, problem: str, location: Location | None = None) -> None:
        self.problem = problem
        self.location = location or Location()
        where = self.location.describe()
        super().__init__(f"{where}: {problem}" if where else problem)


class LuaLoadError(WippyError):
    """A Lua source failed to compile; the message names the chunk and the line."""


class EntryError(WippyError):
    """An entry cannot be run (unknown module, missing method, wrong kind, ...)."""


class JournalError(WippyError):
    """The journal file is corrupt, truncated, or written by a newer schema."""


class NondeterminismError(JournalError):
    """Replayed workflow code issued a different command than its history holds."""


class WorkflowError(WippyError):
    """A workflow operation was refused (unknown ID, already finished, ...)."""


@dataclass
class ExitReason:
    """How a process ended: a result value, or an error.

    Attributes:
        value: The first return value of the process (already converted to Python).
        error: The failure, or ``None`` for a clean exit.
        extra: Further return values, kept for ``process.exec``.
    """

    value: Any = None
    error: ErrorValue | None = None
    extra: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the process ended without an error."""
        return self.error is None

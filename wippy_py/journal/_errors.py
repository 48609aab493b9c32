"""Turns SQLite exceptions into :class:`JournalError` messages written for a person."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wippy_py.errors import JournalError

from . import _schema


def translate(exc: sqlite3.Error, path: Path, action: str) -> JournalError:
    """Returns the :class:`JournalError` for ``exc``, raised while doing ``action``.

    Args:
        exc: What SQLite raised.
        path: The journal file.
        action: What was being done, as a phrase ("reading the history of run X").
    """
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in lowered:
        return JournalError(f"the journal {path} is closed (while {action})")
    if "locked" in lowered or "busy" in lowered:
        return JournalError(
            f"the journal {path} stayed locked by another process for more than 5 s while "
            f"{action}. Retry; if it persists, look for a stuck wippy-py process using it."
        )
    if "full" in lowered:
        return JournalError(
            f"the disk holding the journal {path} is full ({text}) while {action}. "
            "Free some space and retry."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return JournalError(
            f"the journal {path} cannot be written ({text}) while {action}. Check the "
            "permissions of the file and of its directory (SQLite creates -wal and -shm "
            "files next to it)."
        )
    if "unable to open" in lowered:
        return JournalError(
            f"cannot open the journal {path} ({text}). Check that its directory exists "
            "and is writable."
        )
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered
    ):
        return _schema.damaged(path, f"{text} (while {action})")
    return JournalError(f"journal {path}: {action} failed: {text}")

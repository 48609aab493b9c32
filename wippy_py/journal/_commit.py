"""The group commit: the statements of buffered operations, and the transaction body."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wippy_py.errors import JournalError

from ._errors import translate

# Buffered operations, in call order; consecutive operations of one kind share an entry
# so that the commit runs them with a single executemany.
Ops = list[tuple[str, list[tuple[Any, ...]]]]

SQL = {
    "script": "INSERT OR IGNORE INTO scripts (hash, source) VALUES (?, ?)",
    "run": "INSERT INTO runs (run_id, workflow_id, entry, worker, status, body, result, "
    "error, script_hash, parent_run, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "append": "INSERT INTO history (run_id, seq, type, kind, target, args_hash, body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    # Only a running run can end; a second ending would overwrite the first outcome.
    "finish": "UPDATE runs SET status = ?, result = ?, error = ?, updated_at = ? "
    "WHERE run_id = ? AND status = 'running'",
    # REPLACE: re-arming the timer of the same command (after a restart) is harmless.
    "timer": "INSERT OR REPLACE INTO timers (run_id, seq, due) VALUES (?, ?, ?)",
    "untimer": "DELETE FROM timers WHERE run_id = ? AND seq = ?",
    "inbox": "INSERT INTO inbox (id, workflow_id, kind, topic, payload, sender, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    "uninbox": "DELETE FROM inbox WHERE id = ?",
}

# For the unique keys a commit can trip over: the key of a row, how to find an existing
# row with it, and how to name it in the error message.
_KEYS: dict[str, tuple[Callable[[tuple[Any, ...]], tuple[Any, ...]], str, str]] = {
    "append": (lambda r: (r[0], r[1]), "SELECT 1 FROM history WHERE run_id = ? AND seq = ?",
               "history record {1} of run {0} was already recorded"),
    "run": (lambda r: (r[0],), "SELECT 1 FROM runs WHERE run_id = ?",
            "run {0} already exists"),
    "inbox": (lambda r: (r[0],), "SELECT 1 FROM inbox WHERE id = ?",
              "inbox item {0} already exists"),
}


class _Refused(Exception):
    """An operation that SQLite accepted but that would lose or overwrite data."""


def write(conn: sqlite3.Connection, path: Path, ops: Ops, count: int) -> None:
    """Runs ``ops`` inside the transaction already begun on ``conn``, then commits.

    Args:
        conn: A connection inside ``BEGIN IMMEDIATE``.
        path: The journal file, for messages.
        ops: The buffered operations.
        count: How many operations ``ops`` holds, for messages.

    Raises:
        JournalError: Something failed; the transaction was rolled back.
    """
    op = ""
    try:
        for op, rows in ops:
            if op == "finish":
                # One by one: a finish that matches no running run must not pass silently.
                for row in rows:
                    if conn.execute(SQL[op], row).rowcount != 1:
                        raise _Refused(_finish_refusal(conn, row[-1], row[0]))
            else:
                conn.executemany(SQL[op], rows)
        conn.execute("COMMIT")
    except BaseException as exc:
        # SQLite may have rolled back already (e.g. after SQLITE_FULL).
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, _Refused | sqlite3.IntegrityError):
            detail = str(exc)
            if isinstance(exc, sqlite3.IntegrityError):
                detail = _conflict(conn, op, ops) or detail
            raise JournalError(
                f"could not commit {count} writes to the journal {path}: {detail}. Nothing "
                "of this commit was written; the journal keeps its previously committed "
                "state. This is a bug in the engine; please report it."
            ) from None
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, path, f"committing {count} writes") from None
        raise


def _finish_refusal(conn: sqlite3.Connection, run_id: str, status: str) -> str:
    row = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        return f"cannot mark run {run_id} {status}: there is no such run"
    return f"cannot mark run {run_id} {status}: it is already {row[0]}"


def _conflict(conn: sqlite3.Connection, op: str, ops: Ops) -> str:
    """Names the first row of the rolled-back commit whose unique key was taken."""
    if op not in _KEYS:
        return ""
    key_of, exists, message = _KEYS[op]
    seen: set[tuple[Any, ...]] = set()
    for other, rows in ops:
        if other != op:
            continue
        for row in rows:
            key = key_of(row)
            if key in seen or conn.execute(exists, key).fetchone():
                return message.format(*key)
            seen.add(key)
    return ""

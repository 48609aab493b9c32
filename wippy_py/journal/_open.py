"""Opening a journal file: checks first (read-only), then the writing connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wippy_py.errors import JournalError

from . import _schema
from ._errors import translate

SYNCHRONOUS = ("FULL", "NORMAL", "OFF")


def sync_level(synchronous: object, path: Path) -> str:
    """Returns the validated, upper-cased ``synchronous`` level.

    Raises:
        JournalError: The value is not one of :data:`SYNCHRONOUS`.
    """
    level = synchronous.upper() if isinstance(synchronous, str) else ""
    if level not in SYNCHRONOUS:
        raise JournalError(
            f"synchronous={synchronous!r} is not a journal durability level for {path}; "
            f"use one of {', '.join(SYNCHRONOUS)}"
        )
    return level


def open_journal(path: Path, level: str, create: bool) -> sqlite3.Connection:
    """Checks ``path`` and returns a writing connection to it, with the schema in place.

    An existing, non-empty file is checked through plain reads and a read-only
    connection before anything may write to it. A missing or empty file becomes a new
    journal when ``create`` is true.

    Raises:
        JournalError: See :class:`~wippy_py.journal.Journal`.
    """
    if path.is_dir():
        raise JournalError(f"the journal path {path} is a directory; give a file path")
    if path.exists() and path.stat().st_size > 0:
        _schema.check_header(path)
        try:
            probe = _schema.read_only(path)
        except sqlite3.Error as exc:
            raise translate(exc, path, "opening it read-only for checks") from None
        try:
            _schema.inspect(probe, path)
        finally:
            probe.close()
    elif not create:
        state = "is empty" if path.exists() else "does not exist"
        raise JournalError(
            f"no journal at {path}: the file {state}. Check the path, or run the app once "
            "to create it."
        )
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(
                f"cannot create the directory {path.parent} for the journal: "
                f"{exc.strerror or exc}"
            ) from None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    except sqlite3.Error as exc:
        raise translate(exc, path, "opening it") from None
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        # Checked again on this connection: another process may have created the file
        # between the checks above and now.
        fresh = not _schema.has_tables(conn)
        if not fresh:
            _schema.inspect(conn, path)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(
                f"the journal {path} cannot use write-ahead logging (SQLite kept mode "
                f"{mode!r}); put it on a local disk, network file systems lack it."
            )
        conn.execute(f"PRAGMA synchronous={level}")
        if fresh:
            _schema.create(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, path, "opening it") from None
    except BaseException:
        conn.close()
        raise
    return conn

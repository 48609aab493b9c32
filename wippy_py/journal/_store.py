"""The :class:`Journal`: buffered group-committed writes, direct writes and reads."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wippy_py.errors import JournalError

from . import _check, _commit, _schema
from ._errors import translate
from ._open import open_journal, sync_level
from ._records import (
    HISTORY_COLUMNS,
    INBOX_COLUMNS,
    RUN_COLUMNS,
    RUNNING,
    STATUSES,
    InboxItem,
    Record,
    RunRow,
    inbox_from_row,
    inbox_params,
    pack_optional,
    record_params,
    records_from_rows,
    run_from_row,
    run_params,
)


class Journal:
    """The durable store of the embedded workflow engine: one SQLite file in WAL mode.

    Writes made by the engine (``put_script``, ``create_run``, ``append``, ...) are
    buffered in memory and written by :meth:`commit` in one transaction, so many
    workflows share each fsync. :meth:`post` writes at once (for the CLI). Reads see
    committed state only.

    A connection may be used from several threads; operations are serialized.

    Attributes:
        path: The journal file.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, synchronous: str = "FULL", create: bool = True
    ) -> None:
        """Opens (and, with ``create``, creates) the journal at ``path``.

        Args:
            path: The journal file; missing parent directories are created.
            synchronous: SQLite's ``synchronous`` level: ``"FULL"`` (durable against
                power loss), ``"NORMAL"`` (durable against crashes of the process) or
                ``"OFF"``.
            create: When false, a missing file is an error instead of a new journal.

        Raises:
            JournalError: Bad ``synchronous`` value; missing file with ``create=False``;
                a file that is damaged, not a journal, or written by a newer wippy-py
                (such a file is left untouched).
        """
        self.path = Path(path)
        level = sync_level(synchronous, self.path)
        self._lock = threading.RLock()  # serializes use of the connection
        self._buffer_lock = threading.Lock()
        self._ops: _commit.Ops = []
        self._pending = 0
        self._known_scripts: set[str] = set()
        self._data_version: int | None = None
        self._conn: sqlite3.Connection | None = open_journal(self.path, level, create)

    def close(self) -> None:
        """Closes the connection. Buffered writes not yet committed are dropped."""
        with self._lock:
            with self._buffer_lock:
                self._ops, self._pending = [], 0
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"the journal {self.path} is closed")
        return self._conn

    # ---- buffered writes ---------------------------------------------------------------

    def _queue(self, op: str, params: tuple[Any, ...]) -> None:
        with self._buffer_lock:
            ops = self._ops
            if ops and ops[-1][0] == op:
                ops[-1][1].append(params)
            else:
                ops.append((op, [params]))
            self._pending += 1

    def put_script(self, source: str) -> str:
        """Buffers a Lua source for storage and returns its sha256 hex digest.

        A source is stored once however many runs use it.
        """
        try:
            digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        except UnicodeEncodeError as exc:
            raise JournalError(f"cannot store a script in the journal: {exc}") from None
        if digest not in self._known_scripts:
            self._known_scripts.add(digest)
            self._queue("script", (digest, source))
        return digest

    def create_run(self, row: RunRow) -> None:
        """Buffers a new run; zero ``created_at``/``updated_at`` become the current time."""
        self._queue("run", run_params(row, time.time()))

    def append(self, run_id: str, record: Record) -> None:
        """Buffers one history record of ``run_id``.

        Nothing is read: a duplicate ``(run_id, seq)`` is reported by :meth:`commit`.
        """
        params = record_params(run_id, record)
        # Inlined _queue: this is the engine's hottest call.
        with self._buffer_lock:
            ops = self._ops
            if ops and ops[-1][0] == "append":
                ops[-1][1].append(params)
            else:
                ops.append(("append", [params]))
            self._pending += 1

    def finish_run(
        self, run_id: str, status: str, result: Any = None, error: dict[str, Any] | None = None
    ) -> None:
        """Buffers the end of a running run.

        Args:
            run_id: The run.
            status: Any of :data:`STATUSES` but ``running``.
            result: The returned value (completed runs).
            error: The failure; required for ``failed``, forbidden for ``completed``.

        Raises:
            JournalError: Now for a bad status/error combination; at :meth:`commit` when
                the run is unknown or already finished.
        """
        if status not in STATUSES or status == RUNNING:
            raise JournalError(
                f"cannot finish run {run_id} with status {status!r}; use one of "
                f"{', '.join(s for s in STATUSES if s != RUNNING)}"
            )
        if status == "completed" and error is not None:
            raise JournalError(f"run {run_id} cannot be completed with an error; use 'failed'")
        if status == "failed" and error is None:
            raise JournalError(f"run {run_id} cannot be marked failed without an error")
        what = f"run {run_id}"
        self._queue("finish", (
            status, pack_optional(result, f"the result of {what}"),
            pack_optional(error, f"the error of {what}"), time.time(), run_id,
        ))

    def add_timer(self, run_id: str, seq: int, due: float) -> None:
        """Buffers a durable timer of command ``seq``, due at ``due`` (epoch seconds)."""
        self._queue("timer", (run_id, seq, due))

    def remove_timer(self, run_id: str, seq: int) -> None:
        """Buffers the removal of a timer (fired or cancelled); unknown timers are ignored."""
        self._queue("untimer", (run_id, seq))

    def add_inbox(self, item: InboxItem) -> None:
        """Buffers an inbox item (e.g. a signal one workflow sends to another)."""
        self._queue("inbox", inbox_params(item, time.time()))

    def remove_inbox(self, item_id: str) -> None:
        """Buffers the removal of a consumed inbox item; unknown IDs are ignored."""
        self._queue("uninbox", (item_id,))

    @property
    def pending(self) -> int:
        """The number of buffered operations not yet committed."""
        return self._pending

    def commit(self) -> int:
        """Writes every buffered operation in one transaction, in call order.

        Returns:
            How many operations were written; 0 (and no transaction) when none.

        Raises:
            JournalError: The transaction failed and was rolled back: nothing of it is
                in the file. If the journal could not even be locked, the operations stay
                buffered for a retry; otherwise they are dropped.
        """
        with self._lock:
            with self._buffer_lock:
                ops, count = self._ops, self._pending
                self._ops, self._pending = [], 0
            if not ops:
                return 0
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                with self._buffer_lock:  # nothing ran: keep the work for a retry
                    self._ops[:0] = ops
                    self._pending += count
                raise translate(exc, self.path, f"committing {count} writes") from None
            try:
                _commit.write(conn, self.path, ops, count)
            except BaseException:
                # Scripts of the dropped operations are not stored after all.
                self._known_scripts.clear()
                raise
            return count

    # ---- direct writes -----------------------------------------------------------------

    def post(self, item: InboxItem) -> None:
        """Writes an inbox item and commits it at once (for the CLI).

        Raises:
            JournalError: The item is invalid, its ID is taken, or the write failed.
        """
        params = inbox_params(item, time.time())
        with self._lock:
            try:
                # Autocommit mode: the single INSERT is its own transaction.
                self._connection().execute(_commit.SQL["inbox"], params)
            except sqlite3.IntegrityError:
                raise JournalError(
                    f"inbox item {item.id} already exists in the journal {self.path}; "
                    "give each item a new id (uuid.uuid4().hex)"
                ) from None
            except sqlite3.Error as exc:
                raise translate(exc, self.path, f"posting inbox item {item.id}") from None

    # ---- reads -------------------------------------------------------------------------

    def _read(self, action: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, self.path, action) from None

    def _decode(self, action: str, decode: Callable[[Any], Any], rows: list[Any]) -> list[Any]:
        try:
            return [decode(row) for row in rows]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _schema.damaged(self.path, f"undecodable data while {action} ({exc})") from None

    def script(self, script_hash: str) -> str | None:
        """Returns the Lua source stored under ``script_hash``, or ``None``."""
        rows = self._read(f"reading script {script_hash}",
                          "SELECT source FROM scripts WHERE hash = ?", (script_hash,))
        return rows[0][0] if rows else None

    def run(self, run_id: str) -> RunRow | None:
        """Returns the row of ``run_id``, or ``None`` when there is no such run."""
        action = f"reading run {run_id}"
        rows = self._read(action, f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        return self._decode(action, run_from_row, rows)[0] if rows else None

    def current_run(self, workflow_id: str) -> RunRow | None:
        """Returns the latest-created run of ``workflow_id``, or ``None``."""
        action = f"reading the runs of workflow {workflow_id}"
        rows = self._read(
            action,
            f"SELECT {RUN_COLUMNS} FROM runs WHERE workflow_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (workflow_id,),
        )
        return self._decode(action, run_from_row, rows)[0] if rows else None

    def runs(self, status: str | None = None, limit: int | None = None) -> list[RunRow]:
        """Returns runs, newest first, optionally of one status and at most ``limit``.

        Raises:
            JournalError: ``status`` is not one of :data:`STATUSES`, or ``limit`` < 0.
        """
        if status is not None and status not in STATUSES:
            raise JournalError(
                f"unknown run status {status!r}; use one of {', '.join(STATUSES)}"
            )
        if limit is not None and limit < 0:
            raise JournalError(f"the run limit must be 0 or more, not {limit}")
        where = "WHERE status = ? " if status is not None else ""
        params: tuple[Any, ...] = (status,) if status is not None else ()
        sql = f"SELECT {RUN_COLUMNS} FROM runs {where}ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return self._decode("listing runs", run_from_row, self._read("listing runs", sql, params))

    def unfinished_runs(self) -> list[RunRow]:
        """Returns the runs still running, oldest first (the ones to resume)."""
        action = "listing unfinished runs"
        rows = self._read(
            action,
            f"SELECT {RUN_COLUMNS} FROM runs WHERE status = ? ORDER BY created_at, rowid",
            (RUNNING,),
        )
        return self._decode(action, run_from_row, rows)

    def history(self, run_id: str) -> list[Record]:
        """Returns the history of ``run_id`` ordered by seq ([] for an unknown run)."""
        action = f"reading the history of run {run_id}"
        rows = self._read(
            action, f"SELECT {HISTORY_COLUMNS} FROM history WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        try:
            return records_from_rows(rows)
        except (ValueError, TypeError) as exc:
            raise _schema.damaged(self.path, f"undecodable data while {action} ({exc})") from None

    def timers(self, run_id: str | None = None) -> list[tuple[str, int, float]]:
        """Returns ``(run_id, seq, due)`` of pending timers, earliest first."""
        where, params = ("WHERE run_id = ? ", (run_id,)) if run_id is not None else ("", ())
        return [
            (r, s, d) for r, s, d in self._read(
                "reading timers",
                f"SELECT run_id, seq, due FROM timers {where}ORDER BY due, run_id, seq",
                params,
            )
        ]

    def inbox_after(self, rowid: int) -> list[InboxItem]:
        """Returns inbox items inserted after ``rowid``, oldest first.

        Rowids are never reused, so remembering the last one seen is enough to poll.
        """
        action = "reading the inbox"
        rows = self._read(
            action, f"SELECT {INBOX_COLUMNS} FROM inbox WHERE rowid > ? ORDER BY rowid",
            (rowid,),
        )
        return self._decode(action, inbox_from_row, rows)

    def inbox_for(self, workflow_id: str) -> list[InboxItem]:
        """Returns the pending inbox items of ``workflow_id``, oldest first."""
        action = f"reading the inbox of workflow {workflow_id}"
        rows = self._read(
            action,
            f"SELECT {INBOX_COLUMNS} FROM inbox WHERE workflow_id = ? ORDER BY rowid",
            (workflow_id,),
        )
        return self._decode(action, inbox_from_row, rows)

    def changed(self) -> bool:
        """Cheap poll: True when another connection committed since the last call.

        The first call returns True. Commits made through this object do not count.
        """
        (version,) = self._read("polling for changes", "PRAGMA data_version")[0]
        first, self._data_version = self._data_version, version
        return first is None or first != version

    def check(self) -> list[str]:
        """Checks the file and the consistency of its contents.

        Returns:
            One sentence per problem found; ``[]`` when the journal is sound.
        """
        with self._lock:
            return _check.check(self._connection(), self.path)


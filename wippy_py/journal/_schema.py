"""The journal's tables, and the checks a file must pass before anything writes to it.

An existing file is inspected in two steps, both strictly read-only: the 100-byte SQLite
header is read with plain file I/O (a garbage or truncated file never reaches SQLite),
then a read-only SQLite connection looks at the tables and the schema version. Only a
file that passes both is opened for writing.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from wippy_py.errors import JournalError

SCHEMA_VERSION = 1

_HEADER = b"SQLite format 3\x00"

# IF NOT EXISTS: two processes may create the same new journal at the same moment.
DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)",
    "CREATE TABLE IF NOT EXISTS scripts (hash TEXT PRIMARY KEY, source TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        entry TEXT NOT NULL,
        worker TEXT NOT NULL,
        status TEXT NOT NULL,
        body BLOB,
        result BLOB,
        error BLOB,
        script_hash TEXT NOT NULL DEFAULT '',
        parent_run TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS runs_workflow ON runs (workflow_id, created_at)",
    "CREATE INDEX IF NOT EXISTS runs_status ON runs (status, created_at)",
    # WITHOUT ROWID: records are clustered by (run_id, seq), so a replay reads one
    # contiguous range of the b-tree and an append touches a single index.
    """CREATE TABLE IF NOT EXISTS history (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        args_hash TEXT NOT NULL DEFAULT '',
        body BLOB,
        PRIMARY KEY (run_id, seq)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS timers (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        due REAL NOT NULL,
        PRIMARY KEY (run_id, seq))""",
    # AUTOINCREMENT: the engine reads the inbox with "rowid > last seen"; a plain
    # INTEGER PRIMARY KEY would hand the rowid of a consumed (deleted) last item to the
    # next one, and the engine would never see it.
    """CREATE TABLE IF NOT EXISTS inbox (
        rowid INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workflow_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        payload BLOB,
        sender TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS inbox_workflow ON inbox (workflow_id)",
)

# The columns each table must have; extra columns (a compatible addition) are tolerated.
TABLES: dict[str, frozenset[str]] = {
    "meta": frozenset({"key", "value"}),
    "scripts": frozenset({"hash", "source"}),
    "runs": frozenset({
        "run_id", "workflow_id", "entry", "worker", "status", "body", "result", "error",
        "script_hash", "parent_run", "created_at", "updated_at",
    }),
    "history": frozenset({"run_id", "seq", "type", "kind", "target", "args_hash", "body"}),
    "timers": frozenset({"run_id", "seq", "due"}),
    "inbox": frozenset({
        "rowid", "id", "workflow_id", "kind", "topic", "payload", "sender", "created_at",
    }),
}

_ADVICE = (
    "Restore it from a backup, or move it aside (rename it) to start with a new, empty "
    "journal; the workflows recorded in it would then be lost."
)


def damaged(path: Path, problem: str) -> JournalError:
    """Returns the error for a journal file that cannot be trusted."""
    return JournalError(
        f"the journal {path} is damaged or is not a wippy-py journal: {problem}. {_ADVICE}"
    )


def too_new(path: Path, version: int) -> JournalError:
    """Returns the error for a journal written by a newer wippy-py."""
    return JournalError(
        f"the journal {path} was written by a newer wippy-py (schema version {version}; "
        f"this wippy-py reads schema version {SCHEMA_VERSION}). Upgrade wippy-py to open "
        "it; the file was left untouched."
    )


def wal_in_use(path: Path) -> bool:
    """True when a non-empty ``-wal`` file sits next to ``path`` (its newest commits)."""
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def check_header(path: Path) -> None:
    """Checks the SQLite header of ``path`` with plain reads.

    Raises:
        JournalError: The file is not an SQLite database, or is shorter than its header
            says (a truncated copy).
    """
    try:
        with path.open("rb") as f:
            header = f.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror or exc}") from None
    if len(header) < 100 or not header.startswith(_HEADER):
        raise damaged(path, "it is not an SQLite database")
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    (change_counter, page_count) = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    # The in-header page count is trustworthy only when "version-valid-for" matches the
    # change counter. A non-empty WAL may hold pages that a crashed checkpoint had not yet
    # copied into the main file, so the size test is skipped then (SQLite recovers).
    if (
        page_count
        and valid_for == change_counter
        and page_size * page_count > size
        and not wal_in_use(path)
    ):
        raise damaged(
            path,
            f"it is truncated ({size} bytes, its header says {page_size * page_count})",
        )


def read_only(path: Path) -> sqlite3.Connection:
    """Opens ``path`` with a connection that cannot write to it.

    Without a WAL file nobody has the journal open, and ``immutable=1`` then keeps SQLite
    from creating the ``-wal``/``-shm`` side files next to a file that may be rejected.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    if not wal_in_use(path) and not path.with_name(path.name + "-shm").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None)


def inspect(conn: sqlite3.Connection, path: Path) -> None:
    """Checks the tables and the schema version seen through ``conn`` (reads only).

    Raises:
        JournalError: Tables or columns are missing, the version is unreadable, or the
            file was written by a newer schema.
    """
    try:
        names = {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "meta" in names:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        else:
            row = None
        # A newer schema may have renamed or dropped tables: report the version first.
        version = row[0] if row else None
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise too_new(path, version)
        missing = sorted(set(TABLES) - names)
        if missing:
            raise damaged(path, f"table(s) {', '.join(missing)} missing")
        for table, wanted in TABLES.items():
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if table == "inbox":
                have.add("rowid")  # an INTEGER PRIMARY KEY named rowid aliases the rowid
            lacking = sorted(wanted - have)
            if lacking:
                raise damaged(path, f"table {table} lacks column(s) {', '.join(lacking)}")
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    if not isinstance(version, int) or version < 1:
        raise damaged(path, f"its schema version is {version!r}, expected {SCHEMA_VERSION}")


def has_tables(conn: sqlite3.Connection) -> bool:
    """True when the database behind ``conn`` holds any table at all."""
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0


def create(conn: sqlite3.Connection) -> None:
    """Creates the tables in an empty database and stamps the schema version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in DDL:
            conn.execute(statement)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

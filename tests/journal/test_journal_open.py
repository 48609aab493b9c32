"""Opening journals: creation, pragmas, and refusing (without touching) bad files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wippy_py.errors import JournalError
from wippy_py.journal import SCHEMA_VERSION, Journal, Record, RunRow


def filled_journal(path: Path, runs: int = 20) -> None:
    """Writes a journal of several pages and closes it (so it is fully checkpointed)."""
    with Journal(path) as j:
        for i in range(runs):
            j.create_run(RunRow(f"r-{i}", f"wf-{i}", "app:flow", "app:worker"))
            for seq in range(40):
                j.append(f"r-{i}", Record(seq, "command", "call", "app:act", value="x" * 40))
        j.commit()
    assert not path.with_name(path.name + "-wal").exists()


def side_files(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p != path]


def test_creates_directories_wal_and_synchronous_full(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "j.db"
    with Journal(path) as j:
        assert j.path == path and path.is_file()
        conn = j._conn
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    with sqlite3.connect(path) as raw:
        # WAL is a property of the file: any later connection sees it.
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            SCHEMA_VERSION,)


@pytest.mark.parametrize(("level", "value"), [("NORMAL", 1), ("off", 0), ("Full", 2)])
def test_synchronous_levels(tmp_path: Path, level: str, value: int) -> None:
    with Journal(tmp_path / "j.db", synchronous=level) as j:
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == value  # type: ignore[union-attr]


def test_bad_synchronous_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match=r"synchronous='SOMETIMES'.*FULL, NORMAL, OFF"):
        Journal(tmp_path / "j.db", synchronous="SOMETIMES")
    assert not (tmp_path / "j.db").exists()


def test_create_false_on_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "j.db"
    with pytest.raises(JournalError, match=f"no journal at {path}"):
        Journal(path, create=False)
    assert not path.parent.exists()


def test_empty_file_becomes_a_journal_only_when_creating(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.touch()
    with pytest.raises(JournalError, match=r"no journal at .*is empty"):
        Journal(path, create=False)
    assert path.stat().st_size == 0
    with Journal(path) as j:
        assert j.runs() == []
    Journal(path, create=False).close()


def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="is a directory"):
        Journal(tmp_path)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    filled_journal(path, runs=1)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = 7 WHERE key = 'schema_version'")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(JournalError) as info:
        Journal(path)
    message = str(info.value)
    assert str(path) in message and "newer wippy-py" in message
    assert "schema version 7" in message and f"schema version {SCHEMA_VERSION}" in message
    assert "Upgrade wippy-py" in message
    assert path.read_bytes() == before
    assert side_files(path) == []


def test_truncated_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    filled_journal(path)
    size = path.stat().st_size
    assert size > 8 * 4096
    with path.open("r+b") as f:
        f.truncate(size // 2)
    before = path.read_bytes()
    for create in (True, False):
        with pytest.raises(JournalError) as info:
            Journal(path, create=create)
        message = str(info.value)
        assert str(path) in message and "damaged" in message and "truncated" in message
        assert "backup" in message and "move it aside" in message
    assert path.read_bytes() == before
    assert side_files(path) == []


@pytest.mark.parametrize(
    "content",
    [b"\x00\x13garbage" * 1000, b"SQLite format 3\x00" + b"\xff" * 5000, b"hello\n",
     b"SQLite format 3\x00" + bytes(84)],
    ids=["binary", "bad-header", "short-text", "zero-pages"],
)
def test_garbage_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(content)
    with pytest.raises(JournalError) as info:
        Journal(path)
    message = str(info.value)
    assert str(path) in message and "damaged" in message and "backup" in message
    assert path.read_bytes() == content
    assert side_files(path) == []


def test_other_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE users (name TEXT)")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"not a wippy-py journal.*history"):
        Journal(path)
    assert path.read_bytes() == before


def test_missing_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    filled_journal(path, runs=1)
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TABLE timers")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"damaged.*timers"):
        Journal(path)
    assert path.read_bytes() == before


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    filled_journal(path, runs=1)
    with sqlite3.connect(path) as raw:
        raw.execute("ALTER TABLE runs DROP COLUMN parent_run")
    raw.close()
    with pytest.raises(JournalError, match=r"runs lacks column\(s\) parent_run"):
        Journal(path)


def test_open_journal_while_another_connection_writes(tmp_path: Path) -> None:
    # The engine has the file open (WAL not checkpointed): the CLI opens it fine.
    path = tmp_path / "j.db"
    engine = Journal(path)
    engine.create_run(RunRow("r-1", "wf-1", "app:flow", "app:worker"))
    engine.commit()
    with Journal(path, create=False) as cli:
        assert [r.run_id for r in cli.runs()] == ["r-1"]
    engine.close()


def test_damaged_history_body_is_reported_on_read(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    filled_journal(path, runs=1)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE history SET body = x'c1' WHERE run_id = 'r-0' AND seq = 3")
    raw.close()
    with Journal(path) as j, pytest.raises(JournalError, match=rf"{path}.*damaged.*run r-0"):
        j.history("r-0")


def test_journal_of_a_killed_process_opens_with_its_commits(tmp_path: Path) -> None:
    # The writer dies without closing: its commits sit in the -wal file, which the
    # read-only checks and the reopened journal must both accept.
    path = tmp_path / "j.db"
    script = textwrap.dedent(f"""
        import os
        from wippy_py.journal import Journal, Record, RunRow
        j = Journal({str(path)!r})
        j.create_run(RunRow("r-1", "wf-1", "app:flow", "app:worker"))
        for seq in range(100):
            j.append("r-1", Record(seq, "command", "now", value=seq))
        j.commit()
        j.append("r-1", Record(100, "command", "now"))  # buffered only: lost
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    with Journal(path, create=False) as j:
        assert [r.value for r in j.history("r-1")] == list(range(100))
        assert j.check() == []

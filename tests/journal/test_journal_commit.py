"""Group commit: buffered writes reach the file together, in order, or not at all."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wippy_py.errors import JournalError
from wippy_py.journal import COMPLETED, InboxItem, Journal, Record, RunRow


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j.db")
    yield j
    j.close()


def run_row(run_id: str) -> RunRow:
    return RunRow(run_id=run_id, workflow_id=f"wf-{run_id}", entry="app:flow",
                  worker="app:worker")


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def statements(journal: Journal) -> list[str]:
    """Starts recording the SQL the journal's connection runs."""
    seen: list[str] = []
    journal._conn.set_trace_callback(seen.append)  # type: ignore[union-attr]
    return seen


def test_many_writes_commit_together(journal: Journal) -> None:
    journal.put_script("return {}")
    for i in range(3):
        journal.create_run(run_row(f"r-{i}"))
        for seq in range(50):
            journal.append(f"r-{i}", Record(seq, "command", "uuid", value=seq))
        journal.add_timer(f"r-{i}", 49, 100.0)
    journal.add_inbox(InboxItem("i-1", "wf-r-0", "signal"))
    assert journal.pending == 1 + 3 * (1 + 50 + 1) + 1
    # Nothing is visible before the commit, to this connection or to another one.
    assert journal.runs() == [] and journal.history("r-0") == []
    assert count(journal.path, "history") == 0
    sql = statements(journal)
    assert journal.commit() == 158
    assert journal.pending == 0
    assert [s for s in sql if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert count(journal.path, "history") == 150
    assert len(journal.runs()) == 3 and len(journal.timers()) == 3
    assert [len(journal.history(f"r-{i}")) for i in range(3)] == [50, 50, 50]
    assert journal.commit() == 0  # nothing buffered: no transaction at all
    assert [s for s in sql if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]


def test_appends_never_read(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.commit()
    sql = statements(journal)
    for seq in range(100):
        journal.append("r-1", Record(seq, "command", "now", value=float(seq)))
    journal.commit()
    assert sql and not [s for s in sql if s.lstrip().upper().startswith("SELECT")]


def test_operations_apply_in_call_order(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.append("r-1", Record(0, "command", "timer", "1s"))
    journal.add_timer("r-1", 0, 10.0)
    journal.remove_timer("r-1", 0)
    journal.add_timer("r-1", 2, 20.0)
    journal.append("r-1", Record(1, "event", "fired", ref=0))
    journal.remove_timer("r-1", 2)
    journal.add_timer("r-1", 2, 30.0)
    journal.add_inbox(InboxItem("i-1", "wf-r-1", "cancel"))
    journal.remove_inbox("i-1")
    journal.finish_run("r-1", COMPLETED, result="ok")
    journal.commit()
    assert journal.timers() == [("r-1", 2, 30.0)]
    assert journal.inbox_after(0) == []
    assert journal.run("r-1").status == COMPLETED  # type: ignore[union-attr]


def test_failing_commit_keeps_the_committed_state(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.append("r-1", Record(0, "command", "call", value="kept"))
    journal.commit()
    # A batch that touches several tables, then appends an existing (run_id, seq).
    journal.put_script("return 1")
    journal.create_run(run_row("r-2"))
    journal.append("r-2", Record(0, "command", "now"))
    journal.add_timer("r-2", 0, 5.0)
    journal.append("r-1", Record(1, "event", "completed", ref=0))
    journal.append("r-1", Record(0, "command", "call", value="duplicate"))
    with pytest.raises(JournalError) as info:
        journal.commit()
    message = str(info.value)
    assert "history record 0 of run r-1 was already recorded" in message
    assert str(journal.path) in message and "Nothing of this commit was written" in message
    assert journal.pending == 0
    assert [r.value for r in journal.history("r-1")] == ["kept"]
    assert journal.run("r-2") is None and journal.timers() == []
    assert count(journal.path, "scripts") == 0
    # The journal stays usable, and the dropped script is queued again when asked for.
    digest = journal.put_script("return 1")
    journal.append("r-1", Record(1, "event", "completed", ref=0))
    assert journal.commit() == 2
    assert journal.script(digest) == "return 1"
    assert len(journal.history("r-1")) == 2


def test_duplicate_inside_one_batch_is_named(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.create_run(run_row("r-1"))
    with pytest.raises(JournalError, match="run r-1 already exists"):
        journal.commit()
    assert journal.runs() == []


def test_locked_journal_keeps_the_writes_for_a_retry(journal: Journal) -> None:
    journal._conn.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
    journal.create_run(run_row("r-1"))
    blocker = sqlite3.connect(journal.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(JournalError, match="locked by another process"):
        journal.commit()
    assert time.monotonic() - started < 4
    journal.append("r-1", Record(0, "command", "now"))
    assert journal.pending == 2
    blocker.execute("ROLLBACK")
    blocker.close()
    assert journal.commit() == 2
    assert len(journal.history("r-1")) == 1


def test_synchronous_full_bulk_append_is_fast(journal: Journal) -> None:
    # A loose guard against per-record transactions or reads: measured numbers are in the
    # commit message; this only catches order-of-magnitude regressions.
    journal.create_run(run_row("r-1"))
    started = time.perf_counter()
    for seq in range(10_000):
        journal.append("r-1", Record(seq, "command", "call", "app:act", "abc",
                                     {"n": seq}, location="wf.lua:3", at=1.0))
    journal.commit()
    assert time.perf_counter() - started < 3.0
    started = time.perf_counter()
    assert len(journal.history("r-1")) == 10_000
    assert time.perf_counter() - started < 1.0

"""Journal round trips: every buffered write comes back unchanged from the matching read."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wippy_py.errors import JournalError
from wippy_py.journal import (
    COMPLETED,
    CONTINUED,
    FAILED,
    RUNNING,
    STATUSES,
    TERMINATED,
    InboxItem,
    Journal,
    Record,
    RunRow,
)

ERROR = {"message": "boom", "kind": "Internal", "retryable": False, "details": {1: "x"},
         "stack": "wf.lua:3"}
# What Lua values become in Python: integer-keyed tables, nested tables, raw bytes, ...
AWKWARD = {1: "one", 2: {"nested": [1, 2.5, None, True]}, "bin": b"\x00\xff\x80", -7: b""}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j.db")
    yield j
    j.close()


def run_row(run_id: str, workflow_id: str = "wf-1", **fields: Any) -> RunRow:
    return RunRow(run_id=run_id, workflow_id=workflow_id, entry="app:flow",
                  worker="app:worker", **fields)


def test_script_is_stored_once_by_sha256(journal: Journal) -> None:
    source = "return { main = function() return 'ü' end }"
    digest = journal.put_script(source)
    assert digest == hashlib.sha256(source.encode()).hexdigest()
    assert journal.script(digest) is None  # buffered, not yet committed
    assert journal.put_script(source) == digest
    journal.commit()
    assert journal.script(digest) == source
    assert journal.script("0" * 64) is None
    # A second connection (a restarted engine) stores the same script again: no error.
    other = Journal(journal.path)
    assert other.put_script(source) == digest
    other.commit()
    other.close()
    with sqlite3.connect(journal.path) as raw:
        assert raw.execute("SELECT count(*) FROM scripts").fetchone()[0] == 1


def test_run_round_trip_keeps_every_field(journal: Journal) -> None:
    row = run_row(
        "r-1", input=[1, "two", AWKWARD], script_hash="ab" * 32, parent_run="p-1",
        parent_seq=4, context={"user": "ann", 3: [b"\x01"]}, created_at=1000.5,
        updated_at=1001.25,
    )
    journal.create_run(row)
    journal.commit()
    got = journal.run("r-1")
    assert got == row  # history_length 0 on both sides
    assert journal.run("missing") is None


def test_run_timestamps_default_to_now(journal: Journal) -> None:
    before = time.time()
    journal.create_run(run_row("r-1"))
    journal.commit()
    got = journal.run("r-1")
    assert got is not None
    assert before <= got.created_at <= time.time()
    assert got.updated_at == got.created_at
    assert got.status == RUNNING and got.input == [] and got.context is None


def test_history_round_trip_and_length(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    records = [
        Record(0, "command", "call", "app:charge", "h0", location="wf.lua:10", at=1.5),
        Record(1, "event", "completed", "app:charge", value=AWKWARD, ref=0, at=2.0),
        Record(2, "command", "timer", "1h30m", location="wf.lua:11"),
        Record(3, "event", "fired", ref=2, error=ERROR),
        Record(4, "event", "signal", "approve", value=[b"raw", {2: 3}]),
        Record(5, "command", "now", value=1712345678.25),
    ]
    for record in records:
        journal.append("r-1", record)
    journal.commit()
    assert journal.history("r-1") == records
    assert journal.history("other") == []
    row = journal.run("r-1")
    assert row is not None and row.history_length == len(records)


def test_history_is_read_in_seq_order(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    for seq in (2, 0, 1):
        journal.append("r-1", Record(seq, "command", "uuid", value=f"u{seq}"))
    journal.commit()
    assert [r.value for r in journal.history("r-1")] == ["u0", "u1", "u2"]


@pytest.mark.parametrize(
    ("status", "result", "error"),
    [(COMPLETED, {"total": 3, 1: b"x"}, None), (FAILED, None, ERROR),
     (TERMINATED, None, ERROR), (TERMINATED, None, None), (CONTINUED, [1, 2], None)],
)
def test_finish_run(journal: Journal, status: str, result: Any, error: Any) -> None:
    journal.create_run(run_row("r-1", created_at=10.0, updated_at=10.0))
    journal.commit()
    journal.finish_run("r-1", status, result=result, error=error)
    assert journal.run("r-1").status == RUNNING  # type: ignore[union-attr]
    journal.commit()
    got = journal.run("r-1")
    assert got is not None
    assert (got.status, got.result, got.error) == (status, result, error)
    assert got.updated_at > 10.0 and got.created_at == 10.0
    assert journal.unfinished_runs() == []


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [(RUNNING, None, "running"), ("done", None, "done"), (COMPLETED, ERROR, "completed"),
     (FAILED, None, "without an error")],
)
def test_finish_run_refuses_bad_outcomes(
    journal: Journal, status: str, error: Any, words: str
) -> None:
    with pytest.raises(JournalError, match=words):
        journal.finish_run("r-1", status, error=error)
    assert journal.pending == 0


def test_finish_run_of_unknown_or_finished_run_fails_the_commit(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.finish_run("r-1", COMPLETED, result="first")
    journal.commit()
    journal.finish_run("r-1", FAILED, error=ERROR)
    with pytest.raises(JournalError, match=r"run r-1 failed: it is already completed"):
        journal.commit()
    assert journal.run("r-1").result == "first"  # type: ignore[union-attr]
    journal.finish_run("ghost", COMPLETED)
    with pytest.raises(JournalError, match="no such run"):
        journal.commit()


def test_current_run_is_the_latest_created(journal: Journal) -> None:
    journal.create_run(run_row("r-1", created_at=100.0))
    journal.create_run(run_row("r-3", created_at=300.0))
    journal.create_run(run_row("r-2", created_at=200.0))
    journal.create_run(run_row("x-1", workflow_id="other", created_at=400.0))
    journal.commit()
    assert journal.current_run("wf-1").run_id == "r-3"  # type: ignore[union-attr]
    assert journal.current_run("nope") is None


def test_runs_listing_filters_and_orders(journal: Journal) -> None:
    for i in range(4):
        journal.create_run(run_row(f"r-{i}", workflow_id=f"wf-{i}", created_at=100.0 + i))
    journal.commit()
    journal.finish_run("r-1", COMPLETED, result=1)
    journal.finish_run("r-3", FAILED, error=ERROR)
    journal.commit()
    assert [r.run_id for r in journal.runs()] == ["r-3", "r-2", "r-1", "r-0"]
    assert [r.run_id for r in journal.runs(limit=2)] == ["r-3", "r-2"]
    assert [r.run_id for r in journal.runs(RUNNING)] == ["r-2", "r-0"]
    assert [r.run_id for r in journal.runs(COMPLETED, limit=5)] == ["r-1"]
    assert [r.run_id for r in journal.unfinished_runs()] == ["r-0", "r-2"]


def test_unknown_status_filter_lists_the_statuses(journal: Journal) -> None:
    with pytest.raises(JournalError, match="unknown run status 'done'") as info:
        journal.runs("done")
    assert all(status in str(info.value) for status in STATUSES)


def test_timers(journal: Journal) -> None:
    journal.create_run(run_row("r-1"))
    journal.create_run(run_row("r-2", workflow_id="wf-2"))
    journal.add_timer("r-1", 3, 50.0)
    journal.add_timer("r-2", 1, 20.0)
    journal.add_timer("r-1", 5, 30.0)
    journal.commit()
    assert journal.timers() == [("r-2", 1, 20.0), ("r-1", 5, 30.0), ("r-1", 3, 50.0)]
    assert journal.timers("r-1") == [("r-1", 5, 30.0), ("r-1", 3, 50.0)]
    journal.remove_timer("r-1", 5)
    journal.remove_timer("r-1", 99)  # unknown: ignored
    journal.add_timer("r-2", 1, 25.0)  # re-armed: replaced
    journal.commit()
    assert journal.timers() == [("r-2", 1, 25.0), ("r-1", 3, 50.0)]


def test_buffered_inbox_items(journal: Journal) -> None:
    before = time.time()
    journal.add_inbox(InboxItem("i-1", "wf-1", "signal", topic="approve",
                                payload=AWKWARD, sender="r-9"))
    journal.add_inbox(InboxItem("i-2", "wf-2", "start", payload={
        "entry": "app:flow", "worker": "app:worker", "input": [1, {2: "b"}]}))
    journal.add_inbox(InboxItem("i-3", "wf-1", "cancel", created_at=5.0))
    journal.commit()
    items = journal.inbox_for("wf-1")
    assert [i.id for i in items] == ["i-1", "i-3"]
    first = items[0]
    assert (first.kind, first.topic, first.payload, first.sender) == (
        "signal", "approve", AWKWARD, "r-9")
    assert first.created_at >= before and items[1].created_at == 5.0
    assert journal.inbox_for("wf-2")[0].payload["input"] == [1, {2: "b"}]
    every = journal.inbox_after(0)
    assert [i.id for i in every] == ["i-1", "i-2", "i-3"]
    assert every[0].rowid < every[1].rowid < every[2].rowid
    assert [i.id for i in journal.inbox_after(every[0].rowid)] == ["i-2", "i-3"]
    journal.remove_inbox("i-1")
    journal.remove_inbox("never")  # unknown: ignored
    journal.commit()
    assert [i.id for i in journal.inbox_after(0)] == ["i-2", "i-3"]


@pytest.mark.parametrize(
    ("item", "words"),
    [(InboxItem("", "wf", "signal"), "empty id"), (InboxItem("i", "wf", "poke"), "'poke'")],
)
def test_bad_inbox_items_are_refused(journal: Journal, item: InboxItem, words: str) -> None:
    with pytest.raises(JournalError, match=words):
        journal.add_inbox(item)
    with pytest.raises(JournalError, match=words):
        journal.post(item)
    assert journal.pending == 0 and journal.inbox_after(0) == []


@pytest.mark.parametrize("value", [{1, 2}, object(), 2**70])
def test_values_msgpack_cannot_store_are_refused_at_the_call(
    journal: Journal, value: Any
) -> None:
    with pytest.raises(JournalError, match=r"cannot store history record 0 .* of run r-1"):
        journal.append("r-1", Record(0, "command", "call", value=value))
    with pytest.raises(JournalError, match="cannot store the result of run r-1"):
        journal.finish_run("r-1", COMPLETED, result=value)
    assert journal.pending == 0
    # The shared packer is still usable after the failure.
    journal.create_run(run_row("r-1"))
    journal.append("r-1", Record(0, "command", "call", value=[1]))
    journal.commit()
    assert journal.history("r-1")[0].value == [1]


def test_record_type_is_checked(journal: Journal) -> None:
    with pytest.raises(JournalError, match=r"'reply'.*command, event"):
        journal.append("r-1", Record(0, "reply", "call"))


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        j.create_run(run_row("r-1", input=[AWKWARD]))
        j.append("r-1", Record(0, "command", "call", value=AWKWARD))
        j.commit()
    with Journal(path, create=False) as j:
        assert j.run("r-1").input == [AWKWARD]  # type: ignore[union-attr]
        assert j.history("r-1")[0].value == AWKWARD


def test_closed_journal_refuses_use(journal: Journal) -> None:
    journal.close()
    journal.close()  # twice is fine
    with pytest.raises(JournalError, match="is closed"):
        journal.runs()
    journal.create_run(run_row("r-1"))
    with pytest.raises(JournalError, match="is closed"):
        journal.commit()

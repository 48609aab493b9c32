"""The inbox between processes: the CLI posts on its own connection, the engine polls."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wippy_py.errors import JournalError
from wippy_py.journal import InboxItem, Journal, Record, RunRow


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Journal, Journal]]:
    """(engine, cli): two connections to one file, as two processes would have."""
    engine = Journal(tmp_path / "j.db")
    cli = Journal(tmp_path / "j.db", create=False)
    yield engine, cli
    cli.close()
    engine.close()


def item(workflow_id: str, kind: str = "signal", **fields: object) -> InboxItem:
    return InboxItem(uuid.uuid4().hex, workflow_id, kind, **fields)  # type: ignore[arg-type]


def test_engine_sees_posted_items(pair: tuple[Journal, Journal]) -> None:
    engine, cli = pair
    assert engine.changed() is True  # first call
    assert engine.changed() is False
    before = time.time()
    posted = item("wf-1", topic="approve", payload={"ok": True, 1: b"\x02"}, sender="cli")
    cli.post(posted)  # committed at once: no commit() call
    assert cli.pending == 0
    assert engine.changed() is True
    assert engine.changed() is False
    (got,) = engine.inbox_after(0)
    assert (got.id, got.workflow_id, got.kind, got.topic, got.payload, got.sender) == (
        posted.id, "wf-1", "signal", "approve", {"ok": True, 1: b"\x02"}, "cli")
    assert got.created_at >= before and got.rowid > 0
    assert engine.inbox_for("wf-1") == [got]
    assert engine.inbox_after(got.rowid) == []


def test_own_commits_do_not_count_as_changes(pair: tuple[Journal, Journal]) -> None:
    engine, cli = pair
    engine.changed()
    engine.create_run(RunRow("r-1", "wf-1", "app:flow", "app:worker"))
    engine.commit()
    assert engine.changed() is False
    assert cli.changed() is True  # the CLI's first call
    engine.append("r-1", Record(0, "command", "now"))
    engine.commit()
    assert cli.changed() is True
    assert [len(cli.history("r-1"))] == [1]


def test_rowids_are_never_reused(pair: tuple[Journal, Journal]) -> None:
    # The engine consumes the newest item; the next post must still sort after it,
    # or an engine polling with inbox_after(last_seen) would miss it.
    engine, cli = pair
    cli.post(item("wf-1"))
    cli.post(last := item("wf-1", "cancel"))
    seen = engine.inbox_after(0)
    assert [i.id for i in seen] == [seen[0].id, last.id]
    for consumed in seen:
        engine.remove_inbox(consumed.id)
    engine.commit()
    cli.post(late := item("wf-1", "terminate"))
    assert [i.id for i in engine.inbox_after(seen[-1].rowid)] == [late.id]


def test_start_request_payload(pair: tuple[Journal, Journal]) -> None:
    engine, cli = pair
    cli.post(item("order-7", "start", payload={
        "entry": "app:flow", "worker": "app:worker", "input": [{1: "a", 2: "b"}, 3.5]}))
    (got,) = engine.inbox_for("order-7")
    assert got.kind == "start"
    assert got.payload == {"entry": "app:flow", "worker": "app:worker",
                           "input": [{1: "a", 2: "b"}, 3.5]}


def test_posting_a_taken_id_is_refused(pair: tuple[Journal, Journal]) -> None:
    engine, cli = pair
    first = item("wf-1")
    cli.post(first)
    with pytest.raises(JournalError, match=f"inbox item {first.id} already exists"):
        engine.post(InboxItem(first.id, "wf-2", "cancel"))
    assert [i.workflow_id for i in cli.inbox_after(0)] == ["wf-1"]


def test_cli_reads_what_the_engine_committed(pair: tuple[Journal, Journal]) -> None:
    engine, cli = pair
    engine.create_run(RunRow("r-1", "wf-1", "app:flow", "app:worker", input=[1]))
    assert cli.run("r-1") is None  # buffered in the engine only
    engine.commit()
    got = cli.current_run("wf-1")
    assert got is not None and got.input == [1]

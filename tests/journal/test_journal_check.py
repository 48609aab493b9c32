"""Journal.check: a sound journal has no problems; each planted problem is reported."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from wippy_py.journal import COMPLETED, FAILED, InboxItem, Journal, Record, RunRow

ERROR = {"message": "boom", "kind": "Internal", "retryable": False, "details": None,
         "stack": ""}


def body(ref: int | None = None) -> bytes:
    """A history body as the journal writes it: [value, error, ref, location, at]."""
    return msgpack.packb([None, None, ref, "", 0.0], use_bin_type=True)


def sound_journal(path: Path) -> None:
    with Journal(path) as j:
        digest = j.put_script("return { main = function() end }")
        for run_id in ("r-1", "r-2", "r-3"):
            j.create_run(RunRow(run_id, f"wf-{run_id}", "app:flow", "app:worker",
                                script_hash=digest))
            j.append(run_id, Record(0, "command", "call", "app:act"))
            j.append(run_id, Record(1, "event", "signal", "go"))  # no ref: not an answer
            j.append(run_id, Record(2, "event", "completed", ref=0))
            j.append(run_id, Record(3, "command", "timer", "1h"))
            j.add_timer(run_id, 3, 99.0)
        j.create_run(RunRow("r-4", "wf-4", "app:flow", "app:worker"))  # no history, no script
        j.finish_run("r-2", COMPLETED, result=1)
        j.finish_run("r-3", FAILED, error=ERROR)
        j.add_inbox(InboxItem("i-1", "wf-r-1", "signal"))
        j.commit()


def raw(path: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql, params)
    conn.close()


def late_start(path: Path) -> None:
    # Drops record 0 and the reference to it, so that only the seq problem remains.
    raw(path, "DELETE FROM history WHERE run_id='r-2' AND seq=0")
    raw(path, "UPDATE history SET body=? WHERE run_id='r-2' AND seq=2", body())


def test_sound_journal_has_no_problems(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    sound_journal(path)
    with Journal(path) as j:
        assert j.check() == []
    with Journal(tmp_path / "empty.db") as j:
        assert j.check() == []


PLANTS: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "gap": (lambda p: raw(p, "DELETE FROM history WHERE run_id='r-1' AND seq=1"),
            ["run r-1", "jumps from 0 to seq 2", "contiguous"]),
    "late-start": (late_start, ["run r-2", "starts at seq 1"]),
    "ref-missing": (lambda p: raw(p, "DELETE FROM history WHERE run_id='r-2' AND seq=0"),
                    ["run r-2", "starts at seq 1", "event 2 refers to record 0, which is missing"]),
    "ref-forward": (lambda p: raw(p, "UPDATE history SET body=? WHERE run_id='r-1' AND seq=2",
                                  body(ref=3)),
                    ["run r-1", "event 2 refers to 3", "not an earlier record"]),
    "ref-to-event": (lambda p: raw(p, "UPDATE history SET body=? WHERE run_id='r-3' AND seq=2",
                                   body(ref=1)),
                     ["run r-3", "event 2 refers to record 1", "not a command"]),
    "ref-to-self": (lambda p: raw(p, "UPDATE history SET body=? WHERE run_id='r-1' AND seq=2",
                                  body(ref=2)),
                    ["run r-1", "event 2 refers to 2"]),
    "completed-with-error": (
        lambda p: raw(p, "UPDATE runs SET error=? WHERE run_id='r-2'",
                      msgpack.packb(ERROR)),
        ["run r-2 is completed but has an error"]),
    "failed-without-error": (lambda p: raw(p, "UPDATE runs SET error=NULL WHERE run_id='r-3'"),
                             ["run r-3 is failed but has no error"]),
    "orphan-timer": (lambda p: raw(p, "INSERT INTO timers VALUES ('ghost', 3, 1.0)"),
                     ["timer 3 of run ghost", "the run does not"]),
    "orphan-history": (lambda p: raw(p, "INSERT INTO history VALUES ('ghost', 0, 'command', "
                                        "'now', '', '', ?)", body()),
                       ["history of run ghost", "the run does not"]),
    "missing-script": (lambda p: raw(p, "UPDATE runs SET script_hash='abc' WHERE run_id='r-4'"),
                       ["run r-4 refers to script abc", "not stored"]),
    "unknown-status": (lambda p: raw(p, "UPDATE runs SET status='paused' WHERE run_id='r-4'"),
                       ["run r-4", "'paused'"]),
    "bad-type": (lambda p: raw(p, "UPDATE history SET type='note' WHERE run_id='r-1' AND seq=3"),
                 ["run r-1", "record 3", "'note'"]),
    "bad-body": (lambda p: raw(p, "UPDATE history SET body=x'c1' WHERE run_id='r-2' AND seq=1"),
                 ["run r-2", "record 1 cannot be decoded"]),
    "edited-script": (lambda p: raw(p, "UPDATE scripts SET source='return 2'"),
                      ["does not match its stored source"]),
}


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_each_planted_problem_is_reported(tmp_path: Path, name: str) -> None:
    path = tmp_path / "j.db"
    sound_journal(path)
    plant, words = PLANTS[name]
    plant(path)
    with Journal(path) as j:
        problems = j.check()
    # Every expected word in one sentence per problem; as many problems as expected.
    expected = 2 if name == "ref-missing" else 1
    assert len(problems) == expected, problems
    text = " | ".join(problems)
    assert all(word in text for word in words), problems


def test_many_problems_of_one_sort_are_summarized(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    sound_journal(path)
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO timers VALUES (?, 0, 1.0)",
                         [(f"ghost-{i:02}",) for i in range(30)])
    conn.close()
    with Journal(path) as j:
        problems = j.check()
    assert len(problems) == 21
    assert problems[-1].startswith("... and 10 more problem(s)")


def test_sqlite_level_damage_is_reported(tmp_path: Path) -> None:
    # An index entry that no longer matches its table row: the file opens and reads
    # fine, only SQLite's integrity check notices.
    path = tmp_path / "j.db"
    sound_journal(path)
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='runs_status'"
                               ).fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    page = data[start:start + page_size]
    assert b"running" in page
    data[start:start + page_size] = page.replace(b"running", b"runninX", 1)
    path.write_bytes(bytes(data))
    with Journal(path) as j:
        problems = j.check()
    assert problems and all("integrity check" in p for p in problems), problems
    assert any("runs_status" in p for p in problems), problems

"""``Journal.check``: SQLite's integrity check plus the journal's own invariants."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ._records import COMMAND, EVENT, STATUSES, unpack

# A badly damaged journal could yield one problem per row; past this many of one sort the
# rest are summarized, since the remedy does not depend on the exact count.
_LIMIT = 20


class _Problems:
    """Collects messages, at most :data:`_LIMIT` per category."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._counts: dict[str, int] = {}

    def add(self, category: str, message: str) -> None:
        count = self._counts.get(category, 0) + 1
        self._counts[category] = count
        if count <= _LIMIT:
            self.messages.append(message)

    def summarize(self) -> list[str]:
        extra = [
            f"... and {count - _LIMIT} more problem(s) of the same sort ({category})"
            for category, count in self._counts.items()
            if count > _LIMIT
        ]
        return self.messages + extra


def check(conn: sqlite3.Connection, path: Path) -> list[str]:
    """Returns the problems of the journal behind ``conn``; ``[]`` when it is sound."""
    problems = _Problems()
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [f"{path}: SQLite cannot check the file: {exc}"]
    for (line,) in rows:
        if line != "ok":
            problems.add("sqlite", f"{path}: SQLite integrity check: {line}")
    steps: list[Callable[[sqlite3.Connection, _Problems], None]] = [
        _check_runs, _check_scripts, _check_history, _check_timers,
    ]
    for step in steps:
        try:
            step(conn, problems)
        except sqlite3.DatabaseError as exc:
            problems.add("sqlite", f"{path}: reading the journal failed: {exc}")
    return problems.summarize()


def _check_runs(conn: sqlite3.Connection, problems: _Problems) -> None:
    for run_id, status, error, body, result in conn.execute(
        "SELECT run_id, status, error, body, result FROM runs ORDER BY rowid"
    ):
        if status not in STATUSES:
            problems.add("status", f"run {run_id} has an unknown status {status!r}")
        elif status == "completed" and error is not None:
            problems.add("outcome", f"run {run_id} is completed but has an error")
        elif status == "failed" and error is None:
            problems.add("outcome", f"run {run_id} is failed but has no error")
        for name, blob in (("input/context", body), ("result", result), ("error", error)):
            try:
                unpack(blob)
            except (ValueError, TypeError) as exc:
                problems.add("decode", f"run {run_id}: its {name} cannot be decoded ({exc})")
    for run_id, script_hash in conn.execute(
        "SELECT run_id, script_hash FROM runs WHERE script_hash != '' AND NOT EXISTS "
        "(SELECT 1 FROM scripts s WHERE s.hash = runs.script_hash) ORDER BY rowid"
    ):
        problems.add("script", f"run {run_id} refers to script {script_hash}, which is not stored")


def _check_scripts(conn: sqlite3.Connection, problems: _Problems) -> None:
    for script_hash, source in conn.execute("SELECT hash, source FROM scripts"):
        actual = hashlib.sha256(str(source).encode("utf-8", "surrogatepass")).hexdigest()
        if actual != script_hash:
            problems.add("script", f"script {script_hash} does not match its stored source")


def _check_history(conn: sqlite3.Connection, problems: _Problems) -> None:
    for (run_id,) in conn.execute(
        "SELECT DISTINCT run_id FROM history WHERE run_id NOT IN (SELECT run_id FROM runs)"
    ):
        problems.add("orphan", f"history of run {run_id} exists but the run does not")
    # One pass in (run_id, seq) order, the table's own order (no sort); per run it keeps
    # the types seen so far, to check that each event answers an earlier command.
    current: str | None = None
    types: dict[int, str] = {}
    expected = 0
    for run_id, seq, type_, body in conn.execute(
        "SELECT run_id, seq, type, body FROM history ORDER BY run_id, seq"
    ):
        if run_id != current:
            current, types, expected = run_id, {}, 0
        if seq != expected:
            where = "starts at" if expected == 0 else f"jumps from {expected - 1} to"
            problems.add(
                "seq", f"run {run_id}: history {where} seq {seq}; seqs must be contiguous "
                "from 0"
            )
            expected = seq
        expected += 1
        types[seq] = type_
        if type_ not in (COMMAND, EVENT):
            problems.add("type", f"run {run_id}: history record {seq} has type {type_!r}")
        try:
            fields = unpack(body)
            ref = fields[2] if isinstance(fields, list) and len(fields) > 2 else None
        except (ValueError, TypeError) as exc:
            problems.add("decode", f"run {run_id}: history record {seq} cannot be decoded "
                         f"({exc})")
            continue
        if type_ != EVENT or ref is None:
            continue
        if not isinstance(ref, int) or not 0 <= ref < seq:
            problems.add("ref", f"run {run_id}: event {seq} refers to {ref!r}, which is not "
                         "an earlier record")
        elif ref not in types:
            problems.add("ref", f"run {run_id}: event {seq} refers to record {ref}, which is "
                         "missing")
        elif types[ref] != COMMAND:
            problems.add("ref", f"run {run_id}: event {seq} refers to record {ref}, which is "
                         "not a command")


def _check_timers(conn: sqlite3.Connection, problems: _Problems) -> None:
    for run_id, seq in conn.execute(
        "SELECT run_id, seq FROM timers WHERE run_id NOT IN (SELECT run_id FROM runs) "
        "ORDER BY run_id, seq"
    ):
        problems.add("orphan", f"timer {seq} of run {run_id} exists but the run does not")

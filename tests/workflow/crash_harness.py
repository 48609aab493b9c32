"""The harness of the crash tests (``test_crash_*.py``): a real ``wippy-py run APP -v``
process is SIGKILLed and restarted.

Each scenario runs the app of ``apps/crash`` in a child process (stderr to one file per
incarnation), kills it with SIGKILL at a chosen point, restarts it, and checks through
the journal (read from this process, as the CLI does) that:

- every workflow finishes with the expected result;
- activities are at-least-once and never re-run once recorded: an activity logs one
  ``EXEC`` line per execution, and an activity with a ``completed`` event ran exactly
  ``1 + (number of kills that interrupted it before its result was recorded)`` times;
- no signal is lost or delivered twice;
- ``Journal.check()`` finds nothing wrong after each kill and once all runs finished.

Workflows are started the way the CLI does (a run row plus a ``start`` inbox item,
:meth:`CrashApp.start_via_inbox`) or by a ``process.service`` the test adds; signals
are posted to the journal's inbox, or through ``wippy-py workflow signal``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from wippy_py.cli._main import cli as main_cli
from wippy_py.errors import JournalError
from wippy_py.journal import InboxItem, Journal, Record, RunRow
from wippy_py.registry import load_registry

APP = Path(__file__).parent / "apps" / "crash"
WORKER = "app:temporal_worker"
DEADLINE = 60.0  # seconds any single wait may take before the test gives up
EXEC_LINE = re.compile(r" INFO  app:step  EXEC  (\{.*\})$")

T = TypeVar("T")


@dataclass
class Incarnation:
    """One OS process of the app."""

    proc: subprocess.Popen[bytes]
    log: Path
    started: float  # wall time of the launch
    completed_at_kill: set[str] | None = None  # activity keys recorded when it was killed


@dataclass
class CrashApp:
    """The app in a temporary directory, started, killed and restarted as a real process."""

    root: Path
    incarnations: list[Incarnation] = field(default_factory=list)
    _journal: Journal | None = None

    @classmethod
    def create(cls, tmp_path: Path) -> CrashApp:
        """A fresh copy of ``apps/crash`` under ``tmp_path``."""
        root = tmp_path / "app"
        shutil.copytree(APP, root)
        return cls(root)

    # ---------------------------------------------------------------- processes
    def start(self) -> Incarnation:
        index = len(self.incarnations)
        log = self.root / f"stderr.{index}.log"
        with log.open("wb") as err, (self.root / f"stdout.{index}.log").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "wippy_py", "run", str(self.root), "-v"],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.root,
            )
        inc = Incarnation(proc, log, time.time())
        self.incarnations.append(inc)
        return inc

    @property
    def current(self) -> Incarnation:
        return self.incarnations[-1]

    def kill(self) -> None:
        """SIGKILLs the running incarnation, records what the journal then holds, checks it."""
        inc = self.current
        assert inc.proc.poll() is None, f"the app had already exited:\n{self.tail()}"
        os.kill(inc.proc.pid, signal.SIGKILL)
        inc.proc.wait()
        inc.completed_at_kill = self.recorded_activities()[0]
        assert self.journal.check() == []

    def close(self) -> None:
        for inc in self.incarnations:
            if inc.proc.poll() is None:
                os.kill(inc.proc.pid, signal.SIGKILL)
                inc.proc.wait()
        if self._journal is not None:
            self._journal.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.current.log.read_text(errors="replace").splitlines()[-lines:])

    def wait(self, what: str, probe: Callable[[], T | None], interval: float = 0.02) -> T:
        """Polls ``probe`` until it returns something truthy; fails if the app exits."""
        limit = time.monotonic() + DEADLINE
        while True:
            result = probe()
            if result:
                return result
            if self.current.proc.poll() is not None:
                pytest.fail(f"the app exited while waiting for {what}:\n{self.tail()}")
            if time.monotonic() > limit:
                pytest.fail(f"timed out waiting for {what}:\n{self.tail()}")
            time.sleep(interval)

    # ---------------------------------------------------------------- the journal
    @property
    def journal(self) -> Journal:
        """The app's journal, opened once it exists (the app creates it at boot)."""
        if self._journal is None:
            path = self.root / ".wippy" / "journal.db"

            def opened() -> Journal | None:
                try:
                    journal = Journal(path, create=False)
                    journal.runs(limit=1)  # the schema is in place
                    return journal
                except JournalError:
                    return None

            self._journal = self.wait("the journal", opened)
        return self._journal

    def histories(self) -> dict[str, tuple[RunRow, list[Record]]]:
        """Workflow ID -> (current run, its history)."""
        return {row.workflow_id: (row, self.journal.history(row.run_id))
                for row in self.journal.runs()}

    def recorded_activities(self) -> tuple[set[str], set[str]]:
        """(keys of activities with a recorded result, keys of every activity issued)."""
        done: set[str] = set()
        issued: set[str] = set()
        for row in self.journal.runs():
            history = self.journal.history(row.run_id)
            calls = {r.seq for r in history if r.type == "command" and r.kind == "call"}
            issued |= {f"{row.run_id}:{seq}" for seq in calls}
            done |= {f"{row.run_id}:{r.ref}" for r in history
                     if r.kind == "completed" and r.ref in calls}
        return done, issued

    def finished(self, count: int) -> list[RunRow] | None:
        """The runs, once there are ``count`` and none is running."""
        runs = self.journal.runs()
        if len(runs) == count and all(r.status != "running" for r in runs):
            assert self.journal.check() == []
            return runs
        return None

    def start_via_inbox(self, entry: str, ids: list[str], *args: Any) -> None:
        """Starts workflows the way the CLI does: a run row, then a ``start`` inbox item."""
        source = str(load_registry(self.root).require(entry, "workflow.lua").data["source"])
        journal = self.journal
        digest = journal.put_script(source)
        for wid in ids:
            journal.create_run(RunRow(run_id=uuid.uuid4().hex, workflow_id=wid, entry=entry,
                                      worker=WORKER, input=[wid, *args], script_hash=digest))
            journal.add_inbox(InboxItem(id=uuid.uuid4().hex, workflow_id=wid, kind="start",
                                        payload={"entry": entry, "worker": WORKER,
                                                 "input": [wid, *args]}, sender="test"))
        journal.commit()

    def post_signal(self, wid: str, payload: str, *, cli: bool = False) -> None:
        """Posts a signal to the journal's inbox, with ``cli`` through ``wippy-py workflow
        signal`` (in this process) when this build has it."""
        if cli and "workflow" in main_cli.commands:
            result = CliRunner().invoke(main_cli, [
                "workflow", "signal", "--app", str(self.root), wid, "sig", json.dumps(payload)])
            assert result.exit_code == 0, result.output
            return
        self.journal.post(InboxItem(id=uuid.uuid4().hex, workflow_id=wid, kind="signal",
                                    topic="sig", payload=payload, sender="test"))

    # ---------------------------------------------------------------- activity logs
    def executions(self) -> list[Counter[str]]:
        """Per incarnation: idempotency key -> how many times the activity started."""
        result = []
        for inc in self.incarnations:
            keys: Counter[str] = Counter()
            for line in inc.log.read_text(errors="replace").splitlines():
                match = EXEC_LINE.search(line)
                if match:
                    keys[json.loads(match.group(1))["key"]] += 1
            result.append(keys)
        return result

    def started(self, name_suffix: str) -> int:
        """How many EXEC lines of the current incarnation name an activity ``*<suffix>``."""
        text = self.current.log.read_text(errors="replace")
        matches = (EXEC_LINE.search(line) for line in text.splitlines())
        return sum(1 for m in matches if m and json.loads(m.group(1))["name"].endswith(name_suffix))

    def assert_activity_rule(self) -> Counter[str]:
        """Checks the at-least-once rule over all incarnations; returns runs per key.

        A recorded activity ran once, plus once more for each kill that interrupted it
        after it started and before its result was recorded; never twice in one
        incarnation, never after its result was recorded.
        """
        done, issued = self.recorded_activities()
        assert done == issued, "every activity of the finished workflows has a result"
        per_incarnation = self.executions()
        totals: Counter[str] = sum(per_incarnation, Counter())
        assert set(totals) == issued, "no execution without a journaled command"
        for key in issued:
            interrupted = 0
            for inc, runs in zip(self.incarnations, per_incarnation, strict=True):
                assert runs[key] <= 1, f"activity {key} ran {runs[key]} times in one process"
                recorded = inc.completed_at_kill
                if runs[key] and recorded is not None and key not in recorded:
                    interrupted += 1
            assert totals[key] == 1 + interrupted, (
                f"activity {key} ran {totals[key]} times; {interrupted} kill(s) interrupted it")
        return totals


def event_of(history: list[Record], kind: str, ref: int) -> Record:
    """The event ``kind`` that answers command ``ref``."""
    return next(r for r in history if r.type == "event" and r.kind == kind and r.ref == ref)

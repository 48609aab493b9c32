"""Boot and shutdown of the embedded engine: recovery from the journal.

At boot every run still marked running is rebuilt from its journal (its code
replays against the history, then continues live), after the terminations the CLI
requested while the app was down are applied. At shutdown the runs are dropped from
memory without recording anything: they stay running in the journal and resume at
the next boot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import trio

from ...errors import CANCELED, ErrorValue
from ...journal import RUNNING, TERMINATED
from ._inbox import inbox_event
from ._values import error_record

if TYPE_CHECKING:
    from ...journal import Journal, Record, RunRow
    from ...process import Exit, Scheduler
    from ._run import WorkflowRun

log = logging.getLogger("wippy_py.workflow")


class EngineLifecycle:
    """Boot, run and stop (mixed into :class:`~._engine.LocalEngine`)."""

    if TYPE_CHECKING:  # provided by LocalEngine
        journal: Journal
        sched: Scheduler
        runs: dict[str, WorkflowRun]
        _inbox_rowid: int

        def serves(self, worker: str) -> bool: ...
        def resume(self, row: RunRow, history: list[Record], *, new: bool = False,
                   verify_only: bool = False, source: str | None = None) -> WorkflowRun: ...
        def flush(self) -> None: ...
        def clean_exit(self) -> Exit: ...
        async def _flush_loop(self) -> None: ...
        async def _poll_loop(self) -> None: ...

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Recovers unfinished runs, then commits and polls until cancelled.

        Use ``await nursery.start(engine.run)`` with the scheduler already running.
        """
        try:
            self.recover()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._flush_loop)
                nursery.start_soon(self._poll_loop)
                task_status.started()
        finally:
            with trio.CancelScope(shield=True):
                self.stop()

    def recover(self) -> int:
        """Rebuilds every unfinished run of this engine's workers; returns how many."""
        items = self.journal.inbox_after(0)
        for item in items:
            self._inbox_rowid = max(self._inbox_rowid, item.rowid)
        pending: dict[str, list[Any]] = {}
        terminated: set[str] = set()
        for item in items:
            if item.kind == "terminate":
                terminated.add(item.workflow_id)
            if item.kind in ("start", "terminate"):
                self.journal.remove_inbox(item.id)
            else:
                pending.setdefault(item.workflow_id, []).append(item)
        count = 0
        for row in self.journal.unfinished_runs():
            if not self.serves(row.worker):
                continue
            if row.workflow_id in terminated:
                error = ErrorValue("workflow terminated from the command line", CANCELED, False)
                self.journal.finish_run(row.run_id, TERMINATED, None, error_record(error))
                continue
            run = self.resume(row, self.journal.history(row.run_id))
            for item in pending.pop(row.workflow_id, []):
                # Queued for delivery once the history is replayed (at once for a run
                # that has none yet, e.g. one the CLI started while the app was down).
                run.enqueue(inbox_event(item))
            count += 1
        for items_left in pending.values():  # signals to runs that are not running
            for item in items_left:
                self.journal.remove_inbox(item.id)
        self.flush()
        if count:
            log.info("resumed %d workflow run(s) from %s", count, self.journal.path)
        return count

    def stop(self) -> None:
        """Drops the live runs without recording anything, then commits."""
        for run in list(self.runs.values()):
            run.stopping = True
            for op in run.pending.values():
                op.abandon(run)
            if run.proc.alive:
                self.sched.finish(run.proc, self.clean_exit())
        self.runs.clear()
        self.flush()

    def running_ids(self) -> list[str]:
        """Workflow IDs of the runs in memory."""
        return [wid for wid, run in self.runs.items() if run.row.status == RUNNING]

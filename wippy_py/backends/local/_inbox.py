"""The engine's inbox: durable signals, cancels, starts and terminations.

Every signal or cancel becomes an inbox row first (written by the engine in its
commit group, or by the CLI from another process), and leaves the inbox in the same
commit that journals it as an event of the run: so none is lost or delivered twice.
"""

from __future__ import annotations

import logging
import time as _stdtime
import uuid
from typing import TYPE_CHECKING, Any

import trio

from ...journal import RUNNING, InboxItem
from ._run import Event

if TYPE_CHECKING:
    from ...journal import Journal, Record, RunRow
    from ._run import WorkflowRun

log = logging.getLogger("wippy_py.workflow")

POLL_INTERVAL = 0.05  # seconds between looks at the inbox the CLI writes


def inbox_event(item: InboxItem) -> Event:
    """The run event a signal or cancel inbox item becomes."""
    if item.kind == "signal":
        return Event("signal", target=item.topic,
                     value={"from": item.sender, "data": item.payload}, inbox_id=item.id)
    payload = item.payload if isinstance(item.payload, dict) else {}
    return Event("cancel", value={"from": item.sender, "reason": payload.get("reason", "")},
                 inbox_id=item.id)


class EngineInbox:
    """Inbound requests (mixed into :class:`~._engine.LocalEngine`)."""

    if TYPE_CHECKING:  # provided by LocalEngine
        journal: Journal
        runs: dict[str, WorkflowRun]
        _own_inbox: set[str]
        _inbox_rowid: int

        def now_wall(self) -> float: ...
        def serves(self, worker: str) -> bool: ...
        def _mark_dirty(self) -> None: ...
        def terminate_workflow(self, workflow_id: str, reason: str) -> bool: ...
        def resume(self, row: RunRow, history: list[Record], *, new: bool = False,
                   verify_only: bool = False, source: str | None = None) -> WorkflowRun: ...

    def signal(self, workflow_id: str, topic: str, data: Any, sender: str) -> bool:
        """Delivers a durable signal to a running workflow (False when not running)."""
        return self._post(workflow_id, "signal", topic, data, sender)

    def cancel_workflow(self, workflow_id: str, reason: str, sender: str) -> bool:
        """Sends a running workflow a durable CANCEL event."""
        return self._post(workflow_id, "cancel", "", {"reason": reason}, sender)

    def _post(self, workflow_id: str, kind: str, topic: str, payload: Any, sender: str) -> bool:
        run = self.runs.get(workflow_id)
        if run is None:
            return False
        item = InboxItem(id=uuid.uuid4().hex, workflow_id=workflow_id, kind=kind, topic=topic,
                         payload=payload, sender=sender, created_at=self.now_wall())
        self.journal.add_inbox(item)
        self._own_inbox.add(item.id)  # the poller will see the row: not a CLI request
        self._mark_dirty()
        run.enqueue(inbox_event(item))
        return True

    def take_inbox(self) -> None:
        """Handles what the CLI wrote to the journal's inbox since the last look."""
        for item in self.journal.inbox_after(self._inbox_rowid):
            self._inbox_rowid = max(self._inbox_rowid, item.rowid)
            if item.id in self._own_inbox:
                self._own_inbox.discard(item.id)
                continue
            self._handle_inbox(item)
        self._mark_dirty()

    def _handle_inbox(self, item: InboxItem) -> None:
        run = self.runs.get(item.workflow_id)
        if item.kind == "start":
            self.journal.remove_inbox(item.id)
            row = self.journal.current_run(item.workflow_id)
            if run is None and row is not None and row.status == RUNNING \
                    and self.serves(row.worker):
                self.resume(row, self.journal.history(row.run_id))
            return
        if run is None:
            log.warning("dropping a %s for workflow %s: it is not running", item.kind,
                        item.workflow_id)
            self.journal.remove_inbox(item.id)
            return
        if item.kind in ("signal", "cancel"):
            run.enqueue(inbox_event(item))
        elif item.kind == "terminate":
            self.journal.remove_inbox(item.id)
            self.terminate_workflow(item.workflow_id, "terminated from the command line")

    async def _poll_loop(self) -> None:
        while True:
            # A real-time wait in a thread: under the virtual clock a trio sleep would
            # hold the clock back in 50 ms steps.
            await trio.to_thread.run_sync(_stdtime.sleep, POLL_INTERVAL, abandon_on_cancel=True)
            if self.journal.changed():
                self.take_inbox()

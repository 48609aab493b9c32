"""The rows and errors of :mod:`._admin`: Temporal runs named like the journal's.

A :class:`RemoteRun` has the field names and meanings of the embedded journal's
``RunRow`` (``workflow_id``, ``run_id``, ``entry``, ``status``...), so the CLI prints
both alike. Statuses are Temporal's, lower-cased: ``running``, ``completed``,
``failed``, ``canceled``, ``terminated``, ``continued`` (continued as new) and
``timed_out``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from ...errors import WippyError

RUNNING = "running"
STATUSES = ("running", "completed", "failed", "canceled", "terminated", "continued",
            "timed_out")
STATUS_NAMES = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "canceled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}
QUERY_STATUS = {
    "running": "Running", "completed": "Completed", "failed": "Failed",
    "canceled": "Canceled", "terminated": "Terminated", "continued": "ContinuedAsNew",
    "timed_out": "TimedOut",
}


class AdminError(WippyError):
    """A request the server refuses as bad input: an unknown ID, an unknown status."""


class NotRunning(AdminError):
    """A request for a running workflow whose latest run has ended.

    Attributes:
        run: The ended run.
    """

    def __init__(self, message: str, run: RemoteRun) -> None:
        super().__init__(message)
        self.run = run


class ServerUnavailable(WippyError):
    """The Temporal server cannot be reached; the message names the address and
    what to do."""


@dataclass
class RemoteRun:
    """One run of a workflow on the Temporal server, named like the journal's row.

    Attributes:
        workflow_id: The workflow ID.
        run_id: The run ID.
        entry: The ``workflow.lua`` entry of its type (the type when it is none).
        worker: The app's ``temporal.worker`` of its task queue (else the queue).
        status: One of :data:`STATUSES`.
        type_name: The Temporal workflow type.
        task_queue: Its task queue.
        created_at: Start time, epoch seconds.
        updated_at: Close time (start time while running), epoch seconds.
        history_length: Events in its history.
        parent_run: ``run_id`` of the parent workflow ("" for none).
        parent_seq: Always None (the journal's step of the spawn; not on Temporal).
        parent_workflow: Workflow ID of the parent ("" for none).
        input: Positional arguments (filled in by :meth:`TemporalAdmin.history`).
        result: The result, once completed (filled in likewise).
        error: The error record, once failed, canceled, terminated or timed out.
    """

    workflow_id: str
    run_id: str
    entry: str
    worker: str
    status: str
    type_name: str
    task_queue: str
    created_at: float
    updated_at: float
    history_length: int
    parent_run: str = ""
    parent_seq: int | None = None
    parent_workflow: str = ""
    input: list[Any] = field(default_factory=list)
    result: Any = None
    error: dict[str, Any] | None = None


ENDED = {
    "completed": "has completed",
    "failed": "has failed",
    "canceled": "was canceled",
    "terminated": "was terminated",
    "continued": "continued as a new run",
    "timed_out": "timed out",
}




def epoch(moment: datetime | None) -> float:
    """A server time as epoch seconds (0 when there is none)."""
    return moment.timestamp() if moment is not None else 0.0

"""Journal operations for tools outside a running engine (the CLI).

A run created here is a plain status row plus a ``start`` inbox item, written in one
commit: the engine of a running app picks it up within one poll interval, and if no
app runs, the next boot resumes it like any other unfinished run. Signals, cancels
and terminations are inbox items too; the engine applies them (or, at boot, replays
them into the runs they address).
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from ...journal import RUNNING, InboxItem, Journal, RunRow

if TYPE_CHECKING:
    from ...registry import Registry

CLI_SENDER = "cli"


def new_run_row(
    journal: Journal, registry: Registry, entry: str, worker: str, data: list[Any],
    workflow_id: str | None, context: dict[str, Any] | None, now: float,
    parent: tuple[str, int] | None = None,
) -> RunRow:
    """The status row of a new run of ``entry``; the entry's current source is
    buffered in ``journal`` (stored once, by hash) and the row points at it.

    Raises:
        EntryError: ``entry`` is not a ``workflow.lua`` of the registry.
    """
    source = registry.require(entry, "workflow.lua").data.get("source") or ""
    return RunRow(
        run_id=uuid.uuid4().hex, workflow_id=workflow_id or uuid.uuid4().hex,
        entry=entry, worker=worker, status=RUNNING, input=data,
        script_hash=journal.put_script(str(source)),
        parent_run=parent[0] if parent else "", parent_seq=parent[1] if parent else None,
        context=context, created_at=now, updated_at=now,
    )


def create_run(
    journal: Journal, registry: Registry, entry: str, worker: str, data: list[Any],
    workflow_id: str | None = None, sender: str = CLI_SENDER,
) -> RunRow:
    """Creates a running run and its ``start`` inbox item in one commit.

    Returns:
        The new run's row.

    Raises:
        EntryError: ``entry`` is not a ``workflow.lua`` of the registry.
        JournalError: the journal could not be written (nothing was).
    """
    now = time.time()
    row = new_run_row(journal, registry, entry, worker, data, workflow_id, None, now)
    journal.create_run(row)
    journal.add_inbox(InboxItem(
        id=uuid.uuid4().hex, workflow_id=row.workflow_id, kind="start",
        payload={"entry": entry, "worker": worker, "input": data}, sender=sender,
        created_at=now,
    ))
    journal.commit()
    return row


def post_request(
    journal: Journal, workflow_id: str, kind: str, *, topic: str = "", payload: Any = None,
    sender: str = CLI_SENDER,
) -> InboxItem:
    """Posts a ``signal``, ``cancel`` or ``terminate`` for a workflow (committed at once).

    Raises:
        JournalError: a bad kind or payload, or the write failed.
    """
    item = InboxItem(id=uuid.uuid4().hex, workflow_id=workflow_id, kind=kind, topic=topic,
                     payload=payload, sender=sender, created_at=time.time())
    journal.post(item)
    return item

"""The values the journal stores, and their msgpack encoding.

Rows keep the fields that SQL needs to filter or order on (IDs, status, seq, kind, ...)
in columns and pack the rest into msgpack blobs. History bodies are packed as short
positional arrays rather than maps: the engine appends tens of thousands of records per
second and replays read them back, so the encoding is kept small and cheap to decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack

from wippy_py.errors import JournalError

RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
TERMINATED = "terminated"
CONTINUED = "continued"
STATUSES = (RUNNING, COMPLETED, FAILED, TERMINATED, CONTINUED)

COMMAND = "command"
EVENT = "event"
RECORD_TYPES = (COMMAND, EVENT)

INBOX_KINDS = ("start", "signal", "cancel", "terminate")


@dataclass(slots=True)
class Record:
    """One history entry of a run.

    Attributes:
        seq: 0-based position in the run's history; a run's seqs are contiguous.
        type: ``"command"`` (issued by the workflow) or ``"event"`` (delivered to it).
        kind: What happened: ``"call"``, ``"timer"``, ``"signal"``, ``"completed"``, ...
        target: Activity/entry ID, topic, duration text, ... depending on the kind.
        args_hash: Hex digest of the canonical arguments, compared on replay.
        value: The recorded value (any msgpack-able Python value).
        error: A failure as ``ErrorValue.to_record()`` produces it, or ``None``.
        ref: For events, the seq of the command they complete.
        location: The Lua ``file:line`` that issued the command.
        at: Seconds since the epoch when the entry was recorded.
    """

    seq: int
    type: str
    kind: str
    target: str = ""
    args_hash: str = ""
    value: Any = None
    error: dict[str, Any] | None = None
    ref: int | None = None
    location: str = ""
    at: float = 0.0


@dataclass(slots=True)
class RunRow:
    """The status row of one workflow run.

    Attributes:
        run_id: Unique ID of this run.
        workflow_id: The user-facing workflow ID; several runs may share it.
        entry: The ``workflow.lua`` entry ID that the run executes.
        worker: The ``temporal.worker`` entry ID that hosts it.
        status: One of :data:`STATUSES`.
        input: Positional arguments of the workflow.
        result: The returned value, once completed.
        error: The failure, once failed or terminated (``ErrorValue.to_record()`` form).
        script_hash: sha256 of the Lua source the run started with ("" when unknown).
        parent_run: ``run_id`` of the parent workflow, "" for a top-level run.
        parent_seq: seq of the parent's ``spawn`` command, when there is a parent.
        context: The ``ctx`` values the run was started with.
        created_at: Seconds since the epoch; the journal fills it in when 0.
        updated_at: Seconds since the epoch of the last status change.
        history_length: Number of history records; filled in by reads.
    """

    run_id: str
    workflow_id: str
    entry: str
    worker: str
    status: str = RUNNING
    input: list[Any] = field(default_factory=list)
    result: Any = None
    error: dict[str, Any] | None = None
    script_hash: str = ""
    parent_run: str = ""
    parent_seq: int | None = None
    context: dict[str, Any] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    history_length: int = 0


@dataclass(slots=True)
class InboxItem:
    """A pending request for the engine, written by the CLI or by the engine itself.

    Attributes:
        id: Unique text ID chosen by the writer (uuid4 hex).
        workflow_id: The workflow the request is for.
        kind: ``"start"``, ``"signal"``, ``"cancel"`` or ``"terminate"``.
        topic: Signal topic, when ``kind`` is ``"signal"``.
        payload: Any msgpack-able value; for ``"start"``,
            ``{"entry": ..., "worker": ..., "input": [...]}``.
        sender: Who asked (free text, e.g. ``"cli"`` or a run ID).
        created_at: Seconds since the epoch; the journal fills it in when 0.
        rowid: Insertion order, filled in by reads; never reused.
    """

    id: str
    workflow_id: str
    kind: str
    topic: str = ""
    payload: Any = None
    sender: str = ""
    created_at: float = 0.0
    rowid: int = 0


# One packer for the whole process: Packer.pack reuses its internal buffer, which is
# measurably faster than msgpack.packb for the many small bodies of a history.
_packer = msgpack.Packer(use_bin_type=True)


def pack(value: Any, what: str) -> bytes:
    """Encodes ``value`` with msgpack; ``what`` names it in the error message.

    Raises:
        JournalError: The value holds something msgpack cannot store.
    """
    try:
        return _packer.pack(value)
    except (TypeError, ValueError, OverflowError) as exc:
        # A failed pack may leave partial bytes in the shared buffer.
        _packer.reset()
        raise JournalError(
            f"cannot store {what} in the journal: {exc}. Journal values must be nil, "
            "booleans, numbers (integers within 64 bits), strings, bytes, lists or tables "
            "of these."
        ) from None


def pack_optional(value: Any, what: str) -> bytes | None:
    """Like :func:`pack`, but ``None`` becomes SQL NULL (so SQL can test for it)."""
    return None if value is None else pack(value, what)


def unpack(blob: bytes | None) -> Any:
    """Decodes a blob written by :func:`pack`; NULL decodes to ``None``."""
    if blob is None:
        return None
    # strict_map_key=False: Lua tables may have integer (or float, or boolean) keys.
    return msgpack.unpackb(blob, raw=False, strict_map_key=False)


# ---- history -------------------------------------------------------------------------

HISTORY_COLUMNS = "seq, type, kind, target, args_hash, body"


def record_params(run_id: str, record: Record) -> tuple[Any, ...]:
    """Returns the ``history`` row of ``record``, in the column order of the INSERT."""
    if record.type not in RECORD_TYPES:
        raise JournalError(
            f"history record {record.seq} of run {run_id} has type {record.type!r}; "
            f"it must be one of {', '.join(RECORD_TYPES)}"
        )
    body = pack(
        [record.value, record.error, record.ref, record.location, record.at],
        f"history record {record.seq} ({record.kind}) of run {run_id}",
    )
    return (run_id, record.seq, record.type, record.kind, record.target, record.args_hash, body)


def records_from_rows(rows: list[tuple[Any, ...]]) -> list[Record]:
    """Rebuilds :class:`Record` objects from rows of :data:`HISTORY_COLUMNS`.

    This is the replay hot path, hence one comprehension with positional arguments.

    Raises:
        ValueError, TypeError: A body is not what :func:`record_params` wrote.
    """
    unpackb = msgpack.unpackb
    return [
        Record(seq, type_, kind, target, args_hash,
               *unpackb(body, raw=False, strict_map_key=False))
        for seq, type_, kind, target, args_hash, body in rows
    ]


# ---- runs ----------------------------------------------------------------------------

RUN_COLUMNS = (
    "run_id, workflow_id, entry, worker, status, body, result, error, script_hash, "
    "parent_run, created_at, updated_at, "
    "coalesce((SELECT max(h.seq) FROM history h WHERE h.run_id = runs.run_id) + 1, 0)"
)


def run_params(row: RunRow, now: float) -> tuple[Any, ...]:
    """Returns the ``runs`` row of ``row``; zero timestamps become ``now``."""
    if row.status not in STATUSES:
        raise JournalError(
            f"run {row.run_id} has status {row.status!r}; it must be one of "
            f"{', '.join(STATUSES)}"
        )
    what = f"run {row.run_id} (workflow {row.workflow_id})"
    body = pack(
        {"input": list(row.input), "context": row.context, "parent_seq": row.parent_seq},
        f"the input or context of {what}",
    )
    created = row.created_at or now
    return (
        row.run_id, row.workflow_id, row.entry, row.worker, row.status, body,
        pack_optional(row.result, f"the result of {what}"),
        pack_optional(row.error, f"the error of {what}"),
        row.script_hash, row.parent_run, created, row.updated_at or created,
    )


def run_from_row(row: tuple[Any, ...]) -> RunRow:
    """Rebuilds a :class:`RunRow` from the columns of :data:`RUN_COLUMNS`."""
    (run_id, workflow_id, entry, worker, status, body, result, error, script_hash,
     parent_run, created_at, updated_at, length) = row
    extra = unpack(body) or {}
    return RunRow(
        run_id=run_id, workflow_id=workflow_id, entry=entry, worker=worker, status=status,
        input=list(extra.get("input") or []), result=unpack(result), error=unpack(error),
        script_hash=script_hash, parent_run=parent_run, parent_seq=extra.get("parent_seq"),
        context=extra.get("context"), created_at=created_at, updated_at=updated_at,
        history_length=length,
    )


# ---- inbox ---------------------------------------------------------------------------

INBOX_COLUMNS = "rowid, id, workflow_id, kind, topic, payload, sender, created_at"


def inbox_params(item: InboxItem, now: float) -> tuple[Any, ...]:
    """Returns the ``inbox`` row of ``item`` (without rowid, which SQLite assigns)."""
    if not item.id:
        raise JournalError(
            f"an inbox item for workflow {item.workflow_id} has an empty id; give each "
            "item a unique id (uuid.uuid4().hex)"
        )
    if item.kind not in INBOX_KINDS:
        raise JournalError(
            f"inbox item {item.id} has kind {item.kind!r}; it must be one of "
            f"{', '.join(INBOX_KINDS)}"
        )
    payload = pack_optional(item.payload, f"the payload of inbox item {item.id}")
    return (item.id, item.workflow_id, item.kind, item.topic, payload, item.sender,
            item.created_at or now)


def inbox_from_row(row: tuple[Any, ...]) -> InboxItem:
    """Rebuilds an :class:`InboxItem` from the columns of :data:`INBOX_COLUMNS`."""
    rowid, id_, workflow_id, kind, topic, payload, sender, created_at = row
    return InboxItem(
        id=id_, workflow_id=workflow_id, kind=kind, topic=topic, payload=unpack(payload),
        sender=sender, created_at=created_at, rowid=rowid,
    )

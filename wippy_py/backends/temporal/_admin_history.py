"""A Temporal history read the way the embedded journal is shown.

:func:`history_rows` turns a run's events into :class:`HistoryRow` records with the
fields of the journal's ``Record`` (``seq``, ``type``, ``kind``, ``target``,
``value``, ``error``, ``ref``, ``location``, ``at``), so ``wippy-py workflow show``
prints both alike: ``seq`` is the event ID, ``type`` says whether the workflow's code
asked for it (``command``) or it was delivered to the code (``event``), and the kinds
are the journal's — ``call`` (an activity: the ``funcs.call`` target) and
``completed`` (its outcome), ``timer``/``fired``/``cancel_timer``, ``signal``,
``cancel``, ``spawn``/``child_exit`` (child workflows), ``signal_out``,
``cancel_out``, ``version`` (a patch marker), ``attrs`` (memo), ``continue`` — plus
``start`` and the run's end (``result``, ``failed``, ``terminated``, ``canceled``,
``timed_out``). Workflow-task bookkeeping is left out, except a failed workflow task
(``task_failed``: a nondeterminism error, a bug in the driver). Temporal does not
keep Lua locations, so ``location`` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import temporalio.converter
from temporalio.api.common.v1 import Payloads
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.common import RawValue

from ...durations import format_duration
from ...errors import CANCELED, TIMEOUT, ErrorValue
from ._values import error_record, error_value, from_json, signal_sender

COMMAND, EVENT = "command", "event"
# Commands compared by `workflow replay` (what the code issues, in order).
REPLAYED_KINDS = ("call", "timer", "spawn", "signal_out", "continue")
_LOCAL = {"wippy.send": "send", "wippy.terminate": "terminate_out",
          "wippy.cancel": "cancel_out"}
_CONVERTER = temporalio.converter.DataConverter.default


@dataclass
class HistoryRow:
    """One event of a Temporal history, in the journal record's terms."""

    seq: int
    type: str
    kind: str
    target: str = ""
    value: Any = None
    error: dict[str, Any] | None = None
    ref: int | None = None
    location: str = ""
    at: float = 0.0
    args_hash: str = ""


def values(payloads: Payloads) -> list[Any]:
    """The JSON values of payloads, untagged (bytes, maps and errors restored)."""
    raw = _CONVERTER.payload_converter.from_payloads(list(payloads.payloads))
    return [from_json(v) for v in raw]


def _one(payloads: Payloads) -> Any:
    found = values(payloads)
    return found[0] if len(found) == 1 else (found or None)


def failure_record(failure: Failure) -> dict[str, Any] | None:
    """The error record of a Temporal failure (kind, message, Lua traceback)."""
    exc = _CONVERTER.failure_converter.from_failure(failure, _CONVERTER.payload_converter)
    return error_record(error_value(exc))


def _record(message: str, kind: str) -> dict[str, Any] | None:
    return error_record(ErrorValue(message, kind, False))


def outcome(history: WorkflowHistory) -> tuple[list[Any], Any, dict[str, Any] | None]:
    """(input, result, error record) of the run a history belongs to."""
    data: list[Any] = []
    result: Any = None
    error: dict[str, Any] | None = None
    for event in history.events:
        which = event.WhichOneof("attributes")
        if which == "workflow_execution_started_event_attributes":
            data = values(event.workflow_execution_started_event_attributes.input)
        elif which == "workflow_execution_completed_event_attributes":
            result = _one(event.workflow_execution_completed_event_attributes.result)
        elif which is not None and which.startswith("workflow_execution_"):
            end = _end(event)
            if end is not None and end.error is not None:
                error = end.error
    return data, result, error


def _end(event: HistoryEvent) -> HistoryRow | None:
    """The row of the event that ended the run (None for another event)."""
    which = event.WhichOneof("attributes")
    at = event.event_time.ToDatetime().timestamp()
    seq = event.event_id
    if which == "workflow_execution_completed_event_attributes":
        value = _one(event.workflow_execution_completed_event_attributes.result)
        return HistoryRow(seq, EVENT, "result", value=value, at=at)
    if which == "workflow_execution_failed_event_attributes":
        failure = event.workflow_execution_failed_event_attributes.failure
        return HistoryRow(seq, EVENT, "failed", error=failure_record(failure), at=at)
    if which == "workflow_execution_terminated_event_attributes":
        reason = event.workflow_execution_terminated_event_attributes.reason
        return HistoryRow(seq, EVENT, "terminated", at=at,
                          error=_record(f"workflow terminated: {reason}", CANCELED))
    if which == "workflow_execution_canceled_event_attributes":
        return HistoryRow(seq, EVENT, "canceled", at=at,
                          error=_record("workflow canceled", CANCELED))
    if which == "workflow_execution_timed_out_event_attributes":
        return HistoryRow(seq, EVENT, "timed_out", at=at,
                          error=_record("workflow timed out", TIMEOUT))
    if which == "workflow_execution_continued_as_new_event_attributes":
        attrs = event.workflow_execution_continued_as_new_event_attributes
        return HistoryRow(seq, COMMAND, "continue", attrs.workflow_type.name,
                          values(attrs.input), at=at)
    return None


def history_rows(history: WorkflowHistory) -> list[HistoryRow]:
    """The events of a run as rows (workflow-task bookkeeping left out)."""
    rows: list[HistoryRow] = []
    names: dict[int, str] = {}  # scheduling event ID -> activity type / child ID
    for event in history.events:
        row = _row(event, names)
        if row is not None:
            rows.append(row)
    return rows


def _row(event: HistoryEvent, names: dict[int, str]) -> HistoryRow | None:
    which = event.WhichOneof("attributes") or ""
    seq = event.event_id
    at = event.event_time.ToDatetime().timestamp()
    if which == "workflow_execution_started_event_attributes":
        attrs = event.workflow_execution_started_event_attributes
        return HistoryRow(seq, EVENT, "start", attrs.workflow_type.name,
                          values(attrs.input), at=at)
    if which == "activity_task_scheduled_event_attributes":
        scheduled = event.activity_task_scheduled_event_attributes
        names[seq] = scheduled.activity_type.name
        _, _, digest = scheduled.activity_id.partition(".args-")
        return HistoryRow(seq, COMMAND, "call", scheduled.activity_type.name,
                          values(scheduled.input), at=at, args_hash=digest)
    if which == "activity_task_completed_event_attributes":
        done = event.activity_task_completed_event_attributes
        return HistoryRow(seq, EVENT, "completed", names.get(done.scheduled_event_id, ""),
                          _one(done.result), ref=done.scheduled_event_id, at=at)
    if which in ("activity_task_failed_event_attributes",
                 "activity_task_timed_out_event_attributes"):
        attrs = getattr(event, which)
        return HistoryRow(seq, EVENT, "completed", names.get(attrs.scheduled_event_id, ""),
                          error=failure_record(attrs.failure), ref=attrs.scheduled_event_id,
                          at=at)
    if which == "activity_task_canceled_event_attributes":
        ref = event.activity_task_canceled_event_attributes.scheduled_event_id
        return HistoryRow(seq, EVENT, "completed", names.get(ref, ""), ref=ref, at=at,
                          error=_record("call canceled", CANCELED))
    if which == "activity_task_cancel_requested_event_attributes":
        ref = event.activity_task_cancel_requested_event_attributes.scheduled_event_id
        return HistoryRow(seq, COMMAND, "cancel_call", names.get(ref, ""), ref=ref, at=at)
    if which == "timer_started_event_attributes":
        started = event.timer_started_event_attributes
        ns = started.start_to_fire_timeout.ToNanoseconds()
        names[seq] = format_duration(ns)
        return HistoryRow(seq, COMMAND, "timer", format_duration(ns), at + ns / 1e9, at=at)
    if which == "timer_fired_event_attributes":
        ref = event.timer_fired_event_attributes.started_event_id
        return HistoryRow(seq, EVENT, "fired", names.get(ref, ""), at, ref=ref, at=at)
    if which == "timer_canceled_event_attributes":
        ref = event.timer_canceled_event_attributes.started_event_id
        return HistoryRow(seq, COMMAND, "cancel_timer", names.get(ref, ""), ref=ref, at=at)
    if which == "workflow_execution_signaled_event_attributes":
        signaled = event.workflow_execution_signaled_event_attributes
        args = list(signaled.input.payloads)
        sender = signal_sender(RawValue(args[0])) if args else ""
        return HistoryRow(seq, EVENT, "signal", signaled.signal_name,
                          {"data": _one(signaled.input),
                           "from": sender or signaled.identity or "?"}, at=at)
    if which == "workflow_execution_cancel_requested_event_attributes":
        cause = event.workflow_execution_cancel_requested_event_attributes.cause
        return HistoryRow(seq, EVENT, "cancel", value={"reason": cause}, at=at)
    if which == "start_child_workflow_execution_initiated_event_attributes":
        child = event.start_child_workflow_execution_initiated_event_attributes
        names[seq] = child.workflow_id
        return HistoryRow(seq, COMMAND, "spawn", child.workflow_type.name, child.workflow_id,
                          at=at)
    if which.startswith("child_workflow_execution_") and which != \
            "child_workflow_execution_started_event_attributes":
        return _child_exit(event, which, names, at)
    if which == "start_child_workflow_execution_failed_event_attributes":
        refused = event.start_child_workflow_execution_failed_event_attributes
        return HistoryRow(seq, EVENT, "child_exit", refused.workflow_id,
                          ref=refused.initiated_event_id, at=at,
                          error=_record(f"the child could not start ({refused.cause})",
                                        "AlreadyExists"))
    if which == "signal_external_workflow_execution_initiated_event_attributes":
        out = event.signal_external_workflow_execution_initiated_event_attributes
        return HistoryRow(seq, COMMAND, "signal_out", out.workflow_execution.workflow_id,
                          {"topic": out.signal_name, "data": _one(out.input)}, at=at)
    if which == "request_cancel_external_workflow_execution_initiated_event_attributes":
        request = event.request_cancel_external_workflow_execution_initiated_event_attributes
        return HistoryRow(seq, COMMAND, "cancel_out", request.workflow_execution.workflow_id,
                          at=at)
    if which == "marker_recorded_event_attributes":
        return _marker(event, at)
    if which in ("workflow_properties_modified_event_attributes",
                 "upsert_workflow_search_attributes_event_attributes"):
        return HistoryRow(seq, COMMAND, "attrs", at=at)
    if which == "workflow_task_failed_event_attributes":
        task = event.workflow_task_failed_event_attributes
        return HistoryRow(seq, EVENT, "task_failed", at=at,
                          error=_record(task.failure.message or "workflow task failed",
                                        "Internal"))
    return _end(event)


def _child_exit(event: HistoryEvent, which: str, names: dict[int, str],
                at: float) -> HistoryRow:
    attrs = getattr(event, which)
    ref = attrs.initiated_event_id
    target = names.get(ref, attrs.workflow_execution.workflow_id)
    if which == "child_workflow_execution_completed_event_attributes":
        return HistoryRow(event.event_id, EVENT, "child_exit", target, _one(attrs.result),
                          ref=ref, at=at)
    if hasattr(attrs, "failure") and attrs.HasField("failure"):
        error = failure_record(attrs.failure)
    else:
        how = which.removeprefix("child_workflow_execution_").removesuffix("_event_attributes")
        error = _record(f"child workflow {how.replace('_', ' ')}",
                        TIMEOUT if how == "timed_out" else CANCELED)
    return HistoryRow(event.event_id, EVENT, "child_exit", target, error=error, ref=ref, at=at)


def _marker(event: HistoryEvent, at: float) -> HistoryRow:
    marker = event.marker_recorded_event_attributes
    details = marker.details
    if marker.marker_name == "core_patch" and "patch_data" in details:
        data = _one(details["patch_data"])
        patch = data.get("id", "") if isinstance(data, dict) else str(data)
        return HistoryRow(event.event_id, COMMAND, "version", patch, at=at)
    if marker.marker_name == "core_local_activity" and "data" in details:
        data = _one(details["data"])
        kind = data.get("activity_type", "") if isinstance(data, dict) else ""
        return HistoryRow(event.event_id, COMMAND, _LOCAL.get(kind, "local"), kind,
                          _one(details["result"]) if "result" in details else None, at=at)
    return HistoryRow(event.event_id, COMMAND, "marker", marker.marker_name, at=at)


def replayed_commands(rows: list[HistoryRow]) -> list[HistoryRow]:
    """The commands `workflow replay` compares with what the code issues now."""
    return [r for r in rows if r.type == COMMAND and r.kind in REPLAYED_KINDS]

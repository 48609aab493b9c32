"""Values and errors crossing to Temporal: JSON payloads and ``ApplicationError``.

Temporal's default data converter writes JSON. Plain Lua data (strings, numbers,
booleans, arrays, string-keyed maps) maps to JSON as is, so the official ``temporal``
CLI can start a Lua workflow with ``--input '{"amount": 42}'`` and read its result.
What JSON cannot hold is tagged so it survives the round trip: a non-UTF-8 Lua string
becomes ``{"\\u0000bytes": base64}``, a map with non-string keys
``{"\\u0000map": [[k, v], ...]}`` and an error value ``{"\\u0000error": record}`` (the
embedded journal's tag).

Errors: a Wippy error travels as an ``ApplicationError`` whose ``type`` is the error
kind and whose first detail is the full error record, so kind, message, retryable
flag and details arrive intact; errors raised by Temporal itself (timeouts,
cancellation, termination) are given the kind Wippy documents for them.
"""

from __future__ import annotations

import base64
from typing import Any

import temporalio.client
import temporalio.converter
import temporalio.exceptions as texc
from temporalio.common import RawValue

from ...errors import (
    ALREADY_EXISTS,
    CANCELED,
    INTERNAL,
    TIMEOUT,
    UNAVAILABLE,
    ErrorValue,
)
from ...workflow import RetryPolicy
from ..local._values import error_from_record, error_record, from_data, to_data

_BYTES_TAG = "\0bytes"
_MAP_TAG = "\0map"
SENDER_KEY = "wippy-from"  # signal payload metadata: the PID the signal comes from
_RULE = RetryPolicy()  # no attempt limit: only the error decides


def to_json(value: Any) -> Any:
    """Makes a converted Lua value JSON-safe (tags bytes, non-string keys, errors)."""
    return _tag(to_data(value))


def _tag(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES_TAG: base64.b64encode(value).decode()}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _tag(v) for k, v in value.items()}
        return {_MAP_TAG: [[_tag(k), _tag(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """Reverses :func:`to_json` (the result is ready for ``vm.to_lua``)."""
    return from_data(_untag(value))


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES_TAG in value:
            return base64.b64decode(value[_BYTES_TAG])
        if len(value) == 1 and _MAP_TAG in value and isinstance(value[_MAP_TAG], list):
            return {_untag(k): _untag(v) for k, v in value[_MAP_TAG]}
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    return value


def signal_arg(data: Any, sender: str,
               converter: temporalio.converter.PayloadConverter | None = None) -> RawValue:
    """A signal argument (JSON data) carrying its sender's PID in the payload
    metadata; ``converter`` is the workflow's inside a workflow, else the default."""
    converter = converter or temporalio.converter.DataConverter.default.payload_converter
    payload = converter.to_payload(data)
    payload.metadata[SENDER_KEY] = sender.encode()
    return RawValue(payload)


def signal_sender(arg: RawValue) -> str:
    """The sender PID of a signal argument ("" when sent by another client)."""
    return arg.payload.metadata.get(SENDER_KEY, b"").decode(errors="replace")


def retried_by_wippy(error: ErrorValue) -> bool:
    """Whether Wippy's rule retries ``error``: retryable=true, or unset with a
    transient kind (Timeout, Unavailable, RateLimited). A plain Lua error is not."""
    return _RULE.should_retry(1, error.kind, error.retryable)


def to_application_error(error: ErrorValue, *, expected: bool = False
                         ) -> texc.ApplicationError:
    """A Wippy error as the ``ApplicationError`` an activity or workflow raises.

    ``expected``: an error the code returned on purpose (``return nil, err``), which
    the SDK then logs at debug level instead of as a warning with a traceback.
    """
    return texc.ApplicationError(
        error.message, _tag(error_record(error)), type=error.kind or INTERNAL,
        non_retryable=not retried_by_wippy(error),
        category=(texc.ApplicationErrorCategory.BENIGN if expected
                  else texc.ApplicationErrorCategory.UNSPECIFIED),
    )


def error_value(exc: BaseException) -> ErrorValue:
    """The Wippy error for a failure reported by Temporal (activity, child workflow,
    workflow result, client call)."""
    if isinstance(exc, temporalio.client.WorkflowFailureError | texc.ActivityError |
                  texc.ChildWorkflowError) and exc.cause is not None:
        return error_value(exc.cause)
    if isinstance(exc, texc.ApplicationError):
        if exc.details and isinstance(exc.details[0], dict) and "message" in exc.details[0]:
            return error_from_record(_untag(exc.details[0]))
        return ErrorValue(exc.message, exc.type or INTERNAL, not exc.non_retryable)
    if isinstance(exc, texc.TimeoutError):
        return ErrorValue(exc.message or "timed out", TIMEOUT, True)
    if isinstance(exc, texc.CancelledError):
        return ErrorValue(exc.message or "canceled", CANCELED, False)
    if isinstance(exc, texc.TerminatedError):
        return ErrorValue(f"workflow terminated: {exc.message}", CANCELED, False)
    if isinstance(exc, texc.WorkflowAlreadyStartedError):
        return ErrorValue(f"workflow {exc.workflow_id} already exists (it is running, or "
                          "its ID reuse policy refuses a new run)", ALREADY_EXISTS, False)
    if isinstance(exc, texc.FailureError):
        return ErrorValue(exc.message or str(exc), INTERNAL, False)
    return ErrorValue(f"temporal: {exc}", UNAVAILABLE, True)


__all__ = [
    "SENDER_KEY",
    "error_record",
    "error_value",
    "from_json",
    "retried_by_wippy",
    "signal_arg",
    "signal_sender",
    "to_application_error",
    "to_json",
]

"""Values crossing the journal: Python data, errors, workflow PIDs."""

from __future__ import annotations

import dataclasses
from typing import Any

from ...errors import ErrorValue

_ERROR_TAG = "\0error"


def to_data(value: Any) -> Any:
    """Makes a converted Lua value msgpack-able (errors become tagged maps)."""
    if isinstance(value, ErrorValue):
        return {_ERROR_TAG: value.to_record()}
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_data(v) for v in value]
    return value


def from_data(value: Any) -> Any:
    """Reverses :func:`to_data`."""
    if isinstance(value, dict):
        if len(value) == 1 and _ERROR_TAG in value:
            return ErrorValue.from_record(value[_ERROR_TAG])
        return {k: from_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_data(v) for v in value]
    return value


# Values that are the same in Lua, in Python and in the journal: the hot paths (call
# arguments, results) skip the converters for them.
_PLAIN = frozenset({type(None), bool, int, float})


def data_of(vm: Any, value: Any) -> Any:
    """A Lua value as journal data.

    Raises:
        ValueError: the value is a function, thread or the like.
    """
    if type(value) in _PLAIN:
        return value
    return to_data(vm.to_py(value))


def lua_of(vm: Any, data: Any) -> Any:
    """Journal data as a Lua value (the reverse of :func:`data_of`)."""
    if type(data) in _PLAIN:
        return data
    return vm.to_lua(from_data(data))


def error_record(error: ErrorValue | None) -> dict[str, Any] | None:
    """The journal form of an error (``details`` made msgpack-able)."""
    if error is None:
        return None
    record = error.to_record()
    record["details"] = to_data(record["details"])
    return record


def error_from_record(record: dict[str, Any]) -> ErrorValue:
    """Rebuilds an error stored by :func:`error_record`."""
    error = ErrorValue.from_record(record)
    return dataclasses.replace(error, details=from_data(error.details))


def workflow_pid(worker: str, workflow_id: str) -> bytes:
    """The PID of a workflow: ``{worker|workflow_id}``."""
    return f"{{{worker}|{workflow_id}}}".encode()


def split_pid(pid: Any) -> tuple[str, str] | None:
    """(host, unique part) of a PID string, or None when it is not one."""
    text = pid.decode(errors="replace") if isinstance(pid, bytes) else pid
    if not isinstance(text, str) or not (text.startswith("{") and text.endswith("}")):
        return None
    host, sep, uniq = text[1:-1].partition("|")
    return (host, uniq) if sep and host and uniq else None

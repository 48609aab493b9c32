"""Per-kind validation of entry data and meta.

Validators check types and required fields, report each problem on its field, and
store the defaults that later layers rely on (``workflow.lua`` ``method: main``). Unknown
data fields are accepted, as in Wippy; only the closed ``lifecycle`` block rejects them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._checks import (
    Report,
    check_bool,
    check_choice,
    check_duration,
    check_int,
    check_map,
    check_str,
    check_str_list,
    describe,
    join,
)
from ._draft import Draft
from ._ids import EntryId
from ._kinds import REGISTRY_ENTRY, SUPPORTED_KINDS

POOL_TYPES = ("inline", "lazy", "static", "adaptive")
AUTH_TYPES = ("none", "api_key", "mtls")
EMBEDDED_ADDRESS = "embedded"


def validate(draft: Draft, report: Report) -> None:
    """Validates one supported entry in place (unsupported kinds are left alone).

    Args:
        draft: The entry; its data may receive defaults.
        report: ``report(field, message)`` for each problem.
    """
    if draft.kind not in SUPPORTED_KINDS or draft.kind == REGISTRY_ENTRY:
        return
    _check_meta(draft.meta, report)
    if not isinstance(draft.data, dict):
        report(
            "", f"the data of a {draft.kind} entry must be a mapping, got {describe(draft.data)}"
        )
        return
    _VALIDATORS[draft.kind](draft, report)


def check_id(
    data: dict[Any, Any],
    key: str,
    report: Report,
    prefix: str = "",
    *,
    required: bool = False,
) -> EntryId | None:
    """Checks that a field holds an entry ID string; returns it parsed (maybe relative)."""
    text = check_str(data, key, report, prefix, required=required)
    if text is None:
        return None
    try:
        return EntryId.parse(text)
    except ValueError as exc:
        report(join(prefix, key), f"{join(prefix, key)!r}: {exc}")
        return None


def _check_meta(meta: dict[str, Any], report: Report) -> None:
    check_id(meta, "parent", report, "meta")
    for index, text in enumerate(check_str_list(meta, "depends_on", report, "meta") or ()):
        if not text.startswith("ns:"):
            _check_id_text(text, f"meta.depends_on[{index}]", report)
    temporal = check_map(meta, "temporal", report, "meta")
    for role in ("workflow", "activity"):
        block = check_map(temporal or {}, role, report, "meta.temporal")
        if block:
            check_id(block, "worker", report, f"meta.temporal.{role}")
            check_str(block, "name", report, f"meta.temporal.{role}", non_empty=True)


def _check_id_text(text: str, name: str, report: Report) -> None:
    try:
        EntryId.parse(text)
    except ValueError as exc:
        report(name, f"{name!r}: {exc}")


def _lua_common(draft: Draft, report: Report) -> None:
    data = draft.data
    check_str(data, "source", report, required=True)
    check_str_list(data, "modules", report)
    imports = check_map(data, "imports", report)
    for alias in imports or {}:
        if not isinstance(alias, str) or not alias.strip():
            report(f"imports.{alias}", f"import alias {alias!r} must be a non-empty string")
            continue
        check_id(imports or {}, alias, report, "imports", required=True)


def _function(draft: Draft, report: Report) -> None:
    _lua_common(draft, report)
    check_str(draft.data, "method", report, required=True, non_empty=True)
    pool = check_map(draft.data, "pool", report)
    if pool:
        check_choice(pool, "type", POOL_TYPES, report, "pool")
        for key in ("workers", "size", "max_size"):
            check_int(pool, key, report, "pool", minimum=1)
        check_int(pool, "buffer", report, "pool", minimum=0)


def _process(draft: Draft, report: Report) -> None:
    _lua_common(draft, report)
    check_str(draft.data, "method", report, required=True, non_empty=True)
    command = check_map(draft.meta, "command", report, "meta")
    if command:
        check_str(command, "name", report, "meta.command", non_empty=True)
        check_str(command, "short", report, "meta.command")


def _workflow(draft: Draft, report: Report) -> None:
    _lua_common(draft, report)
    if draft.data.get("method") is None:
        draft.data["method"] = "main"  # Wippy's default entry point for workflows
    check_str(draft.data, "method", report, non_empty=True)


def _library(draft: Draft, report: Report) -> None:
    _lua_common(draft, report)


def _process_host(draft: Draft, report: Report) -> None:
    host = check_map(draft.data, "host", report)
    for key in ("workers", "queue_size", "local_queue_size"):
        check_int(host or {}, key, report, "host", minimum=1)


def _service(draft: Draft, report: Report) -> None:
    data = draft.data
    check_id(data, "process", report, required=True)
    host = check_str(data, "host", report, required=True, non_empty=True)
    if host is not None and ":" not in host:
        report(
            "host",
            f"host must be a full ID like app:processes (got {host!r}); "
            "process.service hosts get no default namespace",
        )
    elif host is not None:
        check_id(data, "host", report)
    value = data.get("input")
    if value is not None and not isinstance(value, list):
        report("input", f"'input' must be a list of positional arguments, got {describe(value)}")


def _terminal_host(draft: Draft, report: Report) -> None:
    check_bool(draft.data, "hide_logs", report)


def _temporal_client(draft: Draft, report: Report) -> None:
    data = draft.data
    check_str(data, "address", report, required=True, non_empty=True)
    for key in ("namespace", "tq_prefix", "journal"):
        check_str(data, key, report, non_empty=True)
    for key in ("connection_timeout", "keep_alive_time", "keep_alive_timeout"):
        check_duration(data, key, report)
    tls = check_map(data, "tls", report)
    if tls:
        for key in ("enabled", "insecure_skip_verify"):
            check_bool(tls, key, report, "tls")
        for key in ("ca_file", "server_name"):
            check_str(tls, key, report, "tls")
    auth = check_map(data, "auth", report)
    if auth:
        check_choice(auth, "type", AUTH_TYPES, report, "auth")
        for key in ("api_key", "api_key_file", "cert_file", "key_file", "cert_pem", "key_pem"):
            check_str(auth, key, report, "auth")
    health = check_map(data, "health_check", report)
    if health:
        check_bool(health, "enabled", report, "health_check")
        check_duration(health, "interval", report, "health_check")


def _temporal_worker(draft: Draft, report: Report) -> None:
    data = draft.data
    check_id(data, "client", report, required=True)
    check_str(data, "task_queue", report, required=True, non_empty=True)
    check_map(data, "worker_options", report)


_VALIDATORS: dict[str, Callable[[Draft, Report], None]] = {
    "function.lua": _function,
    "process.lua": _process,
    "workflow.lua": _workflow,
    "library.lua": _library,
    "process.host": _process_host,
    "process.service": _service,
    "terminal.host": _terminal_host,
    "temporal.client": _temporal_client,
    "temporal.worker": _temporal_worker,
}

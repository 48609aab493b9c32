"""The entry kinds wippy-py understands, and the groups other layers dispatch on."""

from __future__ import annotations

FUNCTION_LUA = "function.lua"
PROCESS_LUA = "process.lua"
WORKFLOW_LUA = "workflow.lua"
LIBRARY_LUA = "library.lua"
PROCESS_HOST = "process.host"
PROCESS_SERVICE = "process.service"
TERMINAL_HOST = "terminal.host"
TEMPORAL_CLIENT = "temporal.client"
TEMPORAL_WORKER = "temporal.worker"
REGISTRY_ENTRY = "registry.entry"

#: Every kind that is validated and can be run; other kinds load into
#: ``Registry.unsupported`` without an error.
SUPPORTED_KINDS: tuple[str, ...] = (
    FUNCTION_LUA,
    PROCESS_LUA,
    WORKFLOW_LUA,
    LIBRARY_LUA,
    PROCESS_HOST,
    PROCESS_SERVICE,
    TERMINAL_HOST,
    TEMPORAL_CLIENT,
    TEMPORAL_WORKER,
    REGISTRY_ENTRY,
)

#: Kinds whose data holds Lua ``source``, ``modules`` and ``imports``.
LUA_KINDS: tuple[str, ...] = (FUNCTION_LUA, PROCESS_LUA, WORKFLOW_LUA, LIBRARY_LUA)

#: Kinds a ``process.service`` may name as its ``host``.
HOST_KINDS: tuple[str, ...] = (PROCESS_HOST, TERMINAL_HOST)

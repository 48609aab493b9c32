"""ctx values from a workflow to its activities, in a Temporal header.

A workflow's ctx (``process.with_context`` at its start, which travels in the
workflow's memo, merged with an executor's ``funcs.new():with_context{...}``) must
reach the ``function.lua`` an activity runs, as on the embedded engine. The values
travel in the activity task's header ``wippy-context`` (JSON), not in its arguments,
so the arguments stay what the Lua code passed (and what other Temporal clients
see). Two interceptors of the worker carry them:

* the workflow's outbound interceptor adds the header to each activity the run
  schedules, taking the values :func:`activity_context` set around the
  ``workflow.start_activity`` call (the interceptor runs inside that call);
* the activity's inbound interceptor reads the header into :data:`incoming`, where
  the dynamic activity (``_bridge.activity_function``) finds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import temporalio.converter
from temporalio import workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

CONTEXT_HEADER = "wippy-context"

_outgoing: ContextVar[dict[str, Any] | None] = ContextVar("wippy_outgoing_context",
                                                          default=None)
incoming: ContextVar[dict[str, Any] | None] = ContextVar("wippy_activity_context",
                                                         default=None)
"""The ctx values of the activity being executed (None: the workflow sent none)."""


@contextlib.contextmanager
def activity_context(values: dict[str, Any] | None) -> Iterator[None]:
    """Activities scheduled inside the block carry ``values`` in their header."""
    token = _outgoing.set(values or None)
    try:
        yield
    finally:
        _outgoing.reset(token)


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> Any:
        values = _outgoing.get()
        if values:
            payload = workflow.payload_converter().to_payload(values)
            input.headers = {**input.headers, CONTEXT_HEADER: payload}
        return super().start_activity(input)


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        payload = input.headers.get(CONTEXT_HEADER)
        values = None
        if payload is not None:
            decoded = temporalio.converter.PayloadConverter.default.from_payload(payload)
            values = decoded if isinstance(decoded, dict) else None
        token = incoming.set(values)
        try:
            return await super().execute_activity(input)
        finally:
            incoming.reset(token)


class ContextInterceptor(Interceptor):
    """The worker interceptor that carries ctx values from workflows to activities."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Reads the header of each activity task."""
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """Adds the header to the activities workflows schedule."""
        return _Inbound

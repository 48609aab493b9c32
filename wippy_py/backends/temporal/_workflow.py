"""The one dynamic Temporal workflow that runs every Lua workflow type.

``workflow_class(catalog)`` builds, per worker, a ``@workflow.defn(dynamic=True)``
class: its run method finds the ``workflow.lua`` entry of the workflow type (the
entry ID or ``meta.temporal.workflow.name``), builds the run's own Lua runtime and
drives the Lua process; a dynamic signal handler feeds signals to the run's event
queue, a dynamic query handler answers the built-in queries ``pid`` and ``state``.

Choices, on purpose:

* **Unsandboxed** (``sandboxed=False``). The SDK's sandbox re-imports modules per run
  and proxies their state; it protects against *Python* workflow code reaching
  non-deterministic APIs. Here the workflow code is Lua, which reaches Python only
  through the allow-listed host functions (DESIGN 6: no ``python`` global, attribute
  access denied), and the Python driver below calls only ``workflow.*`` APIs for
  time, randomness and uuids. The sandbox would only add cost (measured 46 vs 67 wf/s
  in ``reference/durable-engines.md`` §6.3) and re-import lupa.
* **A Lua error fails the workflow**, it does not fail the workflow *task*: the run
  raises ``ApplicationError`` (type = the error kind), so Temporal records the
  failure and the caller gets ``nil, err`` — as on the embedded engine. Temporal's
  default (retry the task forever, the run stays Running) is kept for what is not the
  script's fault: a bug in this driver, and nondeterminism (including the
  argument-hash check), so a fixed deploy can pick the run up again.
* **The 2 s deadlock detector** is kept; each Lua thread has an instruction budget
  (50M instructions between two yields, well under 2 s) that fails a runaway script
  with a Lua error instead of leaving a stuck executor thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from ...errors import INTERNAL, NOT_FOUND, EntryError, ErrorValue, LuaLoadError
from ..local._values import workflow_pid
from ._config import Catalog
from ._options import CONTEXT_MEMO
from ._pins import CODE_MEMO, copied_by
from ._run import TemporalRun
from ._values import signal_sender, to_application_error


def decode_args(args: Sequence[RawValue]) -> list[Any]:
    """Workflow or signal arguments as JSON values."""
    converter = workflow.payload_converter()
    return [converter.from_payload(arg.payload) for arg in args]


class LuaWorkflow:
    """Runs the Lua workflow named by the workflow type. The base of each worker's
    workflow class: :func:`workflow_class` binds it to the worker's catalog and adds
    the Temporal decorators."""

    catalog: Catalog

    def __init__(self) -> None:
        self.events: deque[Callable[[], None]] = deque()
        self.run_state: TemporalRun | None = None

    async def run_lua(self, args: Sequence[RawValue]) -> Any:
        """Finds the entry of the workflow type, starts its Lua process and drives it."""
        catalog = self.catalog
        info = workflow.info()
        copied = copied_by(info.attempt, info.continued_run_id, info.cron_schedule)
        try:  # the code the run started with (_pins.py), else today's
            pinned = None if copied else catalog.pins.pinned(
                workflow.memo_value(CODE_MEMO, None))
        except Exception as exc:  # PinError, or a memo value that does not decode
            raise ApplicationError(
                f"workflow {info.workflow_id} (run {info.run_id}): its pinned code cannot "
                f"be read: {exc}", type=INTERNAL, non_retryable=True) from None
        entry_id = pinned.entry if pinned is not None else \
            catalog.entry_of_type(info.workflow_type)
        if entry_id is None:
            raise ApplicationError(
                f"workflow type {info.workflow_type!r} is not a workflow.lua entry of this "
                f"app (worker {catalog.worker.id})", type=NOT_FOUND, non_retryable=True)
        if pinned is None and catalog.pins.enabled:
            catalog.pins.tell_unpinned(info.workflow_id, info.run_id, entry_id, copied)
        registry = pinned.registry if pinned is not None else catalog.registry
        run = TemporalRun(catalog.vms.take(registry), catalog, entry_id, self.events)
        self.run_state = run
        try:
            try:
                run.start(decode_args(args), workflow.memo_value(CONTEXT_MEMO, None))
            except (EntryError, LuaLoadError) as exc:
                raise ApplicationError(str(exc), type=INTERNAL, non_retryable=True) from None
            return await _drive(run)
        finally:
            run.close()

    def signal_lua(self, name: str, args: Sequence[RawValue]) -> None:
        """Any signal: a message on the topic ``name`` (delivered when Lua is idle)."""
        values = decode_args(args)
        data = values[0] if len(values) == 1 else (values or None)
        sender = signal_sender(args[0]) if args else ""
        self.events.append(lambda: self._signal(name, data, sender))

    def _signal(self, name: str, data: Any, sender: str) -> None:
        if self.run_state is not None:
            self.run_state.deliver_signal(name, data, sender)

    def query_lua(self, name: str) -> Any:
        """The built-in queries: ``pid`` (the workflow's PID) and ``state`` ({})."""
        if name == "pid":
            return workflow_pid(self.catalog.worker.id, workflow.info().workflow_id).decode()
        if name == "state":
            return {}
        raise ValueError(f"unknown query type {name!r} (queries: pid, state)")


def workflow_class(catalog: Catalog) -> type:
    """The dynamic workflow class of one worker.

    The SDK wants the decorated methods on the class itself and refuses functions
    defined in a function (by ``__qualname__``), so the methods get the qualified
    names they would have at module level.
    """
    name = f"LuaWorkflow_{catalog.worker.id.replace(':', '_').replace('.', '_')}"

    # ``self`` stays unannotated: the SDK counts an annotated self as an argument.
    async def run(self, args: Sequence[RawValue]) -> Any:  # type: ignore[no-untyped-def]
        return await self.run_lua(args)

    def on_signal(self, signal: str, args: Sequence[RawValue]) -> None:  # type: ignore[no-untyped-def]
        self.signal_lua(signal, args)

    def on_query(self, query: str, args: Sequence[RawValue]) -> Any:  # type: ignore[no-untyped-def]
        return self.query_lua(query)

    for method in (run, on_signal, on_query):
        method.__qualname__ = f"{name}.{method.__name__}"
    bound = type(name, (LuaWorkflow,), {
        "catalog": catalog, "__module__": __name__,
        "run": workflow.run(run),
        "on_signal": workflow.signal(dynamic=True)(on_signal),
        "on_query": workflow.query(dynamic=True)(on_query),
    })
    return workflow.defn(dynamic=True, sandboxed=False)(bound)


async def _drive(run: TemporalRun) -> Any:
    """Steps the Lua process until it ends; returns the result or raises its error."""
    cancel_seen = False
    while True:
        run.drive()
        exit = run.exit
        if exit is not None:
            break
        try:
            await workflow.wait_condition(lambda: run.has_work)
        except asyncio.CancelledError:
            reason = workflow.cancellation_reason()
            if reason is None or cancel_seen:
                raise  # an eviction from the cache: the run is dropped, not cancelled
            # Temporal's cancellation request: a CANCEL event, the code decides.
            cancel_seen = True
            run.events.append(_cancel_event(run, reason or "workflow cancelled"))
    await run.flush_outbound()
    if run.outcome == "continued" and run.continue_to is not None:
        type_name, data = run.continue_to
        workflow.continue_as_new(args=data, workflow=type_name, memo=run.continue_memo)
    if not exit.ok:
        error = exit.error_value or ErrorValue("workflow failed", INTERNAL, False)
        raise to_application_error(error)
    try:
        return run.result()
    except ValueError as exc:
        raise ApplicationError(f"the workflow's result cannot be sent to Temporal: {exc}",
                               type=INTERNAL, non_retryable=True) from None


def _cancel_event(run: TemporalRun, reason: str) -> Callable[[], None]:
    return lambda: run.deliver_cancel(reason)

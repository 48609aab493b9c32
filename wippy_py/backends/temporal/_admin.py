"""Operations on a Temporal server for tools outside a running worker (the CLI).

:class:`TemporalAdmin` is what ``wippy-py workflow ...`` uses when the app's worker has
a ``temporal.client`` with a real address: it connects with the client's settings and
starts, lists, describes, signals, cancels and terminates workflows, and reads their
results and histories, on the task queues of the app's workers. It is synchronous
(one private asyncio loop), as the CLI is.

Runs are reported as :class:`~._admin_types.RemoteRun` rows, named like the
journal's, so the CLI prints both alike.
"""

from __future__ import annotations

import asyncio
import gc
import re
import uuid
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowHistory,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from ...lua import DEFAULT_INSTRUCTION_BUDGET
from ...registry import Registry
from ..local._admin import CLI_SENDER
from ._admin_history import outcome
from ._admin_types import (
    ENDED,
    QUERY_STATUS,
    RUNNING,
    STATUS_NAMES,
    STATUSES,
    AdminError,
    NotRunning,
    RemoteRun,
    ServerUnavailable,
    epoch,
)
from ._config import ClientConfig, WorkerConfig, catalog, connect_reason, worker_config
from ._values import error_record, error_value, from_json, signal_arg

_RUN_ID = re.compile(r"[0-9a-fA-F-]+")
CLOSE_TIMEOUT = 2.0  # seconds for the SDK's leftover tasks at close
PREFIX_SCAN = 1000  # runs looked through to resolve the start of a run ID


class TemporalAdmin:
    """A connection to the Temporal server of some of the app's workers.

    Args:
        registry: The app's registry.
        worker_ids: ``temporal.worker`` entries whose clients name the same server and
            namespace (the first one's client settings are used).

    Raises:
        TemporalConfigError: a worker's client is missing or names unreadable files.
    """

    def __init__(self, registry: Registry, worker_ids: list[str]) -> None:
        self.registry = registry
        self.workers: dict[str, WorkerConfig] = {}
        for worker_id in worker_ids:
            entry = registry.get(worker_id)
            assert entry is not None, worker_id
            self.workers[worker_id] = worker_config(registry, entry)
        first = next(iter(self.workers.values()))
        self.client_config: ClientConfig = first.client
        queues = {w: c.task_queue for w, c in self.workers.items()}
        self.catalog = catalog(registry, first, queues, DEFAULT_INSTRUCTION_BUDGET)
        self.queues = {c.task_queue: w for w, c in self.workers.items()}
        self._loop = asyncio.new_event_loop()
        self._client: Client | None = None
        # A runtime of its own, without the SDK core's log lines on the console (a
        # replay that diverges is reported by `workflow replay`, not as a warning).
        self.runtime: Runtime | None = Runtime(telemetry=TelemetryConfig(logging=None),
                                               worker_heartbeat_interval=None)

    def __enter__(self) -> TemporalAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drops the client, then closes the private event loop.

        The client goes first, collected at once: left to the interpreter's exit, the
        SDK's Rust threads may call into Python while it finalizes, which aborts the
        process (measured: 5 of 30 runs of a short script crashed; 0 of 30 with this).
        """
        self._client = self.runtime = None
        gc.collect()
        loop = self._loop
        if not loop.is_closed():
            # Async generators of the SDK finalized by the collection: let them finish.
            loop.run_until_complete(loop.shutdown_asyncgens())
            pending = asyncio.all_tasks(loop)
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=CLOSE_TIMEOUT))
            loop.close()

    def run(self, coro: Any) -> Any:
        """Runs a coroutine of this admin's client on its loop (for the CLI)."""
        return self._loop.run_until_complete(coro)

    @property
    def address(self) -> str:
        """``host:port`` of the server."""
        return self.client_config.address

    def where(self) -> str:
        """``the Temporal server ADDRESS (namespace N)`` for messages."""
        return (f"the Temporal server {self.client_config.address} "
                f"(namespace {self.client_config.namespace})")

    # ------------------------------------------------------------- connection
    async def client(self) -> Client:
        """The connected client (connects on first use).

        Raises:
            ServerUnavailable: no connection within the client's connection_timeout.
        """
        if self._client is not None:
            return self._client
        config = self.client_config
        try:
            self._client = await asyncio.wait_for(Client.connect(
                config.address, **config.connect_options(), runtime=self.runtime),
                config.connection_timeout)
        except Exception as exc:
            reason = (f"no answer within connection_timeout ({config.connection_timeout:g}s)"
                      if isinstance(exc, TimeoutError) else connect_reason(exc))
            workers = ", ".join(self.workers)
            raise ServerUnavailable(
                f"cannot reach the Temporal server {config.address} of temporal.client "
                f"{config.id} (used by {workers}): {reason}. Start the server (for a local "
                f"one: `temporal server start-dev`), or correct the client's address; if the "
                f"app runs its workflows with `wippy-py run --embedded`, add --embedded to "
                f"use its journal instead") from None
        return self._client

    async def _call(self, coro: Any, ident: str = "") -> Any:
        """Awaits an RPC; a missing workflow or namespace becomes an AdminError."""
        try:
            return await coro
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                what = f"workflow {ident}" if ident else "it"
                raise AdminError(f"{what} not found on {self.where()}: {exc.message}") from None
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise AdminError(f"{self.where()} refused the request: {exc.message}") from None
            raise ServerUnavailable(f"{self.where()} failed the request: {exc.message}") from None

    # ------------------------------------------------------------------ runs
    def _row(self, execution: WorkflowExecution) -> RemoteRun:
        return RemoteRun(
            workflow_id=execution.id, run_id=execution.run_id,
            entry=self.catalog.entry_of_type(execution.workflow_type) or execution.workflow_type,
            worker=self.queues.get(execution.task_queue, execution.task_queue),
            status=STATUS_NAMES.get(execution.status, "unknown")
            if execution.status is not None else "unknown",
            type_name=execution.workflow_type, task_queue=execution.task_queue,
            created_at=epoch(execution.start_time),
            updated_at=epoch(execution.close_time) or epoch(execution.start_time),
            history_length=execution.history_length,
            parent_run=execution.parent_run_id or "",
            parent_workflow=execution.parent_id or "",
        )

    def _queue_query(self) -> str:
        queues = " OR ".join(f"TaskQueue = '{q}'" for q in sorted(self.queues))
        return f"({queues})"

    async def runs(self, status: str | None = None, limit: int | None = None
                   ) -> list[RemoteRun]:
        """Runs on the app's task queues, newest first."""
        query = self._queue_query()
        if status is not None:
            if status not in QUERY_STATUS:
                raise AdminError(f"unknown run status {status!r}; use one of "
                                 f"{', '.join(STATUSES)}")
            query += f" AND ExecutionStatus = '{QUERY_STATUS[status]}'"
        client = await self.client()
        rows: list[RemoteRun] = []
        iterator = client.list_workflows(query, limit=limit)
        try:
            async for execution in iterator:
                rows.append(self._row(execution))
        except RPCError as exc:
            raise ServerUnavailable(f"{self.where()} failed to list workflows: "
                                    f"{exc.message}") from None
        return rows

    async def find(self, ident: str) -> RemoteRun:
        """The run ``ident`` names: a workflow ID (its latest run), a run ID, or the
        start of a run ID of the app's task queues.

        Raises:
            AdminError: none, or several runs start with ``ident``.
        """
        client = await self.client()
        try:
            return self._row(await client.get_workflow_handle(ident).describe())
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                await self._call(_raise(exc))
        if _RUN_ID.fullmatch(ident):
            async for execution in client.list_workflows(f"RunId = '{ident}'", limit=1):
                return await self.describe(execution.id, execution.run_id)
            if len(ident) >= 4:
                matches = [r for r in await self.runs(limit=PREFIX_SCAN)
                           if r.run_id.startswith(ident)]
                if len(matches) == 1:
                    return await self.describe(matches[0].workflow_id, matches[0].run_id)
                if len(matches) > 1:
                    raise AdminError(f"{ident} is the start of {len(matches)} run IDs "
                                     f"({', '.join(r.run_id for r in matches[:5])}); give "
                                     "more of it")
        raise AdminError(f"no workflow or run {ident} on {self.where()}")

    async def describe(self, workflow_id: str, run_id: str | None = None) -> RemoteRun:
        """The run ``run_id`` of ``workflow_id`` (its latest run when None)."""
        client = await self.client()
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        row: RemoteRun = self._row(await self._call(handle.describe(), workflow_id))
        return row

    async def latest(self, row: RemoteRun) -> RemoteRun:
        """The workflow's latest run when ``row`` continued as new, else ``row``."""
        if row.status != "continued":
            return row
        return await self.describe(row.workflow_id)

    async def history(self, row: RemoteRun) -> WorkflowHistory:
        """The events of a run; fills in the row's input, result and error."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        history: WorkflowHistory = await self._call(handle.fetch_history(), row.workflow_id)
        row.input, row.result, row.error = outcome(history)
        return history

    # -------------------------------------------------------------- requests
    async def start(self, entry: str, worker: str, data: list[Any],
                    workflow_id: str | None) -> tuple[RemoteRun, bool]:
        """Starts ``entry`` on ``worker``'s task queue.

        Returns:
            (the run, True) when started; (the running run, False) when a workflow
            with ``workflow_id`` is running (nothing is started).
        """
        client = await self.client()
        config = self.workers[worker]
        wid = workflow_id or f"{entry}-{uuid.uuid4().hex}"
        try:
            handle: WorkflowHandle[Any, Any] = await self._call(client.start_workflow(
                self.catalog.type_of(entry), args=data, id=wid, task_queue=config.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                memo=self.catalog.pins.add_to({}, entry) or None), wid)
        except WorkflowAlreadyStartedError:
            return await self.describe(wid), False
        return await self.describe(wid, handle.result_run_id), True

    async def pollers(self, worker: str) -> int:
        """How many workers poll ``worker``'s task queue for workflow tasks now."""
        client = await self.client()
        request = DescribeTaskQueueRequest(
            namespace=self.client_config.namespace,
            task_queue=TaskQueue(name=self.workers[worker].task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
        answer = await self._call(client.workflow_service.describe_task_queue(request))
        return len(answer.pollers)

    async def running(self, ident: str, refused: str) -> RemoteRun:
        """The running latest run of the workflow ``ident`` names.

        Raises:
            NotRunning: its latest run has ended (the message says how).
        """
        row = await self.find(ident)
        current = await self.describe(row.workflow_id)
        if current.status != RUNNING:
            raise NotRunning(f"workflow {current.workflow_id} "
                             f"{ENDED.get(current.status, current.status)}; {refused}", current)
        return current

    async def signal(self, row: RemoteRun, topic: str, payload: Any) -> None:
        """Signals the run (a message on ``topic``, from ``cli``)."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        await self._request(handle.signal(topic, signal_arg(payload, CLI_SENDER)), row,
                            "signals are only delivered to running workflows")

    async def cancel(self, row: RemoteRun, reason: str) -> None:
        """Requests the run's cancellation (a CANCEL event in the workflow)."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        await self._request(handle.cancel(reason=reason), row,
                            "cancellations are only delivered to running workflows")

    async def terminate(self, row: RemoteRun, reason: str) -> None:
        """Terminates the run."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        await self._request(handle.terminate(reason=reason), row,
                            "only running workflows can be terminated")

    async def _request(self, coro: Any, row: RemoteRun, refused: str) -> None:
        try:
            await self._call(coro, row.workflow_id)
        except AdminError:  # it ended meanwhile
            current = await self.describe(row.workflow_id)
            if current.status == RUNNING:
                raise
            raise NotRunning(f"workflow {current.workflow_id} "
                             f"{ENDED.get(current.status, current.status)}; {refused}",
                             current) from None

    async def wait(self, row: RemoteRun, timeout: float | None) -> RemoteRun:
        """Waits until the workflow's latest run ends (or ``timeout`` seconds pass);
        returns the latest run."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        try:
            await asyncio.wait_for(handle.result(follow_runs=True), timeout)
        except (TimeoutError, WorkflowFailureError):
            pass
        except RPCError as exc:
            await self._call(_raise(exc), row.workflow_id)
        return await self.latest(await self.describe(row.workflow_id, row.run_id))

    async def outcome(self, row: RemoteRun) -> tuple[Any, dict[str, Any] | None]:
        """(result, error record) of an ended run."""
        client = await self.client()
        handle = client.get_workflow_handle(row.workflow_id, run_id=row.run_id)
        try:
            value = await handle.result(follow_runs=False)
        except WorkflowFailureError as exc:
            return None, error_record(error_value(exc))
        except RPCError as exc:
            await self._call(_raise(exc), row.workflow_id)
        return from_json(value), None


async def _raise(exc: BaseException) -> Any:
    raise exc

"""A ``temporal.worker`` on a real Temporal server: connection, worker, and the
workflows the app's actors start on it.

:class:`TemporalProvider` is what the node registers for the worker's host ID
(``Spawner.add_provider``): ``process.spawn*``/``exec`` on the worker call
:meth:`~TemporalProvider.start_from_lua`. The workflow runs on Temporal (in this
process's worker or any other worker polling the task queue); the caller gets a
*proxy* process with the workflow's PID ``{worker|workflow id}``, registered in the
node's scheduler, so everything an actor does to a workflow works as on the embedded
engine: ``process.send`` to it becomes a signal (name = topic, sender PID in the
payload metadata), ``process.terminate`` terminates it, ``process.cancel`` requests
its cancellation, and when the run ends the proxy ends with the workflow's result or
error (``process.exec`` returns it, monitors get EXIT).

Everything Temporal is done on the asyncio thread, in order per workflow ID (a lock
per ID), without blocking the trio dispatcher: a spawn returns at once, and a start
the server refuses (``id_conflict_policy: fail`` on a running ID, server gone) ends
the proxy with that error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import uuid
from typing import Any

import trio
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import TLSConfig
from temporalio.worker import Worker

from ...errors import CANCELED, INVALID, NOT_FOUND, UNAVAILABLE, ErrorValue, WippyError
from ...lua import DEFAULT_INSTRUCTION_BUDGET
from ...process import Exit, FuncsApi, Process, ProcessApi, SpawnError
from ...registry import Registry
from ...workflow import OptionsError, StartOptions
from ..local._values import workflow_pid
from ._bridge import LoopThread, NodeBridge, activity_function
from ._config import WorkerConfig, catalog, worker_config
from ._context import ContextInterceptor
from ._options import CONTEXT_MEMO, start_options
from ._remote import RemoteWorkflow
from ._values import error_value, from_json, signal_arg, to_json
from ._workflow import workflow_class

log = logging.getLogger("wippy_py.temporal")

STOP_TIMEOUT = 30.0  # seconds for the worker to shut down
_CONFLICT = {
    "use_existing": WorkflowIDConflictPolicy.USE_EXISTING,
    "fail": WorkflowIDConflictPolicy.FAIL,
    "terminate_existing": WorkflowIDConflictPolicy.TERMINATE_EXISTING,
}


class TemporalUnavailable(WippyError):
    """The Temporal server of a worker cannot be reached (after the retries its
    lifecycle allows)."""


class TemporalProvider:
    """Runs the workflows of one ``temporal.worker`` entry on a Temporal server.

    Args:
        config: The worker, its client and the workflows it serves.
        registry: The app's registry.
        processes: The node's process API.
        funcs: The node's function calls (activities run there).
        queues: Task queue of every Temporal-backed worker of the app.
        instruction_budget: Instructions a workflow's Lua thread may run per yield.
    """

    def __init__(self, config: WorkerConfig, registry: Registry, processes: ProcessApi,
                 funcs: FuncsApi, queues: dict[str, str],
                 instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET) -> None:
        self.config = config
        self.id = config.id
        self.registry = registry
        self.sched = processes.sched
        self.vm = processes.vm
        self.bridge = NodeBridge(processes, funcs)
        self.lifecycle = processes.lifecycle
        # A spawn on this worker waits for Temporal's answer to the start (the glue
        # yields this op when the spawn returns ``pending``).
        processes.sched.register_op("process.started", self._op_started)
        self.catalog = catalog(registry, config, queues, instruction_budget)
        self.proxies: dict[str, Process] = {}
        self.client: Client | None = None
        self.worker: Worker | None = None
        self.failure: TemporalUnavailable | None = None
        self.last_error = ""
        self._thread: LoopThread | None = None
        # Set once the first connection attempt is over (asyncio events bind to the
        # loop that first waits on them: the Temporal thread's).
        self._attempted = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}

    def serves(self, worker: str) -> bool:
        """True for this provider's worker ID."""
        return worker == self.id

    # -------------------------------------------------------------- lifecycle
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Connects (retrying per the worker's lifecycle), starts the Temporal worker,
        serves until cancelled, then shuts the worker down.

        Raises:
            TemporalUnavailable: the server could not be reached and the worker's
                ``lifecycle.startup`` is ``required`` (the default).
        """
        self.bridge.bind()
        self._thread = LoopThread(f"temporal {self.id}")
        self._thread.start()
        try:
            connected = self._thread.submit(self._connect())
            if self.config.lifecycle.startup == "required":
                # Real time, in a thread: a virtual trio clock must not expire it.
                timeout = self.config.lifecycle.start_timeout / 1e9
                await trio.to_thread.run_sync(_wait, connected, timeout,
                                              abandon_on_cancel=True)
                if self.worker is None:
                    connected.cancel()
                    raise self.failure or TemporalUnavailable(
                        f"{self.last_error}; no connection within the worker's "
                        f"start_timeout ({timeout:g}s)")
            task_status.started()
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(self._shutdown)

    def stop(self) -> None:
        """Detaches the proxies from the node (the workflows go on on Temporal)."""
        for proxy in self.proxies.values():
            self.sched.procs.pop(proxy.pid, None)
        self.proxies.clear()

    async def _connect(self) -> None:
        client_config = self.config.client
        policy = self.config.lifecycle.restart
        attempt = 0
        while True:
            attempt += 1
            try:
                self.client = await asyncio.wait_for(Client.connect(
                    client_config.address, namespace=client_config.namespace,
                    api_key=client_config.api_key, tls=_tls(client_config.tls),
                    identity=self.config.options.get("identity"),
                ), client_config.connection_timeout)
                break
            except Exception as exc:
                reason = (f"no answer within connection_timeout "
                          f"({client_config.connection_timeout:g}s)"
                          if isinstance(exc, TimeoutError) else _reason(exc))
                message = self.last_error = (
                    f"temporal.worker {self.id}: {client_config.describe()}: cannot connect: "
                    f"{reason or type(exc).__name__} (is the server running? `wippy-py run "
                    "--embedded` runs the workflows here instead)")
                self._attempted.set()
                if policy.max_attempts and attempt >= policy.max_attempts:
                    self.failure = TemporalUnavailable(message)
                    # A required worker raises it; an optional one only logs it.
                    log.log(logging.ERROR if self.config.lifecycle.startup == "optional"
                            else logging.DEBUG, "%s; giving up after %d attempt(s)", message,
                            attempt)
                    return
                delay = min(policy.initial_delay * policy.backoff_factor ** (attempt - 1),
                            max(policy.max_delay, policy.initial_delay)) / 1e9
                log.warning("%s; retrying in %.3gs (attempt %d)", message, delay, attempt)
                await asyncio.sleep(delay)
        options = {k: v for k, v in self.config.options.items() if k != "identity"}
        try:
            self.worker = Worker(
                self.client, task_queue=self.config.task_queue,
                workflows=[workflow_class(self.catalog)],
                activities=[activity_function(self.bridge)],
                interceptors=[ContextInterceptor()], **options,
            )
        except (TypeError, ValueError) as exc:
            self.failure = TemporalUnavailable(
                f"temporal.worker {self.id}: the Temporal worker cannot be created "
                f"(check worker_options): {exc}")
            self._attempted.set()
            return
        asyncio.get_running_loop().create_task(self._serve(self.worker))
        self._attempted.set()
        log.info("worker %s polls task queue %r on %s", self.id, self.config.task_queue,
                 client_config.describe())

    async def _serve(self, worker: Worker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.failure = TemporalUnavailable(f"temporal.worker {self.id}: the worker stopped: "
                                               f"{exc}")
            log.error("%s", self.failure)

    def _shutdown(self) -> None:
        thread = self._thread
        if thread is None:
            return
        if self.worker is not None:
            try:
                thread.submit(self.worker.shutdown()).result(STOP_TIMEOUT)
            except Exception as exc:  # a worker that never ran, a timeout
                log.debug("worker %s shutdown: %s", self.id, exc)
        thread.stop(STOP_TIMEOUT)
        self._thread = None

    async def _client(self) -> Client:
        """The client; raises while the server cannot be reached (after the first
        attempt, so a spawn at boot waits for it)."""
        await self._attempted.wait()
        if self.client is None or self.worker is None:
            raise self.failure or TemporalUnavailable(f"{self.last_error} (still retrying)")
        return self.client

    # --------------------------------------------------------------- starting
    def start_from_lua(
        self, entry: str, host: str, args: tuple[Any, ...], *, context: dict[str, Any] | None,
        name: Any, options: Any, messages: Any, sender: bytes,
    ) -> Process:
        """``process.spawn*`` of a workflow on this worker (the Spawner provider API).

        Raises:
            SpawnError: unknown entry, bad options or arguments, or an ID in use with
                ``id_conflict_policy: fail``.
        """
        found = self.registry.get(entry)
        if found is None or found.kind != "workflow.lua":
            raise SpawnError(
                ErrorValue(f"workflow {entry} not found", NOT_FOUND, False) if found is None
                else ErrorValue(f"{entry} is a {found.kind}, not a workflow.lua", INVALID,
                                False))
        vm = self.vm
        try:
            raw = vm.to_py(options) if options is not None else None
            start = StartOptions.from_options(raw, name.decode() if isinstance(name, bytes)
                                              else None)
            extra = start_options(raw, child=False, namespace=self.config.client.namespace)
            data = [to_json(vm.to_py(a)) for a in args]
            queued = [(str(m[0]), to_json(m[1]) if len(m) > 1 else None)
                      for m in (vm.to_py(messages) if messages is not None else [])]
            memo = dict(extra.pop("memo", None) or {})
            if context:
                memo[CONTEXT_MEMO] = to_json(context)
        except (OptionsError, ValueError) as exc:
            raise SpawnError(ErrorValue(str(exc), INVALID, False)) from exc
        policy = start.conflict_policy
        if isinstance(raw, dict) and raw.get(
                "temporal.workflow.execution_error_when_already_started"):
            policy = "fail"
        extra.setdefault("task_queue", self.config.task_queue)
        extra["memo"] = memo or None
        workflow_id = start.workflow_id or f"{entry}-{uuid.uuid4().hex}"
        sender_text = sender.decode(errors="replace")
        existing = self.proxies.get(workflow_id)
        if existing is not None and policy == "fail":
            raise SpawnError(ErrorValue(f"workflow {workflow_id} is already running",
                                        "AlreadyExists", False))
        if existing is not None and policy == "use_existing":
            for topic, payload in queued:
                self.signal(workflow_id, topic, payload, sender_text)
            return existing
        if existing is not None:  # terminate_existing: the old run's process ends now
            del self.proxies[workflow_id]
            replaced = ErrorValue(f"workflow {workflow_id} terminated: replaced by a new run",
                                  CANCELED, False)
            self.sched.finish(existing, Exit(error=vm.error(replaced), error_value=replaced))
        proxy = Process(workflow_pid(self.id, workflow_id), entry, self.id)
        proxy.workflow = RemoteWorkflow(self, workflow_id)
        self.sched.procs[proxy.pid] = proxy
        self.proxies[workflow_id] = proxy
        self._submit(self._start(proxy, workflow_id, self.catalog.type_of(entry), data,
                                 policy, queued, sender_text, extra))
        return proxy

    async def _start(self, proxy: Process, workflow_id: str, type_name: str, data: list[Any],
                     policy: str, queued: list[tuple[str, Any]], sender: str,
                     extra: dict[str, Any]) -> None:
        accepted = False
        try:
            async with self._lock(workflow_id):
                client = await self._client()
                start_args: dict[str, Any] = {}
                if queued:  # the first message starts the run with it (SignalWithStart)
                    start_args = {"start_signal": queued[0][0],
                                  "start_signal_args": [signal_arg(queued[0][1], sender)]}
                handle: WorkflowHandle[Any, Any] = await client.start_workflow(
                    type_name, args=data, id=workflow_id,
                    id_conflict_policy=_CONFLICT[policy], **start_args, **extra)
                accepted = True
                self.bridge.call_soon(lambda: self._accepted(proxy))
                for topic, payload in queued[1:]:
                    await handle.signal(topic, signal_arg(payload, sender))
        except Exception as exc:
            if accepted:
                self._end(proxy, workflow_id, None, error_value(exc))
            else:  # no run: the spawn returns the error
                self._refuse(proxy, workflow_id, error_value(exc))
            return
        try:
            value = await handle.result(follow_runs=True)
        except Exception as exc:  # WorkflowFailureError: the run's error
            self._end(proxy, workflow_id, None, error_value(exc))
            return
        self._end(proxy, workflow_id, value, None)

    def _op_started(self, thread: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """``process.started``: the spawning thread waits for Temporal's answer."""
        pid = args[0]
        proxy = self.sched.procs.get(pid)
        remote = proxy.workflow if proxy is not None else None
        if isinstance(remote, RemoteWorkflow):
            return remote.await_start(pid, thread)
        return pid, None  # answered and ended already: its EXIT tells the rest

    def _accepted(self, proxy: Process) -> None:
        if isinstance(proxy.workflow, RemoteWorkflow) and proxy.workflow.starting:
            proxy.workflow.resolve(None)

    def _refuse(self, proxy: Process, workflow_id: str, error: ErrorValue) -> None:
        """Temporal refused the start: the spawn returns the error and the proxy goes
        away without an EXIT or LINK_DOWN (the caller never had a process)."""
        def refuse() -> None:
            if isinstance(proxy.workflow, RemoteWorkflow):
                proxy.workflow.resolve(error)
            if self.proxies.get(workflow_id) is proxy:
                del self.proxies[workflow_id]
            for watcher in list(proxy.monitored_by or ()):
                found = self.sched.procs.get(watcher)
                if found is not None:
                    self.lifecycle.unmonitor(found, proxy.pid)
            for peer in list(proxy.links or ()):
                self.lifecycle.unlink(proxy, peer)
            if proxy.alive:
                self.sched.finish(proxy, Exit(error=self.vm.error(error), error_value=error))

        self.bridge.call_soon(refuse)

    def _end(self, proxy: Process, workflow_id: str, value: Any,
             error: ErrorValue | None) -> None:
        """Ends a proxy with the workflow's outcome (posted to the trio thread)."""
        def finish() -> None:
            if self.proxies.get(workflow_id) is proxy:
                del self.proxies[workflow_id]
            if not proxy.alive:
                return
            if error is not None:
                self.sched.finish(proxy, Exit(error=self.vm.error(error), error_value=error))
            else:
                self.sched.finish(proxy, Exit(value=self.vm.to_lua(from_json(value))))

        self.bridge.call_soon(finish)

    # --------------------------------------------------------------- messages
    def signal(self, workflow_id: str, topic: str, payload: Any, sender: str) -> None:
        """Signals a workflow (after its start, in order with other operations)."""
        async def send(client: Client) -> None:
            await client.get_workflow_handle(workflow_id).signal(
                topic, signal_arg(payload, sender))
        self._submit(self._in_lane(workflow_id, send, f"signal {topic}"))

    def terminate(self, workflow_id: str, reason: str) -> None:
        """Terminates a workflow (``process.terminate`` from an actor)."""
        async def terminate(client: Client) -> None:
            await client.get_workflow_handle(workflow_id).terminate(reason=reason)
        self._submit(self._in_lane(workflow_id, terminate, "terminate"))

    def cancel(self, workflow_id: str, reason: str) -> None:
        """Requests a workflow's cancellation (a CANCEL event in the workflow)."""
        async def cancel(client: Client) -> None:
            await client.get_workflow_handle(workflow_id).cancel(reason=reason)
        self._submit(self._in_lane(workflow_id, cancel, "cancel"))

    async def _in_lane(self, workflow_id: str, action: Any, what: str) -> None:
        try:
            async with self._lock(workflow_id):
                await action(await self._client())
        except Exception as exc:  # a finished workflow: sends to dead PIDs are dropped
            log.debug("%s to workflow %s failed: %s", what, workflow_id, exc)

    def _lock(self, workflow_id: str) -> asyncio.Lock:
        lock = self._locks.get(workflow_id)
        if lock is None:
            lock = self._locks[workflow_id] = asyncio.Lock()
        return lock

    def _submit(self, coro: Any) -> None:
        if self._thread is None:
            coro.close()
            raise SpawnError(ErrorValue(f"temporal.worker {self.id} is not running",
                                        UNAVAILABLE, True))
        self._thread.submit(coro)


def _reason(exc: BaseException) -> str:
    """The gist of a connection error (the SDK wraps the OS error in transport text)."""
    text = str(exc).strip()
    found = re.search(r'message: "([^"]+)"', text)
    return found.group(1) if found else (text or type(exc).__name__)


def _wait(future: concurrent.futures.Future[Any], timeout: float) -> None:
    with contextlib.suppress(concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
        future.result(timeout)


def _tls(setting: bool | dict[str, Any] | None) -> bool | TLSConfig | None:
    if isinstance(setting, dict):
        return TLSConfig(**setting)
    return setting


def providers(registry: Registry, worker_ids: list[str], processes: ProcessApi, funcs: FuncsApi,
              instruction_budget: int = DEFAULT_INSTRUCTION_BUDGET) -> dict[str, TemporalProvider]:
    """One provider per ``temporal.worker`` whose client is a Temporal server.

    Raises:
        TemporalConfigError: a worker's client is missing or names an unreadable file.
    """
    configs = {}
    for worker_id in worker_ids:
        entry = registry.get(worker_id)
        assert entry is not None, worker_id
        configs[worker_id] = worker_config(registry, entry)
    queues = {worker_id: config.task_queue for worker_id, config in configs.items()}
    return {worker_id: TemporalProvider(config, registry, processes, funcs, queues,
                                        instruction_budget)
            for worker_id, config in configs.items()}

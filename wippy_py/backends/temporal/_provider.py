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
per ID), without blocking the trio dispatcher; only the spawning Lua thread waits
for the server's answer to the start, so a start it refuses
(``id_conflict_policy: fail`` on a running ID, server gone) is the spawn's error
(the starting side is in :mod:`._starts`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from typing import Any

import trio
from temporalio.client import Client
from temporalio.worker import Worker

from ...errors import WippyError
from ...lua import DEFAULT_INSTRUCTION_BUDGET
from ...process import FuncsApi, Process, ProcessApi
from ...registry import Registry
from ._bridge import LoopThread, NodeBridge, activity_function
from ._config import WorkerConfig, catalog, connect_reason, worker_config
from ._context import ContextInterceptor
from ._starts import StartsMixin
from ._workflow import workflow_class

log = logging.getLogger("wippy_py.temporal")

STOP_TIMEOUT = 30.0  # seconds for the worker to shut down


class TemporalUnavailable(WippyError):
    """The Temporal server of a worker cannot be reached (after the retries its
    lifecycle allows)."""


class TemporalProvider(StartsMixin):
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
        # Sends from actors to PIDs of this worker the node does not know (workflows
        # started elsewhere) become signals (StartsMixin.send_remote).
        self.router = processes.router
        self.router.remote_hosts[config.id.encode()] = self.send_remote
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
        """Detaches the proxies from the node (the workflows go on on Temporal) and
        stops taking sends to workflows it does not know."""
        for proxy in self.proxies.values():
            self.sched.procs.pop(proxy.pid, None)
        self.proxies.clear()
        self.router.remote_hosts.pop(self.id.encode(), None)

    async def _connect(self) -> None:
        client_config = self.config.client
        policy = self.config.lifecycle.restart
        attempt = 0
        while True:
            attempt += 1
            try:
                self.client = await asyncio.wait_for(Client.connect(
                    client_config.address, **client_config.connect_options(),
                    identity=self.config.options.get("identity"),
                ), client_config.connection_timeout)
                break
            except Exception as exc:
                reason = (f"no answer within connection_timeout "
                          f"({client_config.connection_timeout:g}s)"
                          if isinstance(exc, TimeoutError) else connect_reason(exc))
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


def _wait(future: concurrent.futures.Future[Any], timeout: float) -> None:
    with contextlib.suppress(concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
        future.result(timeout)


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

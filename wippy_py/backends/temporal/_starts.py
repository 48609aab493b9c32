"""Starting workflows on Temporal from the node's actors, and acting on them.

Mixed into :class:`~._provider.TemporalProvider`: ``process.spawn*`` on the worker
(:meth:`StartsMixin.start_from_lua`) creates the workflow's proxy process and starts
the run on the asyncio thread; the spawning Lua thread waits (op
``process.started``) for Temporal's answer, so a refused start is the spawn's error.
Signals, terminations and cancellations of a workflow go out in order per workflow
ID (a lock per ID), after its start.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from ...errors import CANCELED, INVALID, NOT_FOUND, UNAVAILABLE, ErrorValue
from ...process import Exit, Process, SpawnError
from ...workflow import OptionsError, StartOptions
from ..local._values import split_pid, workflow_pid
from ._options import CONTEXT_MEMO, start_options
from ._remote import RemoteWorkflow
from ._values import error_value, from_json, signal_arg, to_json

if TYPE_CHECKING:
    from ...registry import Registry
    from ._bridge import LoopThread, NodeBridge
    from ._config import Catalog, WorkerConfig

log = logging.getLogger("wippy_py.temporal")

_CONFLICT = {
    "use_existing": WorkflowIDConflictPolicy.USE_EXISTING,
    "fail": WorkflowIDConflictPolicy.FAIL,
    "terminate_existing": WorkflowIDConflictPolicy.TERMINATE_EXISTING,
}


class StartsMixin:
    """Starts of workflows by actors, and what actors do to them (the provider's)."""

    if TYPE_CHECKING:  # provided by TemporalProvider
        id: str
        config: WorkerConfig
        registry: Registry
        catalog: Catalog
        sched: Any
        vm: Any
        bridge: NodeBridge
        lifecycle: Any
        proxies: dict[str, Process]
        _thread: LoopThread | None
        _locks: dict[str, asyncio.Lock]

        async def _client(self) -> Client: ...

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
        extra["memo"] = self.catalog.pins.add_to(memo, entry)  # the run's code (_pins.py)
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
    def send_remote(self, dest: bytes, topic: bytes, data: Any, sender: bytes) -> Any:
        """``process.send`` from an actor to a PID ``{worker|id}`` of this worker that
        the node does not know (a workflow started elsewhere: the ``temporal`` CLI,
        another node): a signal named by the topic to that workflow ID. The router
        calls it only for unknown PIDs of this host (``Router.remote_hosts``); a
        workflow that does not exist drops the signal, as sends to dead PIDs are."""
        vm = self.vm
        parts = split_pid(dest)
        if parts is None:
            return True
        try:
            payload = to_json(vm.to_py(data))
        except ValueError as exc:
            return False, vm.error(ErrorValue(
                f"process.send: {exc} (workflow values must be plain data)", INVALID, False))
        try:
            self.signal(parts[1], topic.decode(errors="replace"), payload,
                        sender.decode(errors="replace"))
        except SpawnError as exc:  # the worker is not running
            return False, vm.error(exc.error)
        return True

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

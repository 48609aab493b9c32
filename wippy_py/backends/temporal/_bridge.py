"""The bridge between the app's trio runtime and the Temporal SDK's asyncio.

The SDK needs asyncio; the node runs trio. :class:`LoopThread` runs an asyncio loop
in a thread of its own (DESIGN 10). :class:`NodeBridge` lets asyncio code act on the
node: everything that touches the node's Lua runtime or scheduler is posted to the
trio thread with ``TrioToken.run_sync_soon`` (it runs between two dispatcher
batches, never inside one), and results come back with
``loop.call_soon_threadsafe`` — in batches: the outcomes of activities that end in
one dispatcher batch wake the asyncio loop once. Neither side ever blocks on the
other.

Activities run here: the dynamic activity (``activity_function``) executes the
``function.lua`` entry named by the activity type as an ordinary function process
of the node, with the workflow's ctx values (the ``wippy-context`` header of
``_context.py``) and ``idempotency_key`` (``<run id>:<activity id>``, the same on every
attempt), ``attempt`` and ``workflow_id`` in its ctx — as on the embedded engine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import trio
from temporalio import activity
from temporalio.common import RawValue

from ...errors import CANCELED, INTERNAL, UNAVAILABLE, ErrorValue
from ...process import Exit, FuncsApi, Process, ProcessApi
from ._context import incoming
from ._values import from_json, to_application_error, to_json

log = logging.getLogger("wippy_py.temporal")

CONTROL_KINDS = ("wippy.send", "wippy.terminate", "wippy.cancel")


class LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> None:
        """Starts the thread (the loop runs until :meth:`stop`)."""
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Runs ``coro`` on the loop; thread-safe."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, timeout: float) -> None:
        """Cancels what still runs on the loop, stops it and joins the thread."""
        if not self._thread.is_alive():
            return
        try:
            self.submit(_cancel_all()).result(timeout)
        except (concurrent.futures.TimeoutError, RuntimeError):
            log.warning("asyncio tasks of the Temporal backend did not stop in %.0fs", timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)


async def _cancel_all() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class NodeBridge:
    """What asyncio code (activities, proxies) asks of the node's trio runtime.

    Args:
        processes: The node's process API (router, lifecycle, scheduler).
        funcs: Function calls (activities run as function processes).
    """

    def __init__(self, processes: ProcessApi, funcs: FuncsApi) -> None:
        self.processes = processes
        self.funcs = funcs
        self.sched = processes.sched
        self.vm = processes.vm
        self._token: trio.lowlevel.TrioToken | None = None
        # Outcomes of activities for the asyncio thread: handed over in batches, one
        # wake-up of the loop for all that end in one dispatcher batch.
        self._outcomes: deque[tuple[asyncio.Future[Any], Any]] = deque()
        self._posted = False

    def bind(self) -> None:
        """Remembers the running trio loop (call from the trio thread)."""
        self._token = trio.lowlevel.current_trio_token()

    def call_soon(self, fn: Callable[[], None]) -> bool:
        """Runs ``fn`` on the trio thread; False when the node no longer runs."""
        if self._token is None:
            return False
        try:
            self._token.run_sync_soon(fn)
        except trio.RunFinishedError:
            return False
        return True

    # ------------------------------------------------------------ activities
    async def call_function(self, target: str, data: list[Any], context: dict[str, Any]
                            ) -> tuple[Any, ErrorValue | None, bool]:
        """Runs the ``function.lua`` entry ``target`` on the node; returns (JSON value,
        None, _) or (None, error, expected): ``expected`` when the function returned the
        error itself. Cancelling the call fails the function process."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[Any, ErrorValue | None, bool]] = loop.create_future()
        callee: list[Process] = []

        def resolve(value: Any, error: ErrorValue | None, expected: bool = False) -> None:
            self._hand_over(loop, done, (value, error, expected))

        def start() -> None:
            args = tuple(self.vm.to_lua(from_json(a)) for a in data)
            started = self.funcs.start(None, None, None, target.encode(), args)
            if isinstance(started, ErrorValue):
                resolve(None, started)
                return
            started.context = context
            callee.append(started)
            started.add_exit_callback(lambda _p, exit: resolve(*self._outcome(target, exit)))

        if not self.call_soon(start):
            return None, ErrorValue("the app is stopping", UNAVAILABLE, True), False
        try:
            return await done
        except asyncio.CancelledError:
            self.call_soon(lambda: self._stop(callee))
            raise

    def _hand_over(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any],
                   value: Any) -> None:
        # Trio thread. The item is queued before the flag is read, and the drain
        # clears the flag before it empties the queue: every item is settled by a
        # drain that runs after it was queued (no lock needed: one writer each).
        self._outcomes.append((future, value))
        if not self._posted:
            self._posted = True
            loop.call_soon_threadsafe(self._settle_outcomes)

    def _settle_outcomes(self) -> None:
        # asyncio thread.
        self._posted = False
        outcomes = self._outcomes
        while outcomes:
            future, value = outcomes.popleft()
            _settle(future, value)

    def _outcome(self, target: str, exit: Exit) -> tuple[Any, ErrorValue | None, bool]:
        if exit.ok:
            try:
                return to_json(self.vm.to_py(exit.value)), None, False
            except ValueError as exc:
                return None, ErrorValue(f"activity {target} returned a value that cannot be "
                                        f"sent to Temporal: {exc}", INTERNAL, False), False
        error = exit.error_value or ErrorValue("activity failed", INTERNAL, False)
        if not error.kind:  # a Lua runtime error (Wippy: Internal, not retryable)
            return None, dataclasses.replace(error, kind=INTERNAL), False
        return None, error, True  # an error the function returned on purpose

    def _stop(self, callee: list[Process]) -> None:
        for proc in callee:
            if proc.alive:
                self.sched.fail(proc, ErrorValue("activity cancelled", CANCELED, False))

    # --------------------------------------------------------------- control
    def control(self, kind: str, data: list[Any]) -> None:
        """A workflow's send/terminate/cancel aimed at a process of the node."""
        self.call_soon(lambda: self._control(kind, data))

    def _control(self, kind: str, data: list[Any]) -> None:
        router = self.processes.router
        target, _ = router.resolve(str(data[0]).encode())
        if target is None:
            return  # a dead PID or an unknown name: dropped, as sends to dead PIDs are
        if kind == "wippy.send":
            topic, message, sender = str(data[1]).encode(), data[2], str(data[3]).encode()
            lua = self.vm.to_lua(from_json(message))
            if target.workflow is not None:
                target.workflow.receive(topic, lua, sender)
            else:
                router.send_from_host(target, topic, lua, sender)
        elif kind == "wippy.terminate":
            if target.workflow is not None:
                target.workflow.terminate_request()
            else:
                self.processes.terminate(target)
        elif kind == "wippy.cancel":
            reason, sender = str(data[1]).encode(), str(data[2]).encode()
            if target.workflow is not None:
                target.workflow.cancel_request(sender, reason)
            else:
                self.processes.cancel(target, reason.decode(), sender)


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def activity_function(bridge: NodeBridge) -> Callable[..., Any]:
    """The dynamic activity of a worker: runs the ``function.lua`` named by the
    activity type (and the control activities of workflows)."""

    @activity.defn(dynamic=True)
    async def run_function(args: Sequence[RawValue]) -> Any:
        info = activity.info()
        converter = activity.payload_converter()
        data = [converter.from_payload(arg.payload) for arg in args]
        if info.activity_type in CONTROL_KINDS:
            bridge.control(info.activity_type, data)
            return None
        context = dict(incoming.get() or {})  # the workflow's ctx (_context.py)
        context.update({"idempotency_key": f"{info.workflow_run_id}:{info.activity_id}",
                        "attempt": info.attempt, "workflow_id": info.workflow_id})
        value, error, expected = await bridge.call_function(info.activity_type, data,
                                                            context)
        if error is not None:
            raise to_application_error(error, expected=expected)
        return value

    return run_function

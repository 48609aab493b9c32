"""One Temporal workflow run: the Lua process, its hooks and the loop that drives it.

:class:`TemporalRun` is the ``Process.workflow`` of the run's Lua process: it
implements the same :class:`~wippy_py.process._hooks.WorkflowHooks` protocol as the
embedded engine's run, so the Lua glue is unchanged; each hook is answered from
Temporal's deterministic sources (``workflow.time_ns``, ``uuid4``) or becomes a
Temporal command (activities and timers in :mod:`._commands`, messages and
child workflows in :mod:`._messages`).

Determinism: Temporal replays a run by feeding the same activations, in the same
grouping, to a fresh instance. Everything the Lua code sees arrives as an *event*
(activity and child results, timer firings, signals, cancellation) put in a queue
by a Temporal callback, and events are handed to Lua one at a time, only while no
Lua thread is ready — the embedded engine's discipline — so the same activations
give the same Lua execution.
"""

from __future__ import annotations

import uuid as _uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from temporalio import workflow

from ...errors import CANCELED, INVALID, ErrorValue
from ...lua import as_text
from ...process import Exit, Process
from ...workflow import LuaRandom
from ..local._values import workflow_pid
from ._commands import CommandsMixin
from ._values import from_json, to_json

if TYPE_CHECKING:
    from ._config import Catalog
    from ._vm import WorkflowVM

_UUID_EPOCH = 0x01B21DD213814000  # 100 ns intervals between 1582-10-15 and 1970-01-01


class TemporalRun(CommandsMixin):
    """The live state of one run inside a Temporal worker.

    Args:
        wvm: The run's own Lua runtime.
        catalog: Task queues and workflow types of the app.
        entry_id: The ``workflow.lua`` entry the run executes.
        events: The queue Temporal callbacks (and signal handlers) append to.
    """

    def __init__(self, wvm: WorkflowVM, catalog: Catalog, entry_id: str,
                 events: deque[Callable[[], None]]) -> None:
        info = workflow.info()
        self.wvm = wvm
        self.vm = wvm.vm
        self.sched = wvm.sched
        self.catalog = catalog
        self.entry_id = entry_id
        self.events = events
        self.workflow_id = info.workflow_id
        self.run_id = info.run_id
        self.worker_id = catalog.worker.id
        self.pid = workflow_pid(self.worker_id, self.workflow_id)
        self.proc: Process = Process(self.pid, entry_id, self.worker_id)
        self.seq = 0
        self.pending: dict[int, Any] = {}
        self.children: dict[bytes, Any] = {}
        self.signal_tails: dict[str, Any] = {}  # workflow ID -> its last signal's task
        self.outbound: list[Any] = []  # sends/cancels in flight (awaited at the end)
        self.rng = LuaRandom(self.run_id)
        self.outcome: str | None = None  # "continued", "terminated"
        self.continue_to: tuple[str, list[Any]] | None = None
        self.continue_memo: dict[str, Any] | None = None
        self.closed = False

    # ------------------------------------------------------------ driving
    def start(self, data: list[Any], context: dict[str, Any] | None) -> None:
        """Creates the Lua process with the workflow's input (JSON values)."""
        loaded = self.wvm.loader.load(self.entry_id, ("workflow.lua",))
        proc = self.proc
        proc.workflow = self
        proc.ops = self.sched.op_table(self.op_table())
        proc.context = context
        args = tuple(self.vm.to_lua(from_json(a)) for a in data)
        co = self.vm.new_process_thread(loaded.factory, loaded.env_mt, loaded.method, args)
        self.sched.start_process(proc, co)

    def drive(self) -> None:
        """Runs Lua until every thread waits on Temporal, delivering queued events one
        at a time while idle."""
        sched, proc, events = self.sched, self.proc, self.events
        sched.run_until_idle()  # threads are ready only after start() or an event
        while proc.alive and events:
            events.popleft()()
            sched.run_until_idle()

    @property
    def has_work(self) -> bool:
        """True when an event waits to be driven. (:meth:`drive` returns only once no
        Lua thread is ready, and between two drives only events reach the Lua side:
        Temporal's callbacks and the signal handler append to the queue, nothing
        else runs Lua; so no call into Lua is needed to know.)"""
        return bool(self.events)

    @property
    def exit(self) -> Exit | None:
        """How the Lua process ended (None while it runs)."""
        return None if self.proc.alive else self.proc.exit

    def result(self) -> Any:
        """The run's result as JSON data (call once the process ended).

        Raises:
            ValueError: the returned value cannot be converted (a function, ...).
        """
        exit = self.proc.exit
        assert exit is not None and exit.ok
        return to_json(self.vm.to_py(exit.value))

    def close(self) -> None:
        """Hands the runtime back (the run ended, or Temporal evicted it): the pool
        reuses it when nothing of the run is left in it, else drops it."""
        self.pending.clear()
        self.children.clear()
        self.signal_tails.clear()
        if not self.closed:
            self.closed = True
            self.catalog.vms.give(self.wvm)

    # ------------------------------------------------------------- events
    def deliver_signal(self, topic: str, data: Any, sender: str) -> None:
        """A signal (``process.send`` from elsewhere): a message on ``topic``."""
        self.wvm.processes.router.send_from_host(
            self.proc, topic.encode(), self.vm.to_lua(from_json(data)), sender.encode())

    def deliver_cancel(self, reason: str) -> None:
        """Temporal's cancellation request: a CANCEL event on ``process.events()``."""
        self.wvm.processes.lifecycle.cancel(self.proc, b"", reason.encode(), self.lua_now())

    def lua_now(self) -> Any:
        """The workflow time as a Lua Time."""
        return self.wvm.stdlib.time.lua_time(workflow.time_ns())

    # -------------------------------------------------------- side effects
    def settle(self) -> None:
        """Events are delivered by :meth:`drive`, between threads."""

    def record(self, kind: str, target: str, produce: Callable[[], Any]) -> Any:
        """``time.now`` and uuids from Temporal's deterministic sources (no events
        in the history: replay computes the same values)."""
        if kind == "now":
            return workflow.time_ns()
        if kind == "uuid":
            if target == "v4":
                return str(workflow.uuid4())
            if target == "v7":
                return str(workflow.uuid7())
            if target == "v1":
                return _uuid_v1(workflow.time_ns(), workflow.random().getrandbits(62))
        raise ValueError(f"unknown recorded side effect {kind} {target}")

    def random(self, low: Any, high: Any) -> Any:
        """``math.random``: the run's generator (seeded by the run ID, so replay draws
        the same numbers, as on the embedded engine)."""
        return self.rng.draw(low, high)

    # ------------------------------------------------------------- control
    def refused(self, what: str) -> Any:
        """The error of ``monitor``/``link`` in a workflow."""
        return self.invalid(f"process.{what} is not supported in workflow context")

    def terminate_request(self) -> None:
        """The workflow terminates itself: it fails with Canceled."""
        self.outcome = "terminated"
        self.sched.fail(self.proc, ErrorValue("workflow terminated", CANCELED, False))

    def cancel_request(self, sender: bytes, reason: bytes) -> None:
        """The workflow cancels itself: a CANCEL event."""
        text = as_text(reason)
        self.events.append(lambda: self.deliver_cancel(text))

    def receive(self, topic: bytes, data: Any, sender: bytes) -> Any:
        """A message to this workflow from its own runtime: delivered as a signal."""
        payload = self.to_json(data, "process.send")
        topic_text, sender_text = as_text(topic), as_text(sender)
        self.events.append(lambda: self.deliver_signal(topic_text, payload, sender_text))
        return True

    # ------------------------------------------------------------ workflow
    def info(self) -> dict[str, Any]:
        """``workflow.info()``."""
        info = workflow.info()
        return {
            "workflow_id": info.workflow_id,
            "run_id": info.run_id,
            "workflow_type": info.workflow_type,
            "task_queue": info.task_queue,
            "namespace": info.namespace,
            "attempt": info.attempt,
            "history_length": info.get_current_history_length(),
            "history_size": info.get_current_history_size(),
        }

    def version(self, change_id: str, min_supported: int,
                max_supported: int) -> tuple[Any, Any]:
        """``workflow.version`` on Temporal patches: one patch marker per version
        (``change@N``). A new run records ``max_supported``; a replay finds the marker
        its run recorded; a run that started before the call existed gets
        ``min_supported``."""
        if max_supported < min_supported:
            return None, self.invalid(f"workflow.version({change_id!r}): max_supported "
                                      f"{max_supported} < min_supported {min_supported}")
        for candidate in range(max_supported, min_supported - 1, -1):
            if workflow.patched(f"{change_id}@{candidate}"):
                return candidate, None
        return min_supported, None

    def attrs(self, values: Any) -> tuple[Any, Any]:
        """``workflow.attrs{memo=}`` upserts the memo; search attributes need typed keys
        registered on the server and are not mapped yet."""
        try:
            data = self.to_json(values, "workflow.attrs")
        except ValueError as exc:
            return False, self.invalid(str(exc))
        if not isinstance(data, dict):
            return False, self.invalid("workflow.attrs expects a table {search=, memo=}")
        if data.get("search"):
            return False, self.invalid("workflow.attrs: search attributes are not supported "
                                       "on the Temporal backend yet (memo is)")
        if data.get("memo"):
            workflow.upsert_memo(data["memo"])
        return True, None

    def history_length(self) -> int:
        """Events in the run's Temporal history so far."""
        return workflow.info().get_current_history_length()

    # ------------------------------------------------------------- helpers
    def next_seq(self) -> int:
        """The number of the next command (deterministic: replays count alike)."""
        seq = self.seq
        self.seq += 1
        return seq

    def to_json(self, value: Any, what: str) -> Any:
        """A Lua value as JSON data; ValueError names ``what`` when it cannot be."""
        try:
            return to_json(self.vm.to_py(value))
        except ValueError as exc:
            raise ValueError(f"{what}: {exc} (workflow values must be plain data)") from exc

    def invalid(self, message: str) -> Any:
        """A Lua ``Invalid`` error object."""
        return self.vm.error(ErrorValue(message, INVALID, False))


def _uuid_v1(now_ns: int, bits: int) -> str:
    """A version-1 UUID at the workflow time, clock sequence and node drawn from the
    workflow's random source (a multicast node, as RFC 4122 asks for random nodes)."""
    ticks = now_ns // 100 + _UUID_EPOCH
    clock_seq = bits & 0x3FFF
    node = (bits >> 14) & 0xFFFFFFFFFFFF | 0x010000000000
    return str(_uuid.UUID(fields=(ticks & 0xFFFFFFFF, (ticks >> 32) & 0xFFFF,
                                  ((ticks >> 48) & 0x0FFF) | 0x1000,
                                  0x80 | (clock_seq >> 8), clock_seq & 0xFF, node)))

"""The Python side of the ``funcs`` module: calls of ``function.lua`` entries.

Each call runs the function as a short-lived process of its own (PID
``{ns:name|0x...}``) in the shared runtime, with a fresh instance of the entry, so a
function can itself block (call other functions, sleep) without blocking its caller's
other threads. The caller is resumed with ``result, err`` when the callee ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import CANCELED, INVALID, NOT_FOUND, TIMEOUT, EntryError, ErrorValue
from ..lua import LuaLoadError, as_text
from ._channel import Channel
from ._loader import EntryLoader, LoadedEntry
from ._model import Exit, Process, Thread
from ._scheduler import Scheduler

PENDING, DONE, FAILED, CANCELLED = 0, 1, 2, 3


class Future:
    """The result of ``funcs.async``: a pending call whose outcome arrives later."""

    __slots__ = ("callee", "channel", "error", "owner", "state", "value")

    def __init__(self, owner: Process, callee: Process) -> None:
        self.owner = owner
        self.callee = callee
        self.state = PENDING
        self.value: Any = None
        self.error: Any = None
        self.channel: Channel | None = None


class FuncsApi:
    """Starts function calls for Lua threads.

    Args:
        scheduler: The dispatcher.
        loader: Compiles entries.
        new_channel: Creates a channel (for ``future:response()``).
    """

    def __init__(
        self, scheduler: Scheduler, loader: EntryLoader, new_channel: Callable[[int], Channel]
    ) -> None:
        self.sched = scheduler
        self.loader = loader
        self.vm = scheduler.vm
        self._new_channel = new_channel
        self._by_target: dict[bytes, LoadedEntry] = {}
        scheduler.register_op("funcs.call", self._op_call)

    def functions(self) -> dict[str, Any]:
        """The callables the glue receives as ``py``."""
        return {
            "async": self._async,
            "future_channel": lambda future: self._future_channel(future).lua,
            "future_state": _future_state,
            "future_result": _future_result,
            "future_cancel": self._future_cancel,
        }

    # ---------------------------------------------------------------- starting
    def start(
        self, caller: Process | None, context: Any, options: Any, target: Any, args: tuple[Any, ...]
    ) -> Process | ErrorValue:
        """Starts ``target(*args)`` as a function process, or returns why it cannot."""
        loaded = self._by_target.get(target) if isinstance(target, bytes) else None
        if loaded is None:
            checked = self.check_target(target)
            if isinstance(checked, ErrorValue):
                return checked
            loaded = checked
        target_id = loaded.entry_id
        proc = Process(self.sched.new_pid(target_id), target_id, target_id)
        if (caller is not None and caller.context is not None) or context is not None:
            proc.context = _merge_context(caller.context if caller else None, context, self.vm)
        co = self.vm.new_process_thread(loaded.factory, loaded.env_mt, loaded.method, args)
        self.sched.start_process(proc, co, front=True)
        if options is not None:
            self._arm_timeout(proc, options, target_id)
        return proc

    def check_target(self, target: Any) -> LoadedEntry | ErrorValue:
        """Resolves a call target, or returns why it cannot be called."""
        loaded = self._by_target.get(target) if isinstance(target, bytes) else None
        if loaded is not None:
            return loaded
        target_id = as_text(target) if isinstance(target, bytes) else target
        if not isinstance(target_id, str) or not target_id:
            return ErrorValue("function ID must be a non-empty string", INVALID, False)
        namespace, _, name = target_id.partition(":")
        if not namespace or not name:
            return ErrorValue(
                f"invalid function ID {target_id!r}: namespace required in function ID "
                "(write ns:name)", INVALID, False,
            )
        entry = self.loader.registry.get(target_id)
        if entry is None:
            return ErrorValue(f"function {target_id} not found", NOT_FOUND, False)
        if entry.kind != "function.lua":
            return ErrorValue(
                f"{target_id} is a {entry.kind}, not a function.lua", INVALID, False
            )
        try:
            loaded = self.loader.load(target_id, ("function.lua",))
        except (EntryError, LuaLoadError) as exc:
            return ErrorValue(str(exc), "Internal", False)
        self._by_target[target] = loaded
        return loaded

    def _arm_timeout(self, proc: Process, options: Any, target_id: str) -> None:
        timeout_ms = _timeout_ms(options, self.vm)
        if timeout_ms:
            handle = self.sched.call_at(
                self.sched.now() + timeout_ms / 1000,
                lambda: self.sched.fail(
                    proc, ErrorValue(f"function {target_id} timed out", TIMEOUT, True)
                ),
            )
            proc.add_exit_callback(lambda _p, _e: self.sched.cancel_timer(handle))

    def _cancel_callee(self, callee: Process) -> None:
        if callee.alive:
            self.sched.fail(callee, ErrorValue("caller ended", CANCELED, False))

    def _op_call(self, thread: Thread, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        context, options, target = args[0], args[1], args[2]
        started = self.start(thread.proc, context, options, target, args[3:])
        if isinstance(started, ErrorValue):
            return (None, self.vm.error(started))
        self.sched.block_on_op(thread)
        wake = self.sched.wake

        def resume(_callee: Process, exit: Exit) -> None:
            wake(thread, (exit.value, None) if exit.ok else (None, exit.error))

        started.add_exit_callback(resume)
        return None

    # ----------------------------------------------------------------- futures
    def _async(self, context: Any, options: Any, target: Any, *args: Any) -> tuple[Any, Any]:
        caller = self.sched.current
        if caller is not None and caller.workflow is not None:
            return caller.workflow.funcs_async(
                context, options, target, args
            )
        started = self.start(caller, context, options, target, args)
        if isinstance(started, ErrorValue):
            return None, self.vm.error(started)
        assert caller is not None
        future = Future(caller, started)
        caller.pending += 1
        started.add_exit_callback(lambda _p, exit: self._complete(future, exit))
        return future, None

    def _complete(self, future: Future, exit: Exit) -> None:
        if future.state == CANCELLED:
            return
        future.owner.pending -= 1
        if exit.ok:
            future.state, future.value = DONE, exit.value
        else:
            future.state, future.error = FAILED, exit.error
        if future.channel is not None:
            self._fill(future)

    def _fill(self, future: Any) -> None:
        channel = future.channel
        assert channel is not None
        if future.state == DONE:
            channel.deliver(self.vm.new_payload(future.value))
        elif future.state == FAILED:
            channel.deliver(self.vm.new_payload(future.error))
        channel.close()

    def _future_channel(self, future: Any) -> Channel:
        if future.channel is None:
            future.channel = self._new_channel(1)
            if future.state != PENDING:
                self._fill(future)
        return future.channel

    def complete_future(self, future: Any, ok: bool, outcome: Any) -> None:
        """Settles a future created elsewhere (a workflow's activity) with a Lua value
        (``ok``) or a Lua error, and fills its response channel if one was asked for."""
        future.state, future.value, future.error = (
            (DONE, outcome, None) if ok else (FAILED, None, outcome)
        )
        if future.channel is not None:
            self._fill(future)

    def _future_cancel(self, future: Any) -> tuple[bool, Any]:
        proc = self.sched.current
        if proc is not None and proc.workflow is not None:
            return proc.workflow.future_cancel(future)
        if future.state != PENDING:
            return False, None
        future.state = CANCELLED
        future.owner.pending -= 1
        future.error = self.vm.error(ErrorValue("call canceled", CANCELED, False))
        self._cancel_callee(future.callee)
        if future.channel is not None:
            future.channel.close()
        return True, None


def _future_state(future: Any) -> int:
    return int(future.state)


def _future_result(future: Any) -> tuple[int, Any, Any]:
    return future.state, future.value, future.error


def _merge_context(inherited: Any, extra: Any, vm: Any) -> Any:
    if extra is None:
        return inherited
    merged = dict(inherited or {})
    merged.update(vm.to_py(extra))
    return merged


def _timeout_ms(options: Any, vm: Any) -> int:
    if options is None:
        return 0
    value = options[b"timeout"]
    if isinstance(value, int | float) and value > 0:
        return int(value)
    return 0

"""The seam between the actor runtime and durable workflows.

A workflow runs as an ordinary :class:`~._model.Process` whose ``workflow`` slot holds
an interceptor and whose ``ops`` slot replaces some yielded operations (``funcs.call``,
``time.sleep``, ``process.wait``, ``process.upgrade``). Every host call of the process
API that touches the outside world or reads the clock asks ``proc.workflow`` first; the
interceptor journals it, or serves it from the journal during replay. The workflow
backends (``wippy_py.backends``) implement this protocol; the process layer only calls
it, so it never learns about journals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class WorkflowHooks(Protocol):
    """What the process layer asks of a running workflow instance.

    Lua values passed in are only valid during the call: an implementation converts
    what it keeps to Python values.
    """

    def settle(self) -> None:
        """Called after a thread of the workflow ran: deliver the next event if idle."""

    def record(self, kind: str, target: str, produce: Callable[[], Any]) -> Any:
        """A side effect (``now``, ``uuid``): ``produce()`` live, the journal's value on
        replay. Returns a Python value."""

    def random(self, low: Any, high: Any) -> Any:
        """``math.random`` from the run's deterministic generator."""

    def after(self, ns: int) -> Any:
        """``time.after``: a channel that receives the time once a durable timer fires."""

    def timer_new(self, ns: int, repeat: bool) -> Any:
        """``time.timer`` / ``time.ticker``: a handle with a ``channel`` attribute."""

    def timer_stop(self, timer: Any) -> bool:
        """Stops a durable timer; True when it was still armed."""

    def timer_reset(self, timer: Any, ns: int) -> bool:
        """Re-arms a durable timer; True when it was still armed."""

    def funcs_async(
        self, context: Any, options: Any, target: Any, args: tuple[Any, ...]
    ) -> tuple[Any, Any]:
        """``funcs.async``: (future, nil) or (nil, error)."""

    def future_cancel(self, future: Any) -> tuple[bool, Any]:
        """``future:cancel()`` of an activity started by this workflow."""

    def send(self, dest: Any, topic: bytes, data: Any) -> Any:
        """``process.send`` from the workflow."""

    def receive(self, topic: bytes, data: Any, sender: bytes) -> Any:
        """A message sent *to* the workflow by a process: becomes a durable signal."""

    def spawn(
        self, entry: Any, host: Any, mode: int, context: Any, name: Any, messages: Any,
        options: Any, args: tuple[Any, ...],
    ) -> tuple[Any, Any]:
        """``process.spawn*`` from the workflow: a child workflow, (pid, nil) or (nil, err)."""

    def terminate(self, dest: Any) -> tuple[Any, Any, bool]:
        """``process.terminate`` from the workflow."""

    def cancel(self, dest: Any, reason: Any) -> tuple[Any, Any]:
        """``process.cancel`` from the workflow."""

    def refused(self, what: str) -> Any:
        """The Lua error for a call workflows may not make (``monitor``, ``link``)."""

    def terminate_request(self) -> None:
        """Another process terminates this workflow."""

    def cancel_request(self, sender: bytes, reason: bytes) -> None:
        """Another process cancels this workflow (a durable CANCEL event)."""

    def info(self) -> Any:
        """``workflow.info()``: a Python dict."""

    def version(self, change_id: str, min_supported: int, max_supported: int) -> Any:
        """``workflow.version``: (version, nil) or (nil, error)."""

    def attrs(self, values: Any) -> Any:
        """``workflow.attrs``: records search attributes and memo."""

    def history_length(self) -> int:
        """Records in the run's history so far."""


def workflow_of(proc: Any) -> WorkflowHooks | None:
    """The interceptor of ``proc`` when it is a workflow (None for actors and hosts)."""
    return proc.workflow if proc is not None else None

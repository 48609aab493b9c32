"""The proxy side of a workflow on Temporal: what the node's actors do to it.

A workflow started by an actor runs on Temporal; in the node it is a *proxy*
process with the workflow's PID whose ``workflow`` slot is a :class:`RemoteWorkflow`.
The process layer asks that slot, as it asks an embedded run, when an actor sends
to, terminates or cancels the workflow (``process/_hooks.py``); the proxy never runs
Lua itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import INVALID, ErrorValue
from ._values import to_json

if TYPE_CHECKING:
    from ._starts import StartsMixin


class RemoteWorkflow:
    """The workflow hooks of a proxy process: what actors do to a workflow that runs
    on Temporal (the proxy itself never runs Lua)."""

    def __init__(self, provider: StartsMixin, workflow_id: str) -> None:
        self.provider = provider
        self.workflow_id = workflow_id
        # True until Temporal accepted (or refused) the start; the spawning Lua thread
        # waits for the answer (op ``process.started``), so a refusal is its spawn error.
        self.starting = True
        self.refusal: ErrorValue | None = None
        self.waiters: list[Any] = []

    def await_start(self, pid: bytes, thread: Any) -> tuple[Any, ...] | None:
        """The op of a spawn waiting for the start: (pid, nil) once accepted, (nil,
        err) when refused, else blocks ``thread`` until :meth:`resolve`."""
        if self.refusal is not None:
            return None, self.provider.vm.error(self.refusal)
        if not self.starting:
            return pid, None
        self.waiters.append((pid, thread))
        self.provider.sched.block_on_op(thread)
        return None

    def resolve(self, refusal: ErrorValue | None) -> None:
        """Temporal's answer to the start: wakes the spawning threads."""
        self.starting = False
        self.refusal = refusal
        waiters, self.waiters = self.waiters, []
        for pid, thread in waiters:
            if refusal is None:
                self.provider.sched.wake(thread, (pid, None))
            else:
                self.provider.sched.wake(thread, (None, self.provider.vm.error(refusal)))

    def settle(self) -> None:
        """Nothing to deliver: the workflow runs on Temporal."""

    def receive(self, topic: bytes, data: Any, sender: bytes) -> Any:
        """``process.send`` to the workflow: a signal named by the topic."""
        try:
            payload = to_json(self.provider.vm.to_py(data))
        except ValueError as exc:
            return False, self.provider.vm.error(ErrorValue(
                f"process.send: {exc} (workflow values must be plain data)", INVALID, False))
        self.provider.signal(self.workflow_id, topic.decode(errors="replace"), payload,
                             sender.decode(errors="replace"))
        return True

    def terminate_request(self) -> None:
        """``process.terminate``: terminates the workflow."""
        self.provider.terminate(self.workflow_id, "terminated by a process")

    def cancel_request(self, sender: bytes, reason: bytes) -> None:
        """``process.cancel``: Temporal's cancellation request."""
        self.provider.cancel(self.workflow_id, reason.decode(errors="replace"))

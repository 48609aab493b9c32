"""Links, monitors, terminate/cancel and exit propagation (Wippy's OTP-like signals).

When a process ends, in this order: its names are released; the monitors it held are
dropped; every process monitoring it gets an EXIT event (any exit); every linked
process, on an *abnormal* exit only, gets a LINK_DOWN event when it traps links or
else fails with "linked process failed". Failures cascade through a work queue, not
recursion, so a long chain of links cannot overflow the Python stack.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import CANCELED, INTERNAL, NOT_FOUND, ErrorValue
from ._messaging import Router
from ._model import Exit, Process
from ._names import NameRegistry
from ._scheduler import Scheduler

TERMINATED = ErrorValue("process terminated", CANCELED, None)
# Reasons the host uses when it cancels processes at shutdown.
REASON_SERVICE_STOPPING = "service stopping"
REASON_SCHEDULER_SHUTDOWN = "scheduler shutdown"


def _add(proc: Process, attr: str, pid: bytes) -> None:
    peers = getattr(proc, attr)
    if peers is None:
        peers = set()
        setattr(proc, attr, peers)
    peers.add(pid)


def _discard(proc: Process | None, attr: str, pid: bytes) -> None:
    if proc is None:
        return
    peers = getattr(proc, attr)
    if peers:
        peers.discard(pid)


class Lifecycle:
    """Exit signals between processes.

    Args:
        scheduler: The dispatcher; this object listens to its process exits.
        router: Delivers events.
        names: Names are released here when their owner exits.
        now_time: Returns the current time as a Lua Time (event ``at`` fields).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        router: Router,
        names: NameRegistry,
        now_time: Callable[[], Any],
    ) -> None:
        self.sched = scheduler
        self.procs = scheduler.procs
        self.router = router
        self.names = names
        self.now_time = now_time
        self._pev_exit: Any = None
        self._pev_link_down: Any = None
        self._pev_cancel: Any = None
        self._doomed: deque[tuple[Process, ErrorValue]] = deque()
        self._draining = False
        scheduler.exit_listeners.append(self._on_exit)

    def bind(self, kernel: Any) -> None:
        """Caches the event constructors the process glue put on the kernel.

        Called once the glue is built: lupa 2.8 mis-reads an index of a pre-existing Lua
        table from inside a callback of a coroutine (it returns ``(thread, value)``), so
        code that runs during a Lua call only calls cached functions.
        """
        self._pev_exit = kernel.pev_exit
        self._pev_link_down = kernel.pev_link_down
        self._pev_cancel = kernel.pev_cancel

    # ------------------------------------------------------------- links
    def link(self, proc: Process, peer: Process) -> None:
        """Links two live processes (idempotent; a self-link is ignored)."""
        if proc is peer:
            return
        _add(proc, "links", peer.pid)
        _add(peer, "links", proc.pid)

    def unlink(self, proc: Process, peer_pid: bytes) -> None:
        """Removes the link between ``proc`` and ``peer_pid`` (both directions)."""
        _discard(proc, "links", peer_pid)
        _discard(self.procs.get(peer_pid), "links", proc.pid)

    def link_dead(self, proc: Process, pid: bytes) -> bool:
        """``link`` to a process that is not alive (OTP ``noproc``).

        Returns:
            True when ``proc`` traps links (it gets a LINK_DOWN event at once), False
            when the caller should get a NotFound error instead.
        """
        if not proc.trap_links:
            return False
        error = self.sched.vm.error(ErrorValue("process not found", NOT_FOUND, False))
        event = self._pev_link_down(pid, self.now_time(), None, error)
        self.router.deliver_event(proc, event)
        return True

    # ----------------------------------------------------------- monitors
    def monitor(self, watcher: Process, target: Process) -> None:
        """``watcher`` gets an EXIT event when ``target`` ends."""
        if watcher is target:
            return
        _add(watcher, "monitoring", target.pid)
        _add(target, "monitored_by", watcher.pid)

    def monitor_dead(self, watcher: Process, pid: bytes) -> None:
        """Monitoring a process that is not alive: an immediate EXIT (OTP ``noproc``)."""
        error = self.sched.vm.error(ErrorValue("process not found", NOT_FOUND, False))
        self.router.deliver_event(
            watcher, self._pev_exit(pid, self.now_time(), None, error)
        )

    def unmonitor(self, watcher: Process, pid: bytes) -> None:
        """Stops ``watcher`` monitoring ``pid``."""
        _discard(watcher, "monitoring", pid)
        _discard(self.procs.get(pid), "monitored_by", watcher.pid)

    # ---------------------------------------------------- terminate, cancel
    def terminate(self, target: Process) -> None:
        """Ends ``target`` with the error "process terminated"."""
        self.sched.fail(target, TERMINATED)

    def cancel(self, target: Process, sender: bytes, reason: bytes, at: Any = None) -> None:
        """Delivers a CANCEL event (advisory: the target decides what to do).

        ``at`` (a Lua Time) defaults to now; workflows pass the journaled time.
        """
        event = self._pev_cancel(sender, reason, at if at is not None else self.now_time())
        self.router.deliver_event(target, event)

    def deliver_exit(self, watcher: Process, pid: bytes, at: Any, value: Any, error: Any) -> None:
        """Delivers an EXIT event of ``pid`` (Lua value or error) to ``watcher``."""
        self.router.deliver_event(watcher, self._pev_exit(pid, at, value, error))

    # --------------------------------------------------------------- exits
    def _on_exit(self, proc: Process, exit: Exit) -> None:
        self.names.release(proc)
        procs = self.procs
        pid = proc.pid
        if proc.monitoring:
            for target in proc.monitoring:
                _discard(procs.get(target), "monitored_by", pid)
            proc.monitoring = None
        at = None
        if proc.monitored_by:
            at = self.now_time()
            make_exit = self._pev_exit
            for watcher_pid in proc.monitored_by:
                watcher = procs.get(watcher_pid)
                if watcher is not None:
                    _discard(watcher, "monitoring", pid)
                    self.router.deliver_event(watcher, make_exit(pid, at, exit.value, exit.error))
            proc.monitored_by = None
        if proc.links:
            self._notify_links(proc, exit, at)

    def _notify_links(self, proc: Process, exit: Exit, at: Any) -> None:
        procs = self.procs
        pid = proc.pid
        links, proc.links = proc.links, None
        assert links is not None
        for peer_pid in links:
            peer = procs.get(peer_pid)
            if peer is None:
                continue
            _discard(peer, "links", pid)
            if exit.ok:
                continue  # LINK_DOWN only on abnormal exits
            if peer.trap_links:
                if at is None:
                    at = self.now_time()
                event = self._pev_link_down(pid, at, exit.value, exit.error)
                self.router.deliver_event(peer, event)
            else:
                reason = exit.error_value.message if exit.error_value else ""
                self._doomed.append((peer, ErrorValue(
                    "linked process failed", INTERNAL, None,
                    {"from": pid.decode(errors="replace"), "reason": reason},
                )))
        self._drain()

    @property
    def settled(self) -> bool:
        """True when no linked process is still waiting to be failed (a link's
        failure is queued while an exit is being handled, then drained)."""
        return not self._doomed

    def _drain(self) -> None:
        if self._draining:
            return  # an outer call is draining; the new victims are already queued
        self._draining = True
        try:
            while self._doomed:
                peer, error = self._doomed.popleft()
                self.sched.fail(peer, error)  # no-op when it already died
        finally:
            self._draining = False

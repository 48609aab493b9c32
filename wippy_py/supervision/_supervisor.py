"""The service supervisor: starts ``process.service`` entries in dependency order,
restarts them with backoff, and stops them gracefully (Wippy, reference §4).

Each service is watched by one trio task that spawns its process, waits until it has
run to its first blocking point (``starting`` -> ``running``; longer than
``start_timeout`` -> terminated, a retryable ``Timeout`` failure), waits for it to
exit and decides what happens next: a clean exit -> ``exited``; an error -> ``failed``
then a restart after the backoff delay; a non-retryable error -> ``exited``. Stopping
sends CANCEL (reason "service stopping"), waits ``stop_timeout``, then terminates.
The supervisor only uses the trio clock, so tests run it on ``MockClock``.
"""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import trio

from ..durations import SECOND, format_duration
from ..errors import TIMEOUT, ErrorValue
from ..process import Exit, Process, ProcessApi, SpawnError
from ..registry import Registry
from ._graph import SupervisionError, topological_order
from ._policy import backoff_delay, may_retry
from ._service import EXITED, FAILED, RUNNING, STARTING, STOPPED, STOPPING, Service

log = logging.getLogger("wippy_py.supervision")

REASON_STOPPING = "service stopping"
# The error of a start that took longer than lifecycle.start_timeout (Wippy's).
START_TIMED_OUT = ErrorValue("service start timed out", kind=TIMEOUT, retryable=True)
_LEVELS = {FAILED: logging.ERROR}


class Supervisor:
    """Supervises the ``process.service`` entries of a registry.

    Args:
        registry: The loaded registry.
        processes: Spawns, cancels and terminates processes.
        rng: The random source of restart jitter.
    """

    def __init__(
        self, registry: Registry, processes: ProcessApi, *, rng: random.Random | None = None
    ) -> None:
        self.registry = registry
        self.processes = processes
        self.rng = rng or random.Random()
        self.services: dict[str, Service] = {
            str(entry.id): Service(entry) for entry in registry.by_kind("process.service")
        }
        self._nursery: trio.Nursery | None = None
        self._turns: dict[str, trio.Event] = {}

    # ----------------------------------------------------------------- boot
    def plan(self) -> list[Service]:
        """The ``auto_start`` services in start order (dependencies first).

        Raises:
            DependencyCycleError: the services depend on each other in a cycle.
        """
        batch = {sid: svc for sid, svc in self.services.items() if svc.lifecycle.auto_start}
        graph: dict[str, set[str]] = {}
        for sid, svc in batch.items():
            requires = [str(r) for r in svc.lifecycle.requires if str(r) in self.services]
            svc.requires = requires
            svc.after = [
                str(d) for d in svc.entry.dependencies
                if str(d) in batch and str(d) not in requires
            ]
            graph[sid] = {d for d in (*requires, *svc.after) if d in batch}
        return [batch[sid] for sid in topological_order(graph)]

    async def start_all(self, nursery: trio.Nursery) -> None:
        """Starts every ``auto_start`` service; returns when each required one is running.

        Independent services start in parallel; a service starts once each of its
        dependencies has started. Service tasks live in ``nursery``.

        Raises:
            DependencyCycleError: a dependency cycle (nothing is started).
            SupervisionError: a required service could not start.
        """
        batch = self.plan()
        self._nursery = nursery
        # trio starts tasks in a random order; a chain of "turn" events makes the
        # services spawn in batch (sorted) order, so boot order is deterministic.
        previous: trio.Event | None = None
        for svc in batch:
            svc.launched = True
            turn = trio.Event()
            self._turns[svc.id] = turn
            nursery.start_soon(self._take_turn, svc, previous, turn)
            previous = turn
        for svc in batch:
            if svc.required:
                await svc.settled.wait()
        broken = [svc for svc in batch if svc.required and not svc.started.is_set()]
        if broken:
            names = ", ".join(f"{svc.id} ({svc.state})" for svc in broken)
            raise SupervisionError(f"required services did not start: {names}")

    async def _take_turn(
        self, svc: Service, previous: trio.Event | None, turn: trio.Event
    ) -> None:
        if previous is not None:
            await previous.wait()
        deps = [self.services[d] for d in (*svc.requires, *svc.after)]
        if any(d.launched and not d.settled.is_set() for d in deps):
            turn.set()  # it will wait for its dependencies: do not hold the others
        try:
            await self._supervise(svc)
        finally:
            turn.set()

    async def _supervise(self, svc: Service) -> None:
        with trio.CancelScope() as scope:
            svc.scope = scope
            missing = await self._wait_for_dependencies(svc)
            if missing:
                svc.state = FAILED
                svc.final = True
                log.error("service %s startup blocked by missing dependencies: %s",
                          svc.id, ", ".join(missing))
                svc.settled.set()
                return
            await self._run(svc)
        svc.settled.set()

    async def _wait_for_dependencies(self, svc: Service) -> list[str]:
        missing: list[str] = []
        for dep_id in (*svc.requires, *svc.after):
            dep = self.services[dep_id]
            if not dep.launched:
                if dep_id in svc.requires:
                    missing.append(dep_id)  # required but not started (no auto_start)
                continue
            await dep.settled.wait()
            if dep_id in svc.requires and not dep.started.is_set():
                missing.append(dep_id)
        return missing

    async def _run(self, svc: Service) -> None:
        policy = svc.lifecycle.restart
        while True:
            svc.attempt += 1
            svc.starts += 1
            error, ran = await self._start_and_wait(svc)
            if svc.stopping:
                return
            if error is not None:
                svc.last_error = error
            if error is None:
                svc.final = True
                self._set(svc, EXITED)
                return
            if error.retryable is False:
                svc.final = True
                self._set(svc, EXITED, error=error.message, retryable=False)
                return
            if ran is not None and ran >= svc.lifecycle.stable_threshold / SECOND:
                svc.attempt = 1
            if not may_retry(policy, svc.attempt):
                svc.final = True
                self._set(svc, FAILED, error=error.message, attempts=svc.attempt,
                          retry="giving up")
                svc.settled.set()
                return
            delay = backoff_delay(policy, svc.attempt, self.rng)
            self._set(svc, FAILED, error=error.message, attempt=svc.attempt,
                      retry_in=format_duration(round(delay * SECOND)))
            await trio.sleep(delay)

    async def _start_and_wait(self, svc: Service) -> tuple[ErrorValue | None, float | None]:
        """Starts the service's process and waits for it to end.

        The service is ``starting`` until its process has run to its first blocking
        point (see :meth:`_first_block`), then ``running``. A start that takes longer
        than ``start_timeout`` terminates the process and fails with ``Timeout``.

        Returns:
            (error or None for a clean exit, seconds it was running or None if it
            never started).
        """
        self._set(svc, STARTING)
        timeout = svc.lifecycle.start_timeout / SECOND
        begun = trio.current_time()
        try:
            proc = self.processes.spawn(svc.process_id, svc.host, svc.args)
            turn = self._turns.get(svc.id)
            if turn is not None:
                turn.set()
        except SpawnError as exc:
            return exc.error, None
        svc.proc = proc
        ended = trio.Event()
        proc.add_exit_callback(lambda _p, _e: ended.set())
        reached = await self._first_block(proc, begun + timeout)
        # One slice cannot be interrupted, so a start is also measured after the fact.
        if proc.alive and (not reached or trio.current_time() - begun > timeout):
            log.warning("service %s did not start within %s; terminating it", svc.id,
                        format_duration(svc.lifecycle.start_timeout))
            self.processes.terminate(proc)
            return START_TIMED_OUT, None
        started_at = trio.current_time()
        self._set(svc, RUNNING)
        svc.started.set()
        svc.settled.set()
        await ended.wait()
        exit = proc.exit
        assert exit is not None
        return _error_of(exit), trio.current_time() - started_at

    async def _first_block(self, proc: Process, deadline: float) -> bool:
        """Waits until ``proc`` has run to its first blocking point (it waits on its
        inbox, events, a channel, a timer, a call...) or has ended.

        The check runs after each dispatcher batch, through the scheduler's
        ``after_batch`` hooks, only while this start is pending.

        Returns:
            False if ``deadline`` (trio clock) passed first.
        """
        sched = self.processes.sched
        reached = trio.Event()

        def check() -> None:
            if not reached.is_set() and (not proc.alive or not sched.has_ready(proc)):
                reached.set()

        if not proc.alive:
            return True
        proc.add_exit_callback(lambda _p, _e: reached.set())
        sched.after_batch.append(check)
        try:
            with trio.move_on_at(deadline):
                await reached.wait()
        finally:
            sched.after_batch.remove(check)
        return reached.is_set()

    # ----------------------------------------------------------------- stop
    async def stop_all(self) -> None:
        """Stops every started service, dependents before their dependencies.

        Each service gets CANCEL (reason "service stopping"); one that has not exited
        after its ``stop_timeout`` is terminated. Independent services stop in parallel.
        """
        launched = [svc for svc in self.services.values() if svc.launched]
        dependents: dict[str, list[Service]] = {svc.id: [] for svc in launched}
        for svc in launched:
            for dep_id in (*svc.requires, *svc.after):
                if dep_id in dependents:
                    dependents[dep_id].append(svc)
        async with trio.open_nursery() as nursery:
            for svc in launched:
                nursery.start_soon(self._stop_after, svc, dependents[svc.id])

    async def _stop_after(self, svc: Service, dependents: list[Service]) -> None:
        for dependent in dependents:
            await dependent.stopped.wait()
        await self.stop(svc)

    async def stop(self, svc: Service) -> None:
        """Stops one service: no more restarts; CANCEL, then terminate after the timeout."""
        svc.stopping = True
        if svc.scope is not None:
            svc.scope.cancel()
        proc = svc.proc
        if proc is not None and proc.alive:
            self._set(svc, STOPPING)
            ended = trio.Event()
            proc.add_exit_callback(lambda _p, _e: ended.set())
            self.processes.cancel(proc, REASON_STOPPING)
            with trio.move_on_after(svc.lifecycle.stop_timeout / SECOND):
                await ended.wait()
            if proc.alive:
                log.warning("service %s did not stop within %s; terminating it", svc.id,
                            format_duration(svc.lifecycle.stop_timeout))
                self.processes.terminate(proc)
            self._set(svc, STOPPED)
        elif not svc.final:
            self._set(svc, STOPPED)  # it was waiting for a restart or for dependencies
        svc.stopped.set()

    # -------------------------------------------------------------- states
    def state(self, service_id: str) -> str:
        """The state of a service (``unknown`` for a service never started)."""
        return self.services[service_id].state

    def _set(self, svc: Service, state: str, **details: Any) -> None:
        svc.state = state
        level = _LEVELS.get(state, logging.INFO)
        if details:
            log.log(level, "service %s is %s %s", svc.id, state, json.dumps(details),
                    extra={"service": svc.id, "state": state, "details": details})
        else:
            log.log(level, "service %s is %s", svc.id, state,
                    extra={"service": svc.id, "state": state, "details": {}})


def _error_of(exit: Exit) -> ErrorValue | None:
    if exit.ok:
        return None
    return exit.error_value or ErrorValue("process failed")

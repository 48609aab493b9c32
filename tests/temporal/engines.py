"""The two workflow engines behind one interface, for the scenario tests of the seeds.

An :class:`Engine` copies a seed app (``examples/<name>``), runs its starter and reads
back what a user can observe of the workflow, in engine-neutral form
(:class:`Observed`): the activities called and their results, the signals received,
the number of durable timers, the memo, and how the run ended.

* :class:`EmbeddedEngine` runs the seed as written, on the embedded engine (SQLite
  journal in the copy) under a virtual trio clock: a 24h sleep passes at once.
  Stopping "in the middle" ends the node an hour (virtual) after the start, while
  the workflow waits on a timer; the next start resumes it from the same journal.
* :class:`TemporalEngine` points the copy's ``temporal.client`` at the test's dev
  server, on a task queue of its own. The dev server has no time skipping, so the
  copy's long waits are shortened by plain text substitutions in its Lua sources
  (``Durations``); the scenarios that race a signal against a timer keep the long
  timer and send the signal before it could fire. Stopping "in the middle" ends the
  node (and its Temporal worker) once the run's history shows a started timer; the
  next start attaches a new worker to the running workflow.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio
import trio.testing
from temporal_helpers import HEADER, TemporalServer, history, write_temporal_app

from wippy_py.journal import Journal
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
MONTH = 30 * 86400.0
Durations = dict[str, dict[str, str]]  # Lua file -> {original text: replacement}


@dataclass
class Started:
    """A starter run: what it printed and returned (None when stopped midway)."""

    stdout: list[str]
    value: Any


@dataclass
class Observed:
    """What the engine recorded of one workflow, engine-neutral.

    Attributes:
        status: ``completed``, ``failed`` or ``running``.
        result: The returned value (completed runs).
        error: The failure message (failed runs).
        calls: The activities called, in order.
        results: Each call's result, in call order (None for a failed call).
        signals: ``(name, data)`` of each signal received, in order.
        timers: How many durable timers the run started.
        memo: The memo the run upserted ({} when none).
    """

    status: str
    result: Any = None
    error: str | None = None
    calls: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    signals: list[tuple[str, Any]] = field(default_factory=list)
    timers: int = 0
    memo: dict[str, Any] = field(default_factory=dict)

    def result_of(self, target: str) -> Any:
        """The result of the single call of ``target``."""
        (index,) = [i for i, name in enumerate(self.calls) if name == target]
        return self.results[index]


def copy_example(name: str, target: Path) -> Path:
    """A copy of ``examples/<name>`` without any journal."""
    app = target / name
    shutil.copytree(EXAMPLES / name, app, ignore=shutil.ignore_patterns(".wippy"))
    return app


def _node(app: Path) -> tuple[Node, io.StringIO]:
    out = io.StringIO()
    return Node(load_registry(app), console=Console(out, io.StringIO())), out


class Engine:
    """One engine running the seeds (see the module docstring)."""

    name = ""

    def prepare(self, example: str, tmp_path: Path, durations: Durations | None = None) -> Path:
        """Copies the seed and sets it up for this engine; returns the app root."""
        raise NotImplementedError

    def start(self, app: Path, entry: str, *args: str, workflow_id: str,
              stop_midway: bool = False) -> Started:
        """Runs the starter ``entry``; with ``stop_midway`` stops the node while the
        workflow ``workflow_id`` waits on a durable timer."""
        raise NotImplementedError

    def observe(self, app: Path, workflow_id: str) -> Observed:
        """What the engine recorded of the latest run of ``workflow_id``."""
        raise NotImplementedError

    def write_app(self, tmp_path: Path, entries: str) -> Path:
        """A small app: a terminal host, ``app:worker`` on this engine, ``entries``."""
        raise NotImplementedError

    def run(self, app: Path, entry: str, *args: Any) -> tuple[Any, Any]:
        """Runs ``entry`` to its end; returns (value, error value)."""
        raise NotImplementedError


class EmbeddedEngine(Engine):
    """The embedded engine on a virtual clock (the seeds as written)."""

    name = "embedded"

    def prepare(self, example: str, tmp_path: Path, durations: Durations | None = None) -> Path:
        return copy_example(example, tmp_path)

    def start(self, app: Path, entry: str, *args: str, workflow_id: str,
              stop_midway: bool = False) -> Started:
        node, out = _node(app)
        limit = 3600.0 if stop_midway else MONTH  # an hour in: every seed timer is longer

        async def main() -> Any:
            with trio.move_on_after(limit):
                return await node.run_entry(entry, list(args))
            return None

        exit = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
        for engine in node.engines:
            engine.journal.close()
        value = None if exit is None else node.exit_to_python(exit)
        return Started(out.getvalue().splitlines(), value)

    def observe(self, app: Path, workflow_id: str) -> Observed:
        with Journal(app / ".wippy" / "journal.db", create=False) as journal:
            row = journal.current_run(workflow_id)
            assert row is not None, f"no run of {workflow_id}"
            assert journal.check() == []
            records = journal.history(row.run_id)
        seen = Observed(status=row.status, result=row.result,
                        error=row.error["message"] if row.error else None)
        outcomes = {r.ref: r for r in records if r.kind in ("completed", "failed")}
        for record in records:
            if record.kind == "call":
                seen.calls.append(record.target)
                done = outcomes.get(record.seq)
                seen.results.append(done.value if done is not None and done.error is None
                                    else None)
            elif record.kind == "signal":
                seen.signals.append((record.target, record.value["data"]))
            elif record.kind == "timer":
                seen.timers += 1
            elif record.kind == "attrs":
                seen.memo.update(record.value.get("memo") or {})
        return seen


    def write_app(self, tmp_path: Path, entries: str) -> Path:
        root = tmp_path / "app"
        root.mkdir(parents=True, exist_ok=True)
        text = HEADER.format(address="embedded", task_queue="local")
        (root / "_index.yaml").write_text(text + textwrap.indent(textwrap.dedent(entries),
                                                                 "  "))
        return root

    def run(self, app: Path, entry: str, *args: Any) -> tuple[Any, Any]:
        node, _ = _node(app)

        async def main() -> Any:
            return await node.run_entry(entry, list(args))

        exit = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
        for engine in node.engines:
            engine.journal.close()
        return node.exit_to_python(exit), exit.error_value


class TemporalEngine(Engine):
    """The Temporal backend on the test's dev server (real time, shortened waits)."""

    name = "temporal"

    def __init__(self, server: TemporalServer) -> None:
        self.server = server
        self.task_queue = f"seeds-{uuid.uuid4().hex[:10]}"
        self.starts = 0  # each start's worker gets its own identity: node-1, node-2, ...

    def prepare(self, example: str, tmp_path: Path, durations: Durations | None = None) -> Path:
        app = copy_example(example, tmp_path)
        index = app / "_index.yaml"
        text = index.read_text()
        assert "    address: embedded\n" in text
        text = text.replace("    address: embedded\n", f'    address: "{self.server.address}"\n',
                            1)
        # A task queue of the test's own; a short sticky timeout lets a new worker take
        # over a run at once after the old one stopped.
        start = text.index("    task_queue: ")
        end = text.index("\n", start) + 1
        text = (text[:start] + f"    task_queue: {self.task_queue}\n"
                "    worker_options: {sticky_schedule_to_start_timeout: 1s, identity: node-0}\n"
                + text[end:])
        index.write_text(text)
        for name, swaps in (durations or {}).items():
            source = app / name
            lua = source.read_text()
            for old, new in swaps.items():
                assert old in lua, f"{old!r} is not in {name}"
                lua = lua.replace(old, new)
            source.write_text(lua)
        return app

    def start(self, app: Path, entry: str, *args: str, workflow_id: str,
              stop_midway: bool = False) -> Started:
        self.starts += 1
        index = app / "_index.yaml"
        text = index.read_text()
        assert f"identity: node-{self.starts - 1}}}" in text
        index.write_text(text.replace(f"identity: node-{self.starts - 1}}}",
                                      f"identity: node-{self.starts}}}"))
        node, out = _node(app)
        until: Callable[[], None] | None = None
        if stop_midway:
            def until() -> None:
                wait_for_event(self.server, workflow_id, "TIMER_STARTED", self.task_queue)
        result: list[Any] = []

        async def main() -> None:
            with trio.fail_after(120):
                async with trio.open_nursery() as nursery:
                    async def run() -> None:
                        exit = await node.run_entry(entry, list(args))
                        result.append(node.exit_to_python(exit))
                    nursery.start_soon(run)
                    if until is not None:
                        await trio.to_thread.run_sync(until)
                        nursery.cancel_scope.cancel()

        trio.run(main)
        return Started(out.getvalue().splitlines(), result[0] if result else None)

    def observe(self, app: Path, workflow_id: str) -> Observed:
        events = history(self.server, workflow_id)
        assert _queue(events) == self.task_queue, "the latest run is another test's"
        seen = Observed(status="running")
        scheduled: dict[str, int] = {}
        for event in events:
            kind = event["eventType"].removeprefix("EVENT_TYPE_")
            if kind == "ACTIVITY_TASK_SCHEDULED":
                attrs = event["activityTaskScheduledEventAttributes"]
                scheduled[event["eventId"]] = len(seen.calls)
                seen.calls.append(attrs["activityType"]["name"])
                seen.results.append(None)
            elif kind == "ACTIVITY_TASK_COMPLETED":
                attrs = event["activityTaskCompletedEventAttributes"]
                seen.results[scheduled[attrs["scheduledEventId"]]] = _payload(attrs["result"])
            elif kind == "WORKFLOW_EXECUTION_SIGNALED":
                attrs = event["workflowExecutionSignaledEventAttributes"]
                seen.signals.append((attrs["signalName"], _payload(attrs.get("input"))))
            elif kind == "TIMER_STARTED":
                seen.timers += 1
            elif kind == "WORKFLOW_PROPERTIES_MODIFIED":
                fields = event["workflowPropertiesModifiedEventAttributes"]["upsertedMemo"]
                seen.memo.update({key: _decode(value)
                                  for key, value in fields["fields"].items()})
            elif kind == "WORKFLOW_EXECUTION_COMPLETED":
                seen.status = "completed"
                seen.result = _payload(event["workflowExecutionCompletedEventAttributes"]
                                       .get("result"))
            elif kind == "WORKFLOW_EXECUTION_FAILED":
                seen.status = "failed"
                seen.error = event["workflowExecutionFailedEventAttributes"]["failure"][
                    "message"]
        return seen


    def write_app(self, tmp_path: Path, entries: str) -> Path:
        return write_temporal_app(tmp_path / "app", self.server, entries).root

    def run(self, app: Path, entry: str, *args: Any) -> tuple[Any, Any]:
        node, _ = _node(app)

        async def main() -> Any:
            with trio.fail_after(120):
                return await node.run_entry(entry, list(args))

        exit = trio.run(main)
        return node.exit_to_python(exit), exit.error_value

    def identities(self, workflow_id: str) -> list[str]:
        """The identity of the worker of each workflow task of the latest run, in order."""
        return [event["workflowTaskStartedEventAttributes"]["identity"]
                for event in history(self.server, workflow_id)
                if event["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_STARTED"]


def _decode(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"])) if payload.get("data") else None


def _payload(payloads: dict[str, Any] | None) -> Any:
    """The first payload of a ``{"payloads": [...]}`` block, decoded from JSON."""
    if not payloads or not payloads.get("payloads"):
        return None
    return _decode(payloads["payloads"][0])


def _queue(events: list[dict[str, Any]]) -> str:
    """The task queue a run was started on (runs of other tests share workflow IDs)."""
    started = events[0]["workflowExecutionStartedEventAttributes"]
    return str(started["taskQueue"]["name"])


def wait_for_event(server: TemporalServer, workflow_id: str, kind: str, task_queue: str,
                   timeout: float = 60.0) -> list[dict[str, Any]]:
    """Polls the history of the latest run of ``workflow_id`` on ``task_queue`` until an
    event of ``kind`` is in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = server.cli("workflow", "show", "--workflow-id", workflow_id, "--output", "json")
        if shown.returncode == 0 and f"EVENT_TYPE_{kind}" in shown.stdout:
            events: list[dict[str, Any]] = json.loads(shown.stdout)["events"]
            if _queue(events) == task_queue:
                return events
        time.sleep(0.1)  # polling the history, not racing it
    raise AssertionError(f"no {kind} in the history of {workflow_id}")

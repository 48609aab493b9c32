"""Helpers for the `wippy-py workflow` tests: a small app with an embedded journal,
the CLI in-process, the app booted in-process or as a real `wippy-py run` subprocess."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trio
from click.testing import CliRunner, Result

from wippy_py.cli._main import cli
from wippy_py.journal import RUNNING, Journal
from wippy_py.node import Node
from wippy_py.registry import load_registry

ACTIVITIES = """\
- name: charge
  kind: function.lua
  method: main
  source: |
    return {main = function(p) return {id = "tx-" .. p.amount, amount = p.amount} end}
- name: check
  kind: function.lua
  method: main
  source: |
    return {main = function(id) return "ok:" .. id end}
"""
"""The activities of ``app:order`` (YAML list items): charge a payment, check a charge."""

CANCELLABLE = """\
local function main()
  local event = process.events():receive()
  return {kind = event.kind, reason = event.reason}
end
return {main = main}
"""
"""A workflow that returns the first event it gets (a cancel request, say)."""

APP = """\
version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: client
    kind: temporal.client
    address: embedded
  - name: worker
    kind: temporal.worker
    client: app:client
    task_queue: orders
""" + textwrap.indent(ACTIVITIES, "  ") + """\
  - name: order
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    modules: [funcs, time, uuid]
    source: file://order.lua
  - name: waiter
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    source: file://waiter.lua
  - name: echo
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    source: |
      local function main(...)
        return {n = select("#", ...), args = {...}}
      end
      return {main = main}
  - name: broken
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    source: file://broken.lua
  - name: cancellable
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    source: |
""" + textwrap.indent(CANCELLABLE, "      ") + """\
  - name: sleeper
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    modules: [time]
    source: |
      local time = require("time")
      local function main()
        local t0 = time.now()
        time.sleep("24h")
        return time.now():sub(t0):hours()
      end
      return {main = main}
  - name: nap
    kind: process.lua
    method: main
    source: |
      local function main()
        local hours, err = process.exec("app:sleeper", "app:worker")
        if err then return nil, err end
        print("slept " .. hours .. " hours")
        return 0
      end
      return {main = main}
"""

ORDER = """\
local funcs = require("funcs")
local time = require("time")
local function main(payment)
  local charged = funcs.call("app:charge", payment)
  time.sleep("10ms")
  local status = funcs.call("app:check", charged.id)
  return {id = charged.id, status = status}
end
return {main = main}
"""

WAITER = """\
local function main(name)
  local msg = process.inbox():receive()
  return {hello = name, topic = msg:topic(), got = msg:payload():data()}
end
return {main = main}
"""

BROKEN = """\
local function fail_deep(x)
  error("kaput " .. x)
end
local function main(x)
  fail_deep(x)
end
return {main = main}
"""


def write_workflow_app(root: Path) -> Path:
    """Writes the test app into ``root`` and returns it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_index.yaml").write_text(APP)
    (root / "order.lua").write_text(ORDER)
    (root / "waiter.lua").write_text(WAITER)
    (root / "broken.lua").write_text(BROKEN)
    return root


def journal_file(app: Path) -> Path:
    """Where the test app keeps its journal (the default of an embedded client)."""
    return app / ".wippy" / "journal.db"


def wf(app: Path, *args: str) -> Result:
    """Runs `wippy-py workflow ARGS --app APP` in-process."""
    return CliRunner().invoke(cli, ["workflow", *args, "--app", str(app)])


def started_ids(result: Result | subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """(workflow ID, run ID) from the output of `workflow start` (run in-process, or as a
    `wippy-py` subprocess)."""
    if isinstance(result, Result):
        assert result.exit_code == 0, result.output
    else:
        assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[0]
    assert line.startswith("started workflow "), line
    wid, run = line.removeprefix("started workflow ").split(", run ")
    return wid, run


def status_of(app: Path, workflow_id: str) -> str:
    """The status of a workflow's latest run, read from its journal."""
    with Journal(journal_file(app), create=False) as journal:
        row = journal.current_run(workflow_id)
    assert row is not None
    return row.status


def boot_until_finished(app: Path, *workflow_ids: str, timeout: float = 30) -> None:
    """Boots the app in-process (like `wippy-py run APP`) until the given workflows
    are no longer running, then stops it."""
    node = Node(load_registry(app))
    reader = Journal(journal_file(app), create=False)

    def running() -> bool:
        return any(reader.current_run(w).status == RUNNING  # type: ignore[union-attr]
                   for w in workflow_ids)

    async def main() -> None:
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                await nursery.start(node.serve)
                while running():
                    await trio.sleep(0.02)
                nursery.cancel_scope.cancel()

    try:
        trio.run(main)
    finally:
        reader.close()


def journal_dump(app: Path) -> str:
    """A digest of the journal's logical contents (tables and rows)."""
    conn = sqlite3.connect(f"file:{journal_file(app)}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@contextmanager
def serving(app: Path, *flags: str, stop_timeout: float = 30) -> Iterator[subprocess.Popen[str]]:
    """`wippy-py run APP` as a background subprocess, stopped with Ctrl+C at the end
    (killed if it has not exited ``stop_timeout`` seconds later)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wippy_py", "run", str(app), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

"""Script pinning on Temporal: a run replays the code it started with.

A run started by our code (an actor's ``process.spawn``, ``wippy-py workflow start``, a
parent workflow, continue-as-new) carries its workflow's code and the libraries it
imports in its memo; after a deploy that changes the code in a nondeterministic way
and a worker restart (a new node on the changed registry), the run finishes with the
OLD code's behaviour, while new runs use the new code. A run started by the official
``temporal`` CLI has no pinned code: it runs the current code and the worker says so
in its log once. ``workflow replay`` keeps checking a run against the CURRENT code.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio
from cli.workflow_cli_harness import wf
from engines import wait_for_event
from temporal_helpers import (
    TemporalApp,
    describe,
    events_of,
    exec_main,
    history,
    run_on_temporal,
    serve_while,
    workflow_rows,
)

from wippy_py.backends.temporal import TemporalAdmin
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

V1 = """
- name: lib
  kind: library.lua
  source: |
    return {name = function() return "lib-v1" end}
- name: step
  kind: function.lua
  method: main
  source: |
    return {main = function(x) return "step:" .. x end}
- name: gate
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs]
  imports: {lib: app:lib}
  source: |
    local funcs = require("funcs")
    local lib = require("lib")
    local function main()
      local first = funcs.call("app:step", "v1")
      local msg = process.inbox():receive()
      return {code = "v1", lib = lib.name(), first = first, got = msg:payload():data()}
    end
    return {main = main}
- name: starter
  kind: process.lua
  method: main
  source: |
    local function main(id)
      local pid, err = process.with_options({["temporal.workflow.id"] = id})
        :spawn("app:gate", "app:worker")
      if err then error(err) end
      print(pid)
      process.inbox():receive()  -- the node serves until the test stops it
    end
    return {main = main}
"""

# A nondeterministic change: a timer first, the activity with other arguments, and
# the library changed too (indented as in the written _index.yaml).
CHANGES = (('local first = funcs.call("app:step", "v1")',
            'time.sleep("1ms")\n        local first = funcs.call("app:step", "v2")'),
           ('modules: [funcs]', 'modules: [funcs, time]'),
           ('local funcs = require("funcs")',
            'local funcs = require("funcs")\n      local time = require("time")'),
           ('code = "v1"', 'code = "v2"'),
           ('"lib-v1"', '"lib-v2"'))


def run_until(app: Path, entry: str, args: list[Any], until: Callable[[], Any]) -> Any:
    """Runs ``entry`` on a node of ``app`` and stops the node once ``until`` (run in a
    thread) returned; returns what the entry printed."""
    out = io.StringIO()
    node = Node(load_registry(app), console=Console(out, io.StringIO()))

    async def main() -> None:
        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                async def run() -> None:
                    await node.run_entry(entry, args)
                nursery.start_soon(run)
                await trio.to_thread.run_sync(until)
                nursery.cancel_scope.cancel()

    trio.run(main)
    return out.getvalue()


def waiting_after_step(app: Any, workflow_id: str) -> None:
    """Until the run has the step's result and a workflow task after it (it waits for
    its signal, with the v1 commands in its history)."""
    events = wait_for_event(app.server, workflow_id, "ACTIVITY_TASK_COMPLETED", app.task_queue)
    while not [e for e in events[-3:] if e["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"
               and int(e["eventId"]) > _completed_at(events)]:
        events = history(app.server, workflow_id)


def _completed_at(events: list[dict[str, Any]]) -> int:
    return max(int(e["eventId"]) for e in events
               if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED")


def outcome(app_root: Path, workflow_id: str) -> Any:
    """The result of the workflow's latest run (waits for it)."""
    with TemporalAdmin(load_registry(app_root), ["app:worker"]) as admin:
        row = admin.run(admin.describe(workflow_id))
        row = admin.run(admin.wait(row, 60))
        assert row.status == "completed", (workflow_id, row.status)  # not stuck
        value, error = admin.run(admin.outcome(row))
    assert error is None, error
    return value


def signal(app: TemporalApp, workflow_id: str) -> None:
    """The signal the gate waits for."""
    app.cli_signal(workflow_id, "go", '{"ok": true}')


def test_a_running_workflow_keeps_the_code_it_started_with(
    temporal_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = temporal_app(V1)
    by_actor = f"pin-actor-{uuid.uuid4().hex[:8]}"
    by_cli = f"pin-cli-{uuid.uuid4().hex[:8]}"
    # Started by `wippy-py workflow start` (no worker yet) and by an actor's spawn.
    assert wf(app.root, "start", "app:gate", "--id", by_cli).exit_code == 0

    def both_waiting() -> None:
        waiting_after_step(app, by_actor)
        waiting_after_step(app, by_cli)

    printed = run_until(app.root, "app:starter", [by_actor], both_waiting)
    assert printed == f"{{app:worker|{by_actor}}}\n"
    memo = describe(app.server, by_actor)["workflowExecutionInfo"]["memo"]["fields"]
    assert "wippy.code" in memo and "wippy.code" in \
        describe(app.server, by_cli)["workflowExecutionInfo"]["memo"]["fields"]

    # The deploy: the workflow and its library change; a new node serves the queue.
    index = app.root / "_index.yaml"
    text = index.read_text()
    for old, new in CHANGES:
        assert old in text, old
        text = text.replace(old, new)
    index.write_text(text)
    # `workflow replay` checks a run against the CURRENT code, as on the embedded
    # engine; for a pinned run in flight it says the run goes on with its own code.
    running = wf(app.root, "replay", by_actor)
    assert running.exit_code == 1, running.output
    versions = re.search(r"\. The run itself goes on: its workers replay the code it started "
                         r"with \(version (\w{12}), pinned in its memo\); the current code is "
                         r"version (\w{12})\.\n$", running.stdout)
    assert versions is not None and versions[1] != versions[2], running.stdout
    assert "restore the code" not in running.stdout
    foreign = f"pin-foreign-{uuid.uuid4().hex[:8]}"
    caplog.set_level(logging.WARNING, logger="wippy_py.temporal")

    def after_deploy() -> dict[str, Any]:
        signal(app, by_actor)
        signal(app, by_cli)
        fresh = wf(app.root, "start", "app:gate")
        assert fresh.exit_code == 0, fresh.output
        new_id = fresh.stdout.split()[2].rstrip(",")
        signal(app, new_id)
        app.cli_start("app:gate", foreign)
        signal(app, foreign)
        return {wid: outcome(app.root, wid) for wid in (by_actor, by_cli, new_id, foreign)}

    results = serve_while(app.root, after_deploy)
    old = {"code": "v1", "lib": "lib-v1", "first": "step:v1", "got": {"ok": True}}
    new = {"code": "v2", "lib": "lib-v2", "first": "step:v2", "got": {"ok": True}}
    assert results.pop(by_actor) == old
    assert results.pop(by_cli) == old
    assert results.pop(foreign) == new  # no pinned code: today's code
    assert list(results.values()) == [new]
    # The old runs replayed v1 on the new worker: no nondeterminism, no failed task.
    for wid in (by_actor, by_cli):
        assert events_of(history(app.server, wid), "WORKFLOW_TASK_FAILED") == []
    told = [r.getMessage() for r in caplog.records if "without pinned code" in r.getMessage()]
    assert len(told) == 1 and f"workflow {foreign} " in told[0], told

    # Ended, the run's replay against the current code names both versions.
    replayed = wf(app.root, "replay", by_actor)
    assert replayed.exit_code == 1, replayed.output
    assert re.search(rf"workflow {by_actor} \(run \S+\) diverged from its history at "
                     r"event \d+: the code now issues a durable timer of 1ms", replayed.stdout)
    assert re.search(r"but the history holds funcs.call\(app:step\) \[args \w+\]\. The run "
                     r"started with code version \w{12} \(pinned in its memo\); the current "
                     r"code is version \w{12}\.\n$", replayed.stdout), replayed.stdout
    same = wf(app.root, "replay", foreign)
    assert same.exit_code == 0 and "no divergence" in same.stdout, same.output


CHAIN = """
- name: looper
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main(n)
      if n < 2 then return process.upgrade(nil, n + 1) end
      return "looped " .. n
    end
    return {main = main}
- name: parent
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main()
      return process.exec("app:looper", "app:worker", 1)
    end
    return {main = main}
""" + exec_main("app:parent")


def test_children_and_continued_runs_carry_their_code(temporal_app: Any) -> None:
    """A child workflow and each run after a continue-as-new are started with the
    code of their own entry pinned in their memo."""
    app = temporal_app(CHAIN)
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None and ran.value == "looped 2", ran
    pinned = sorted((row["type"]["name"], row["status"], _pinned_entry(row))
                    for row in workflow_rows(app.server, app.task_queue))
    assert pinned == [
        ("app:looper", "WORKFLOW_EXECUTION_STATUS_COMPLETED", "app:looper"),
        ("app:looper", "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW", "app:looper"),
        ("app:parent", "WORKFLOW_EXECUTION_STATUS_COMPLETED", "app:parent"),
    ]


def _pinned_entry(row: dict[str, Any]) -> str:
    payload = row["memo"]["fields"]["wippy.code"]
    # `temporal workflow list` shows JSON payloads decoded; describe shows them raw.
    value = json.loads(base64.b64decode(payload["data"])) if "data" in payload else payload
    assert len(value["hash"]) == 64 and value["format"] == 1
    return str(value["entry"])


def test_a_run_with_damaged_pinned_code_fails_naming_it(temporal_app: Any) -> None:
    """A memo ``wippy.code`` that is not readable pinned code (another client wrote
    it) fails the run with an error that says so; it does not retry forever."""
    app = temporal_app(V1)
    wid = f"pin-bad-{uuid.uuid4().hex[:8]}"
    bad = json.dumps({"format": 1, "hash": "0" * 64, "entry": "app:gate", "code": "eJw="})
    app.cli_start("app:gate", wid, "--memo", f"wippy.code={bad}")

    def failure() -> str:
        result = app.server.cli("workflow", "result", "--workflow-id", wid)
        return result.stdout + result.stderr

    text = serve_while(app.root, failure)
    assert f"workflow {wid} (run " in text and "its pinned code cannot be read" in text, text
    assert describe(app.server, wid)["workflowExecutionInfo"]["status"] == \
        "WORKFLOW_EXECUTION_STATUS_FAILED"


RETRIED = """
- name: flaky
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [workflow]
  source: |
    local workflow = require("workflow")
    local function main()
      local attempt = workflow.info().attempt
      if attempt == 1 then
        error(errors.new({message = "try again", kind = errors.UNAVAILABLE, retryable = true}))
      end
      return "attempt " .. attempt
    end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main()
      local _, err = process.with_options({["temporal.workflow.retry_policy"] =
          {maximum_attempts = 2, initial_interval = "100ms"}})
        :spawn_monitored("app:flaky", "app:worker")
      if err then error(err) end
      local event = process.events():receive()
      if event.result.error then error(event.result.error) end
      return event.result.value
    end
    return {main = main}
"""


def test_a_retry_started_by_the_server_takes_the_current_code(
    temporal_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Temporal starts a workflow retry (and a cron schedule's next run) with a copy of
    the earlier run's memo: that pin is not the new run's, which takes the current
    code as a new run does, and the worker says so once."""
    app = temporal_app(RETRIED)
    caplog.set_level(logging.WARNING, logger="wippy_py.temporal")
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None and ran.value == "attempt 2", ran
    told = [r.getMessage() for r in caplog.records if "pinned code" in r.getMessage()]
    assert len(told) == 1 and "is a retry started by the server with the memo (and " \
        "pinned code) of the run before it: it runs the current code of app:flaky" \
        in told[0], told

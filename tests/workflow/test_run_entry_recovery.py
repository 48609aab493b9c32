"""``Node.run_entry`` recovers unfinished workflow runs before the entry runs.

A starter that spawns a workflow with an explicit ID (conflict policy use_existing)
after a restart must attach to the run left in flight, not start a second run of
the same workflow ID (which would repeat its activities, e.g. charge a card twice).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import trio
import trio.testing

from wippy_py.journal import Journal
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

APP = """\
namespace: app
entries:
  - name: client
    kind: temporal.client
    address: embedded
  - name: worker
    kind: temporal.worker
    client: app:client
    task_queue: q
  - name: charge
    kind: function.lua
    source: |
      return {main = function(n) return "charged " .. n end}
    method: main
  - name: order
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    source: |
      local funcs = require("funcs")
      local time = require("time")
      local function main(n)
        local charged = funcs.call("app:charge", n)
        time.sleep("24h")
        return charged
      end
      return {main = main}
    method: main
    modules: [funcs, time]
  - name: main
    kind: process.lua
    source: |
      local function main()
        local pid = process.with_options({["temporal.workflow.id"] = "order-1"})
          :spawn_monitored("app:order", "app:worker", 7)
        local events = process.events()
        while true do
          local event = events:receive()
          if event.kind == process.event.EXIT and event.from == pid then
            return event.result.value
          end
        end
      end
      return {main = main}
    method: main
"""


def boot(app: Path, seconds: float) -> object:
    """Runs app:main on a fresh node for at most ``seconds`` of virtual time."""
    node = Node(load_registry(app), console=Console(io.StringIO(), io.StringIO()))

    async def main() -> object:
        with trio.move_on_after(seconds):
            exit = await node.run_entry("app:main", [])
            return node.exit_to_python(exit)
        return None

    return trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_starter_attaches_to_the_run_left_in_flight(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "_index.yaml").write_text(textwrap.dedent(APP))
    assert boot(app, 3600) is None  # stopped during the 24h sleep
    assert boot(app, 3 * 86400) == "charged 7"  # the restart finishes the same run

    journal = Journal(app / ".wippy" / "journal.db")
    runs = journal.runs()
    assert [(r.workflow_id, r.status) for r in runs] == [("order-1", "completed")]
    calls = [r for r in journal.history(runs[0].run_id) if r.kind == "call"]
    assert len(calls) == 1  # charged once

"""Regressions of the embedded engine found while building `wippy-py workflow`.

Both boot an app on a journal prepared beforehand (as the CLI or an earlier run of the
app leaves it), on trio's virtual clock.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import trio
import trio.testing

from wippy_py.backends.local._admin import create_run, post_request
from wippy_py.journal import Journal, Record, RunRow
from wippy_py.node import Node
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
  - name: a
    kind: function.lua
    method: main
    source: 'return {main = function() return "a" end}'
  - name: b
    kind: function.lua
    method: main
    source: 'return {main = function() return "b" end}'
  - name: flow
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: app:worker}}}
    method: main
    modules: [funcs]
    source: file://flow.lua
  - name: main
    kind: process.lua
    method: main
    modules: [time]
    source: |
      local time = require("time")
      return {main = function() time.sleep("1s") return 0 end}
"""

WAITER = """\
local function main()
  local msg = process.inbox():receive()
  return {topic = msg:topic(), data = msg:payload():data()}
end
return {main = main}
"""


def make_app(root: Path, flow: str) -> Path:
    root.mkdir()
    (root / "_index.yaml").write_text(APP)
    (root / "flow.lua").write_text(textwrap.dedent(flow))
    return root


def boot(app: Path) -> None:
    """Boots the app while app:main sleeps one (virtual) second."""
    node = Node(load_registry(app))

    async def main() -> None:
        # No trio deadline: the autojumping clock would reach it while a thread runs.
        await node.run_entry("app:main")

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_signal_posted_before_a_cli_started_run_ever_ran_is_delivered(tmp_path: Path) -> None:
    # A run the CLI started while no app ran has no history; signals posted for it
    # were parked in a backlog that only a replay flushes, so they were never delivered.
    app = make_app(tmp_path / "app", WAITER)
    path = app / ".wippy" / "journal.db"
    with Journal(path) as journal:
        row = create_run(journal, load_registry(app), "app:flow", "app:worker", [], "w-1")
        post_request(journal, row.workflow_id, "signal", topic="go", payload={"n": 1})
    boot(app)
    with Journal(path, create=False) as journal:
        done = journal.current_run("w-1")
        assert done is not None and done.status == "completed", done
        assert done.result == {"topic": "go", "data": {"n": 1}}
        assert journal.inbox_for("w-1") == []


def test_divergence_in_a_yielded_call_fails_the_run_not_the_node(tmp_path: Path) -> None:
    # The journal says the run called app:a; its code now calls app:b. funcs.call is a
    # yielded operation: the divergence used to escape into the dispatcher and stop
    # every process of the node (trio.run raised).
    app = make_app(tmp_path / "app", """\
        local funcs = require("funcs")
        local function main()
          funcs.call("app:b")
          return "done"
        end
        return {main = main}
    """)
    path = app / ".wippy" / "journal.db"
    with Journal(path) as journal:
        digest = journal.put_script((app / "flow.lua").read_text())
        journal.create_run(RunRow("r-1", "w-1", "app:flow", "app:worker", script_hash=digest))
        journal.append("r-1", Record(0, "command", "call", "app:a", location="flow.lua:3"))
        journal.append("r-1", Record(1, "event", "completed", "app:a", value="a", ref=0))
        journal.commit()
    boot(app)
    with Journal(path, create=False) as journal:
        row = journal.current_run("w-1")
        assert row is not None and row.status == "failed"
        assert row.error is not None
        message = row.error["message"]
        assert "diverged from its journal at step 0" in message
        assert "funcs.call(app:b)" in message and "funcs.call(app:a)" in message

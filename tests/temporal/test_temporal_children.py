"""Child workflows on Temporal: ``process.exec``, ``workflow.exec`` and
``process.spawn_monitored`` from a workflow start child workflows; sends between
workflows are signals."""

from __future__ import annotations

from typing import Any

from temporal_helpers import (
    DOUBLING_CHILD,
    events_of,
    exec_main,
    history,
    run_on_temporal,
    workflow_ids,
)

FAMILY = DOUBLING_CHILD + """
- name: listener
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main()
      local msg = process.inbox():receive()
      return {topic = msg:topic(), data = msg:payload():data(), from = msg:from()}
    end
    return {main = main}
- name: parent
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [workflow]
  source: |
    local workflow = require("workflow")
    local function main(n)
      local a = process.exec("app:child", "app:worker", n)
      local b = workflow.exec("app:child", n + 1)
      local pid = process.spawn_monitored("app:child", "app:worker", n + 2)
      local exit = process.events():receive()
      local _, failed = process.exec("app:child", "app:worker", -1)
      local listener = process.spawn_monitored("app:listener", "app:worker")
      process.send(listener, "hello", {n = n})
      local heard = process.events():receive()
      return {a = a, b = b, c = exit.result.value, same = exit.from == pid, kind = exit.kind,
              failed = {failed:kind(), failed:message()}, heard = heard.result.value,
              me = process.pid()}
    end
    return {main = main}
""" + exec_main("app:parent", args="10")


def test_child_workflows_and_workflow_to_workflow_signals(temporal_app: Any) -> None:
    app = temporal_app(FAMILY)
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None
    value = ran.value
    assert (value["a"], value["b"], value["c"]) == (20, 22, 24)
    assert value["same"] is True and value["kind"] == "pid.exit"
    assert value["failed"] == ["Invalid", "negative"]
    assert value["heard"] == {"topic": "hello", "data": {"n": 10}, "from": value["me"]}
    ids = workflow_ids(app.server, app.task_queue)
    [parent_id] = [i for i in ids if i.startswith("app:parent-") and "/" not in i]
    started = events_of(history(app.server, parent_id),
                        "START_CHILD_WORKFLOW_EXECUTION_INITIATED")
    # Children get the parent's ID and the command's number; the type is the name
    # given in meta.temporal.workflow.name.
    assert [s["workflowId"] for s in started] == [f"{parent_id}/{n}" for n in (0, 1, 2, 3, 4)]
    assert [s["workflowType"]["name"] for s in started] == ["Child"] * 4 + ["app:listener"]
    assert value["me"] == f"{{app:worker|{parent_id}}}"

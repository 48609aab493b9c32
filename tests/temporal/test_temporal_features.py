"""More of the workflow API on Temporal: ``funcs.async`` futures (and their
cancellation), ``workflow.version`` as patch markers, ``process.upgrade`` as
continue-as-new, ``workflow.info``/``attrs``, and a workflow's send to an actor."""

from __future__ import annotations

from typing import Any

from temporal_helpers import COUNTER, events_of, history, run_on_temporal, workflow_ids

FEATURES = COUNTER + """
- name: slow
  kind: function.lua
  method: main
  modules: [time]
  source: |
    local time = require("time")
    return {main = function(n) time.sleep("30s"); return n end}
- name: square
  kind: function.lua
  method: main
  source: |
    return {main = function(n) return n * n end}
- name: futures
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs, workflow]
  source: |
    local funcs = require("funcs")
    local workflow = require("workflow")
    local function main()
      local a = funcs.async("app:square", 3)
      local b = funcs.async("app:square", 4)
      local slow = funcs.async("app:slow", 1)
      local got_a = a:response():receive()
      local got_b = b:response():receive()
      local cancelled = slow:cancel()
      local info = workflow.info()
      local ok = workflow.attrs({memo = {stage = "done"}})
      return {a = got_a:data(), b = got_b:data(), cancelled = cancelled,
              is_canceled = slow:is_canceled(), version = workflow.version("pricing", 1, 2),
              type = info.workflow_type, attrs = ok, history = workflow.history_length() > 0}
    end
    return {main = main}
- name: notifier
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main(actor)
      process.send(actor, "done", {by = process.pid()})
      return "sent"
    end
    return {main = main}
- name: contextual
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [ctx]
  source: |
    local ctx = require("ctx")
    local function main()
      local first = process.inbox():receive()
      local second = process.inbox():receive()
      return {tenant = ctx.get("tenant"), first = first:topic(), second = second:topic(),
              data = second:payload():data()}
    end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main(which)
      if which == "context" then
        local pid, err = process.with_context({tenant = "t-1"})
          :with_message("hello", "first"):with_message("again", {n = 2})
          :spawn_monitored("app:contextual", "app:worker")
        if err then error(err) end
        local event = process.events():receive()
        if event.result.error then error(event.result.error) end
        return event.result.value
      end
      if which == "notify" then
        local result, err = process.exec("app:notifier", "app:worker", process.pid())
        if err then error(err) end
        local msg = process.inbox():receive()
        return {result = result, topic = msg:topic(), by = msg:payload():data().by,
                from = msg:from()}
      end
      local result, err = process.exec(which, "app:worker", 1)
      if err then error(err) end
      return result
    end
    return {main = main}
"""


def test_futures_versions_info_and_memo(temporal_app: Any) -> None:
    app = temporal_app(FEATURES)
    ran = run_on_temporal(app.root, "app:main", "app:futures")
    assert ran.error is None
    assert ran.value == {"a": 9, "b": 16, "cancelled": True, "is_canceled": True,
                         "version": 2, "type": "app:futures", "attrs": True, "history": True}
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    events = history(app.server, workflow_id)
    markers = events_of(events, "MARKER_RECORDED")
    assert [m["markerName"] for m in markers] == ["core_patch"]  # pricing@2
    assert events_of(events, "ACTIVITY_TASK_CANCEL_REQUESTED")
    assert events_of(events, "WORKFLOW_PROPERTIES_MODIFIED")  # the memo


def test_process_upgrade_continues_as_new(temporal_app: Any) -> None:
    app = temporal_app(FEATURES)
    ran = run_on_temporal(app.root, "app:main", "app:counter")
    assert (ran.error, ran.value) == (None, "counted to 3")
    [workflow_id] = set(workflow_ids(app.server, app.task_queue))
    runs = app.server.cli("workflow", "list", "--query", f"WorkflowId = '{workflow_id}'")
    assert runs.stdout.count("ContinuedAsNew") == 2


def test_a_workflows_send_to_an_actor_arrives_once(temporal_app: Any) -> None:
    app = temporal_app(FEATURES)
    ran = run_on_temporal(app.root, "app:main", "notify")
    assert ran.error is None
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    pid = f"{{app:worker|{workflow_id}}}"
    assert ran.value == {"result": "sent", "topic": "done", "by": pid, "from": pid}
    # Made by a local activity: recorded as a marker, not repeated on replay.
    markers = events_of(history(app.server, workflow_id), "MARKER_RECORDED")
    assert [m["markerName"] for m in markers] == ["core_local_activity"]


def test_context_values_and_start_messages_reach_the_workflow(temporal_app: Any) -> None:
    app = temporal_app(FEATURES)
    ran = run_on_temporal(app.root, "app:main", "context")
    assert ran.error is None
    assert ran.value == {"tenant": "t-1", "first": "hello", "second": "again",
                         "data": {"n": 2}}
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    events = history(app.server, workflow_id)
    # The first message started the run with it (SignalWithStart): both signals are in
    # the history, the first one before the first workflow task.
    signals = events_of(events, "WORKFLOW_EXECUTION_SIGNALED")
    assert [s["signalName"] for s in signals] == ["hello", "again"]
    assert events[1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"

"""ctx values reach a workflow's activities alike on both engines.

A workflow started with ``process.with_context{tenant=...}`` calls a ``function.lua``
three ways (``funcs.call``, an executor ``with_context{trace=...}``, ``funcs.async``);
the function reports what ``ctx.get`` sees: the workflow's values, the executor's on
top, and ``idempotency_key``/``attempt``/``workflow_id``. On Temporal the values
travel in the activity task's ``wippy-context`` header (not in its arguments, which
the history shows unchanged), and a child workflow inherits them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from engines import Engine, TemporalEngine
from temporal_helpers import events_of, history

APP = """
- name: probe
  kind: function.lua
  method: main
  modules: [ctx]
  source: |
    local ctx = require("ctx")
    return {main = function(tag)
      return {tag = tag, tenant = ctx.get("tenant"), trace = ctx.get("trace"),
              key = ctx.get("idempotency_key"), workflow_id = ctx.get("workflow_id"),
              attempt = ctx.get("attempt")}
    end}
- name: child
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs]
  source: |
    local funcs = require("funcs")
    return {main = function() return funcs.call("app:probe", "child") end}
- name: flow
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs]
  source: |
    local funcs = require("funcs")
    return {main = function()
      local plain = funcs.call("app:probe", "plain")
      local traced = funcs.new():with_context({trace = "t-9"}):call("app:probe", "traced")
      local future = funcs.new():with_context({trace = "t-async"}):async("app:probe", "async")
      local later = future:response():receive():data()
      local child = process.with_context({trace = "t-child"})
        :with_options({["temporal.workflow.id"] = "ctx-flow-child"})
        :spawn_monitored("app:child", "app:worker")
      local event = process.events():receive()
      assert(event.from == child, "EXIT of the child")
      return {plain = plain, traced = traced, later = later, child = event.result.value}
    end}
- name: main
  kind: process.lua
  method: main
  source: |
    return {main = function()
      local pid, err = process.with_context({tenant = "acme"})
        :with_options({["temporal.workflow.id"] = "ctx-flow"})
        :spawn_monitored("app:flow", "app:worker")
      if err then return nil, err end
      local event = process.events():receive()
      if event.result.error then return nil, event.result.error end
      return event.result.value
    end}
"""


def test_ctx_reaches_activities_and_children(engine: Engine, tmp_path: Path) -> None:
    app = engine.write_app(tmp_path, APP)
    value, error = engine.run(app, "app:main")
    assert error is None, error
    keys = set()
    for tag, trace in (("plain", None), ("traced", "t-9"), ("later", "t-async")):
        seen = value[tag]
        assert seen["tenant"] == "acme" and seen.get("trace") == trace, (tag, seen)
        assert seen["workflow_id"] == "ctx-flow" and seen["attempt"] == 1
        assert isinstance(seen["key"], str) and seen["key"]
        keys.add(seen["key"])
    assert len(keys) == 3  # one idempotency key per call
    child = value["child"]
    assert (child["tenant"], child["trace"], child["workflow_id"]) == (
        "acme", "t-child", "ctx-flow-child")
    if isinstance(engine, TemporalEngine):
        events = history(engine.server, "ctx-flow")
        scheduled = events_of(events, "ACTIVITY_TASK_SCHEDULED")
        # the arguments are the Lua call's; the ctx travels in the header
        assert [json.loads(base64.b64decode(s["input"]["payloads"][0]["data"]))
                for s in scheduled] == ["plain", "traced", "async"]
        headers = [json.loads(base64.b64decode(s["header"]["fields"]["wippy-context"]["data"]))
                   for s in scheduled]
        assert headers == [{"tenant": "acme"}, {"tenant": "acme", "trace": "t-9"},
                           {"tenant": "acme", "trace": "t-async"}]

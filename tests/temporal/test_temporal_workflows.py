"""Lua workflows on a real Temporal server: activities, errors, timers and the
workflow clock, started from Lua and with the official ``temporal`` CLI."""

from __future__ import annotations

import uuid
from typing import Any

from temporal_helpers import (
    describe,
    events_of,
    exec_main,
    history,
    replay_failure,
    run_on_temporal,
    serve_while,
    workflow_ids,
)

from wippy_py.workflow import args_hash

ORDER = """
- name: charge
  kind: function.lua
  method: main
  modules: [ctx]
  source: |
    local ctx = require("ctx")
    local function main(p)
      return {id = "tx-" .. p.amount, amount = p.amount,
              key = ctx.get("idempotency_key"), attempt = ctx.get("attempt")}
    end
    return {main = main}
- name: check
  kind: function.lua
  method: main
  source: |
    return {main = function(id) return "ok:" .. id end}
- name: order
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs]
  source: |
    local funcs = require("funcs")
    local function main(payment)
      local charged = funcs.call("app:charge", payment)
      local status = funcs.call("app:check", charged.id)
      return {charge = charged, status = status}
    end
    return {main = main}
""" + exec_main("app:order", "amount", "{amount = tonumber(amount)}")


def test_sequential_activities_return_the_result_to_process_exec(temporal_app: Any) -> None:
    app = temporal_app(ORDER)
    ran = run_on_temporal(app.root, "app:main", "42")
    assert ran.error is None
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    charge = ran.value["charge"]
    assert (charge["id"], charge["amount"], charge["attempt"]) == ("tx-42", 42, 1)
    assert ran.value["status"] == "ok:tx-42"
    events = history(app.server, workflow_id)
    scheduled = events_of(events, "ACTIVITY_TASK_SCHEDULED")
    assert [s["activityType"]["name"] for s in scheduled] == ["app:charge", "app:check"]
    # The activity ID carries the argument hash (Temporal compares IDs on replay).
    assert scheduled[0]["activityId"] == f"0.app:charge.args-{args_hash([{'amount': 42}])}"
    started = events_of(events, "WORKFLOW_EXECUTION_STARTED")[0]
    assert charge["key"] == f"{started['originalExecutionRunId']}:{scheduled[0]['activityId']}"
    assert started["workflowType"]["name"] == "app:order"
    assert workflow_id.startswith("app:order-")


def test_the_official_cli_starts_a_lua_workflow_and_reads_its_result(temporal_app: Any) -> None:
    app = temporal_app(ORDER)
    workflow_id = f"cli-{uuid.uuid4().hex[:8]}"

    def use_the_cli() -> Any:
        app.cli_start("app:order", workflow_id, "--input", '{"amount": 7}')
        return app.cli_result(workflow_id)

    outcome = serve_while(app.root, use_the_cli)
    assert outcome["status"] == "COMPLETED", outcome
    assert outcome["result"]["status"] == "ok:tx-7"
    assert outcome["result"]["charge"]["amount"] == 7


ERRORS = """
- name: flaky
  kind: function.lua
  method: main
  modules: [ctx]
  source: |
    local ctx = require("ctx")
    local function main()
      local attempt = ctx.get("attempt")
      if attempt < 2 then
        return nil, errors.new({message = "try again", kind = errors.UNAVAILABLE, retryable = true})
      end
      return attempt
    end
    return {main = main}
- name: refuse
  kind: function.lua
  method: main
  source: |
    local function main()
      return nil, errors.new({message = "no such card", kind = errors.NOT_FOUND, retryable = false})
    end
    return {main = main}
- name: crash
  kind: function.lua
  method: main
  source: |
    return {main = function() local t = nil; return t.field end}
- name: calls
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [funcs]
  source: |
    local funcs = require("funcs")
    local function main()
      local quick = funcs.new():with_options({
        ["activity.retry_policy"] = {initial_interval = "100ms", maximum_attempts = 5}})
      local attempts = quick:call("app:flaky")
      local _, refused = quick:call("app:refuse")
      local _, crashed = quick:call("app:crash")
      local _, missing = funcs.call("app:nope")
      return {attempts = attempts,
              refused = {refused:kind(), refused:message(), refused:retryable()},
              crashed = {crashed:kind(), tostring(crashed:retryable())},
              missing = missing:kind()}
    end
    return {main = main}
- name: broken
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main() error("the script broke") end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main(which)
      local result, err = process.exec(which, "app:worker")
      if err then return {kind = err:kind(), message = err:message()} end
      return result
    end
    return {main = main}
"""


def test_activity_errors_reach_the_workflow_with_kind_and_retries(temporal_app: Any) -> None:
    app = temporal_app(ERRORS)
    ran = run_on_temporal(app.root, "app:main", "app:calls")
    assert ran.error is None
    assert ran.value["attempts"] == 2  # retried (retryable=true), then succeeded
    assert ran.value["refused"] == ["NotFound", "no such card", False]
    assert ran.value["crashed"] == ["Internal", "nil"]  # a Lua error: not retried
    assert ran.value["missing"] == "NotFound"
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    failed = events_of(history(app.server, workflow_id), "ACTIVITY_TASK_FAILED")
    assert len(failed) == 2  # refuse and crash: one attempt each


def test_a_lua_error_fails_the_workflow_instead_of_retrying_its_task(temporal_app: Any) -> None:
    app = temporal_app(ERRORS)
    ran = run_on_temporal(app.root, "app:main", "app:broken")
    # The same error as on the embedded engine (a Lua runtime error has no kind).
    assert ran.value == {"kind": "", "message": "_index.yaml[broken]:1: the script broke"}
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    info = describe(app.server, workflow_id)["workflowExecutionInfo"]
    assert info["status"] == "WORKFLOW_EXECUTION_STATUS_FAILED"


CLOCK = """
- name: clock
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [time, uuid]
  source: |
    local time = require("time")
    local uuid = require("uuid")
    local function main()
      local t1 = time.now()
      time.sleep("1s")
      local t2 = time.now()
      local fired = time.after("500ms"):receive()
      local ticker = time.ticker("200ms")
      local ticks = 0
      while ticks < 2 do ticker:channel():receive(); ticks = ticks + 1 end
      ticker:stop()
      return {t1 = t1:unix_nano(), t2 = t2:unix_nano(), fired = fired:unix_nano(),
              ticks = ticks, os = os.time(), u4 = uuid.v4(), u7 = uuid.v7(),
              u1 = uuid.v1(), r = math.random(1, 1000000)}
    end
    return {main = main}
""" + exec_main("app:clock")


def test_durable_timers_and_the_workflow_clock(temporal_app: Any) -> None:
    app = temporal_app(CLOCK)
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None
    value = ran.value
    assert value["t2"] - value["t1"] >= 1_000_000_000  # time.now() follows the timer
    assert value["fired"] - value["t2"] >= 500_000_000
    assert value["ticks"] == 2
    assert value["os"] in (value["fired"] // 10**9, value["fired"] // 10**9 + 1) or \
        value["os"] >= value["fired"] // 10**9
    assert value["u4"][14] == "4" and value["u7"][14] == "7" and value["u1"][14] == "1"
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    events = history(app.server, workflow_id)
    timers = [t["startToFireTimeout"] for t in events_of(events, "TIMER_STARTED")]
    assert timers[:2] == ["1s", "0.500s"]
    assert len(timers) >= 4  # the ticker's timers
    assert events_of(events, "MARKER_RECORDED") == []  # now/uuid/random cost no events
    # Replaying the history with the same code gives the same commands.
    assert replay_failure(app.root, events, workflow_id) is None


def test_a_replay_whose_activity_arguments_changed_is_nondeterministic(
    temporal_app: Any,
) -> None:
    app = temporal_app(ORDER)
    ran = run_on_temporal(app.root, "app:main", "5")
    assert ran.error is None
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    events = history(app.server, workflow_id)
    assert replay_failure(app.root, events, workflow_id) is None
    # Same activities in the same order, other arguments: Temporal alone would
    # replay this "successfully"; the argument hash in the activity ID catches it.
    index = app.root / "_index.yaml"
    index.write_text(index.read_text().replace('funcs.call("app:check", charged.id)',
                                               'funcs.call("app:check", charged.id .. "!")'))
    failure = replay_failure(app.root, events, workflow_id)
    assert failure is not None
    assert "Nondeterminism" in str(failure) and "app:check.args-" in str(failure)


RUNAWAY = """
- name: spin
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main() while true do end end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main()
      local _, err = process.exec("app:spin", "app:worker")
      return err and err:message() or "no error"
    end
    return {main = main}
"""


def test_a_runaway_loop_fails_the_workflow_instead_of_wedging_the_worker(
    temporal_app: Any,
) -> None:
    app = temporal_app(RUNAWAY)
    ran = run_on_temporal(app.root, "app:main")  # returns: the worker shut down cleanly
    assert "instruction" in ran.value, ran.value
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    info = describe(app.server, workflow_id)["workflowExecutionInfo"]
    assert info["status"] == "WORKFLOW_EXECUTION_STATUS_FAILED"

"""Temporal-only activity and start options reach Temporal (and act there).

Activity options (``funcs.new():with_options{...}``): ``activity.task_queue`` routes a
call to another worker's queue, ``activity.schedule_to_start_timeout`` fails a call
nobody picks up, ``activity.heartbeat_timeout`` fails a call that runs longer than it
without heartbeating (Lua functions do not heartbeat). Start options
(``process.with_options{["temporal.workflow.*"] = ...}``) appear in the started
run's history, an execution timeout ends a workflow with a Timeout error, and an
option the backend cannot honour is refused at the spawn.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from temporal_helpers import describe, events_of, history, run_on_temporal


def _data(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"]))


def options_app(other_queue: str) -> str:
    return f"""
- name: other
  kind: temporal.worker
  client: app:temporal_client
  task_queue: {other_queue}
  worker_options: {{identity: other-node}}
- name: echo
  kind: function.lua
  method: main
  source: |
    return {{main = function(x) return "echo " .. x end}}
- name: slow
  kind: function.lua
  method: main
  modules: [time]
  source: |
    local time = require("time")
    return {{main = function() time.sleep("3s"); return "late" end}}
- name: sleeper
  kind: workflow.lua
  meta: {{temporal: {{workflow: {{worker: app:worker}}}}}}
  method: main
  modules: [time]
  source: |
    local time = require("time")
    return {{main = function() time.sleep("1m"); return "woke" end}}
- name: child
  kind: workflow.lua
  meta: {{temporal: {{workflow: {{worker: app:worker}}}}}}
  method: main
  source: |
    return {{main = function() return "child done" end}}
- name: flow
  kind: workflow.lua
  meta: {{temporal: {{workflow: {{worker: app:worker}}}}}}
  method: main
  modules: [funcs]
  source: |
    local funcs = require("funcs")
    local once = {{maximum_attempts = 1}}
    return {{main = function(other_queue)
      local routed = funcs.new():with_options({{["activity.task_queue"] = other_queue}})
        :call("app:echo", "routed")
      local _, lost = funcs.new():with_options({{
        ["activity.task_queue"] = "nobody-polls-this",
        ["activity.schedule_to_start_timeout"] = "1s", ["activity.retry_policy"] = once}})
        :call("app:echo", "lost")
      local _, silent = funcs.new():with_options({{
        ["activity.heartbeat_timeout"] = "1s", ["activity.retry_policy"] = once}})
        :call("app:slow")
      local child = process.with_options({{["temporal.workflow.id"] = "opts-child",
          ["temporal.workflow.parent_close_policy"] = "abandon",
          ["temporal.workflow.execution_timeout"] = "30s"}})
        :spawn_monitored("app:child", "app:worker")
      local event = process.events():receive()
      return {{routed = routed, lost = lost:kind(), silent = silent:kind(),
               child = event.result.value}}
    end}}
- name: main
  kind: process.lua
  method: main
  source: |
    return {{main = function(which, other_queue)
      if which == "refused" then
        local pid, err = process.with_options({{
          ["temporal.workflow.search_attributes"] = {{CustomerId = "c-1"}}}})
          :spawn("app:flow", "app:worker")
        return {{pid = pid, kind = err and err:kind(), message = tostring(err)}}
      end
      local options = {{["temporal.workflow.id"] = "opts-" .. which}}
      if which == "child" then  -- started on the other worker's queue
        options["temporal.workflow.id"] = "opts-child-" .. other_queue
        options["temporal.workflow.task_queue"] = other_queue
        options["temporal.workflow.id_reuse_policy"] = "reject_duplicate"
      elseif which == "flow" then
        options["temporal.workflow.execution_timeout"] = "2m"
        options["temporal.workflow.run_timeout"] = "90s"
        options["temporal.workflow.task_timeout"] = "5s"
        options["temporal.workflow.memo"] = {{team = "billing"}}
        options["temporal.workflow.retry_policy"] = {{maximum_attempts = 2}}
        options["temporal.workflow.id_reuse_policy"] = "allow_duplicate"
        options["temporal.workflow.start_delay"] = "1s"
      else
        options["temporal.workflow.execution_timeout"] = "1s"
      end
      local pid, err = process.with_options(options)
        :spawn_monitored("app:" .. which, "app:worker", other_queue)
      if err then return nil, err end
      local event = process.events():receive()
      if event.result.error then
        return {{kind = event.result.error:kind(), message = tostring(event.result.error)}}
      end
      return event.result.value
    end}}
"""


def test_activity_and_start_options_act_on_temporal(temporal_app: Any) -> None:
    other_queue = f"other-{uuid.uuid4().hex[:8]}"
    app = temporal_app(options_app(other_queue))
    ran = run_on_temporal(app.root, "app:main", "flow", other_queue)
    assert ran.error is None, ran.error
    assert ran.value == {"routed": "echo routed", "lost": "Timeout", "silent": "Timeout",
                         "child": "child done"}
    events = history(app.server, "opts-flow")
    (started,) = events_of(events, "WORKFLOW_EXECUTION_STARTED")
    assert started["workflowExecutionTimeout"] == "120s"
    assert started["workflowRunTimeout"] == "90s"
    assert started["workflowTaskTimeout"] == "5s"
    assert started["retryPolicy"]["maximumAttempts"] == 2
    assert started["firstWorkflowTaskBackoff"] == "1s"  # start_delay
    assert _data(started["memo"]["fields"]["team"]) == "billing"
    scheduled = events_of(events, "ACTIVITY_TASK_SCHEDULED")
    assert [s["taskQueue"]["name"] for s in scheduled] == [
        other_queue, "nobody-polls-this", app.task_queue]
    assert scheduled[1]["scheduleToStartTimeout"] == "1s"
    assert scheduled[2]["heartbeatTimeout"] == "1s"
    first = next(e["eventId"] for e in events
                 if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED")
    (routed,) = [e for e in events_of(events, "ACTIVITY_TASK_STARTED")
                 if e["scheduledEventId"] == first]
    assert routed["identity"] == "other-node"  # the other worker ran it
    timeouts = [e["failure"]["timeoutFailureInfo"]["timeoutType"]
                for e in events_of(events, "ACTIVITY_TASK_TIMED_OUT")]
    assert timeouts == ["TIMEOUT_TYPE_SCHEDULE_TO_START", "TIMEOUT_TYPE_HEARTBEAT"]
    (child,) = events_of(events, "START_CHILD_WORKFLOW_EXECUTION_INITIATED")
    assert child["parentClosePolicy"] == "PARENT_CLOSE_POLICY_ABANDON"
    assert child["workflowExecutionTimeout"] == "30s"


def test_an_execution_timeout_ends_the_workflow_with_a_timeout(temporal_app: Any) -> None:
    app = temporal_app(options_app("unused"))
    ran = run_on_temporal(app.root, "app:main", "sleeper")
    assert ran.error is None, ran.error
    assert ran.value["kind"] == "Timeout"
    assert describe(app.server, "opts-sleeper")["workflowExecutionInfo"]["status"] == (
        "WORKFLOW_EXECUTION_STATUS_TIMED_OUT")


def test_an_option_temporal_cannot_honour_is_a_spawn_error(temporal_app: Any) -> None:
    app = temporal_app(options_app("unused"))
    ran = run_on_temporal(app.root, "app:main", "refused")
    assert "pid" not in ran.value and ran.value["kind"] == "Invalid"
    assert "temporal.workflow.search_attributes" in ran.value["message"]


def test_a_start_on_another_task_queue_and_a_rejected_duplicate(temporal_app: Any) -> None:
    other_queue = f"other-{uuid.uuid4().hex[:8]}"
    app = temporal_app(options_app(other_queue))
    ran = run_on_temporal(app.root, "app:main", "child", other_queue)
    assert ran.error is None and ran.value == "child done"
    events = history(app.server, f"opts-child-{other_queue}")
    (started,) = events_of(events, "WORKFLOW_EXECUTION_STARTED")
    assert started["taskQueue"]["name"] == other_queue
    # the ID is closed now, and reject_duplicate refuses another run of it: a spawn error
    again = run_on_temporal(app.root, "app:main", "child", other_queue)
    assert again.error is not None and again.error.kind == "AlreadyExists"
    assert "reuse" in again.error.message


def test_the_option_readers() -> None:
    from datetime import timedelta

    from temporalio import workflow
    from temporalio.common import Priority, WorkflowIDReusePolicy

    from wippy_py.backends.temporal._options import activity_options, start_options
    from wippy_py.workflow import OptionsError

    assert activity_options({
        "activity.task_queue": "q", "activity.heartbeat_timeout": "5s",
        "activity.schedule_to_start_timeout": 1500, "activity.id": "pay-1",
        "activity.wait_for_cancellation": True, "activity.summary": "pay",
        "activity.priority": 2, "activity.disable_eager_execution": True,
    }) == {
        "task_queue": "q", "heartbeat_timeout": timedelta(seconds=5),
        "schedule_to_start_timeout": timedelta(seconds=1.5), "activity_id": "pay-1",
        "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        "summary": "pay", "priority": Priority(priority_key=2),
    }
    top = start_options({"temporal.workflow.cron_schedule": "*/5 * * * *",
                         "temporal.workflow.enable_eager_start": True,
                         "temporal.workflow.id_reuse_policy": "allow_duplicate_failed_only",
                         "temporal.workflow.namespace": "default"},
                        child=False, namespace="default")
    assert top == {"cron_schedule": "*/5 * * * *", "request_eager_start": True,
                   "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY}
    child = start_options({"temporal.workflow.wait_for_cancellation": False,
                           "temporal.workflow.parent_close_policy": "request_cancel",
                           "temporal.workflow.start_delay": "1s"},  # not for children
                          child=True, namespace="default")
    assert child == {"cancellation_type": workflow.ChildWorkflowCancellationType.TRY_CANCEL,
                     "parent_close_policy": workflow.ParentClosePolicy.REQUEST_CANCEL}
    for bad, key in (({"temporal.workflow.namespace": "prod"}, "namespace"),
                     ({"temporal.workflow.id_reuse_policy": "sometimes"}, "id_reuse_policy"),
                     ({"temporal.workflow.run_timeout": "soon"}, "run_timeout"),
                     ({"temporal.workflow.memo": ["x"]}, "memo")):
        try:
            start_options(bad, child=False, namespace="default")
        except OptionsError as exc:
            assert f"temporal.workflow.{key}" in str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
    try:
        activity_options({"activity.priority": 0})
    except OptionsError as exc:
        assert "activity.priority" in str(exc)
    else:
        raise AssertionError("priority 0 was accepted")

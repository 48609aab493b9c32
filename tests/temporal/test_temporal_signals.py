"""Messages into Lua workflows on Temporal: ``process.send`` and the official CLI's
signals reach the inbox or a ``listen`` channel; built-in queries; cancellation
arrives as a CANCEL event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from temporal_helpers import (
    ECHO_BACK,
    describe,
    events_of,
    exec_main,
    history,
    run_on_temporal,
    serve_while,
    workflow_ids,
)

APPROVAL = """
- name: approval
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  modules: [time]
  source: |
    local time = require("time")
    local function main(order)
      local approvals = process.listen("approve")
      local first = process.inbox():receive()
      local second = approvals:receive()
      return {order = order, topic = first:topic(), from = first:from(),
              note = first:payload():data(), approved_by = second.by}
    end
    return {main = main}
- name: waiter
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main()
      local inbox, events = process.inbox(), process.events()
      local r = channel.select({inbox:case_receive(), events:case_receive()})
      if r.channel == events then
        return {event = r.value.kind, reason = r.value.reason}
      end
      return {topic = r.value:topic(), data = r.value:payload():data(), from = r.value:from()}
    end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main()
      local pid, err = process.spawn_monitored("app:approval", "app:worker", "o-1")
      if err then error(err) end
      process.send(pid, "note", "rush order")
      process.send(pid, "approve", {by = "alice"})
      local events = process.events()
      while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
          if event.result.error then error(event.result.error) end
          return {result = event.result.value, me = process.pid(), pid = pid}
        end
      end
    end
    return {main = main}
"""


def test_process_send_reaches_the_inbox_and_listen_with_the_sender(temporal_app: Any) -> None:
    app = temporal_app(APPROVAL)
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None
    result = ran.value["result"]
    assert result == {"order": "o-1", "topic": "note", "from": ran.value["me"],
                      "note": "rush order", "approved_by": "alice"}
    [workflow_id] = workflow_ids(app.server, app.task_queue)
    assert ran.value["pid"] == f"{{app:worker|{workflow_id}}}"
    signals = events_of(history(app.server, workflow_id), "WORKFLOW_EXECUTION_SIGNALED")
    assert [s["signalName"] for s in signals] == ["note", "approve"]


def test_the_cli_signals_and_queries_a_lua_workflow(temporal_app: Any) -> None:
    app = temporal_app(APPROVAL)
    workflow_id = f"wait-{uuid.uuid4().hex[:8]}"

    def use_the_cli() -> Any:
        app.cli_start("app:waiter", workflow_id)
        queried = app.server.cli("workflow", "query", "--workflow-id", workflow_id,
                                 "--type", "pid", "--output", "json")
        state = app.server.cli("workflow", "query", "--workflow-id", workflow_id,
                               "--type", "state", "--output", "json")
        unknown = app.server.cli("workflow", "query", "--workflow-id", workflow_id,
                                 "--type", "nope")
        app.cli_signal(workflow_id, "go", '{"speed": 3}')
        return queried, state, unknown, app.cli_result(workflow_id)

    queried, state, unknown, outcome = serve_while(app.root, use_the_cli)
    assert queried.returncode == 0, queried.stderr
    assert json.loads(queried.stdout)["queryResult"] == [f"{{app:worker|{workflow_id}}}"]
    assert json.loads(state.stdout)["queryResult"] == [{}]
    assert unknown.returncode != 0 and "unknown query type" in unknown.stderr
    assert outcome["status"] == "COMPLETED"
    assert outcome["result"] == {"topic": "go", "data": {"speed": 3}, "from": ""}


def test_a_cancellation_request_is_a_cancel_event(temporal_app: Any) -> None:
    app = temporal_app(APPROVAL)
    workflow_id = f"cancel-{uuid.uuid4().hex[:8]}"

    def use_the_cli() -> Any:
        app.cli_start("app:waiter", workflow_id)
        cancelled = app.server.cli("workflow", "cancel", "--workflow-id", workflow_id)
        assert cancelled.returncode == 0, cancelled.stderr
        return app.cli_result(workflow_id)

    outcome = serve_while(app.root, use_the_cli)
    # The code saw the CANCEL event and returned normally: the run completes.
    assert outcome["status"] == "COMPLETED", outcome
    assert outcome["result"]["event"] == "pid.cancel"


def test_process_cancel_from_an_actor_carries_its_reason(temporal_app: Any) -> None:
    app = temporal_app(APPROVAL + CANCELLER)
    ran = run_on_temporal(app.root, "app:canceller")
    assert ran.error is None
    assert ran.value == {"event": "pid.cancel", "reason": "customer left"}


CANCELLER = """
- name: canceller
  kind: process.lua
  method: main
  source: |
    local function main()
      local pid, err = process.spawn_monitored("app:waiter", "app:worker")
      if err then error(err) end
      process.cancel(pid, "customer left")
      local event = process.events():receive()
      if event.result.error then error(event.result.error) end
      return event.result.value
    end
    return {main = main}
"""


CONTROLS = """
- name: controls
  kind: process.lua
  method: main
  source: |
    local function main(id)
      local opts = {["temporal.workflow.id"] = id}
      local pid, err = process.with_options(opts):spawn_monitored("app:waiter", "app:worker")
      if err then error(err) end
      local again = process.with_options(opts):spawn("app:waiter", "app:worker")
      local _, dup = process.with_options({["temporal.workflow.id"] = id,
        ["temporal.workflow.id_conflict_policy"] = "fail"}):spawn("app:waiter", "app:worker")
      process.terminate(pid)
      local event = process.events():receive()
      return {same = again == pid, dup = dup:kind(), kind = event.kind,
              error = event.result.error:kind(), message = event.result.error:message()}
    end
    return {main = main}
"""


def test_actors_start_attach_to_and_terminate_workflows(temporal_app: Any) -> None:
    app = temporal_app(APPROVAL + CONTROLS)
    workflow_id = f"ctl-{uuid.uuid4().hex[:8]}"
    ran = run_on_temporal(app.root, "app:controls", workflow_id)
    assert ran.error is None
    assert ran.value == {"same": True, "dup": "AlreadyExists", "kind": "pid.exit",
                         "error": "Canceled",
                         "message": "workflow terminated: terminated by a process"}
    info = describe(app.server, workflow_id)["workflowExecutionInfo"]
    assert info["status"] == "WORKFLOW_EXECUTION_STATUS_TERMINATED"


STRANGERS = ECHO_BACK + """
- name: sender
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main(target)
      local nowhere = process.send("{app:worker|no-such-workflow}", "hello", 1)
      local sent = process.send("{app:worker|" .. target .. "}", "hello", {n = 7})
      local ack = process.inbox():receive()
      return {nowhere = nowhere, sent = sent, topic = ack:topic(),
              ack = ack:payload():data(), me = process.pid()}
    end
    return {main = main}
""" + exec_main("app:sender", "target", "target")


def test_a_workflow_signals_a_workflow_it_did_not_start(temporal_app: Any) -> None:
    """A send from a workflow to the PID ``{worker|id}`` of a workflow started
    elsewhere (here by the CLI; the node knows nothing of it) is a signal to that
    workflow ID; a send to an ID that does not exist is dropped, as sends to dead PIDs
    are."""
    app = temporal_app(STRANGERS)
    target = f"stranger-{uuid.uuid4().hex[:8]}"
    app.cli_start("app:echo_back", target)
    ran = run_on_temporal(app.root, "app:main", target)
    assert ran.error is None, ran.error
    me = ran.value["me"]
    assert ran.value == {"nowhere": True, "sent": True, "topic": "ack", "me": me,
                         "ack": {"heard": {"n": 7}, "from": me}}
    # the stranger's history has the signal (its end may come after the node stopped)
    signals = events_of(history(app.server, target), "WORKFLOW_EXECUTION_SIGNALED")
    assert [s["signalName"] for s in signals] == ["hello"]
    app.server.cli("workflow", "terminate", "--workflow-id", target, "--reason", "test over")


ACTOR_TO_STRANGER = """
- name: actor
  kind: process.lua
  method: main
  source: |
    local function main(target)
      local nohost = process.send("{app:elsewhere|x}", "hello", 1)
      local nowhere = process.send("{app:worker|no-such-workflow}", "hello", 1)
      local sent = process.send("{app:worker|" .. target .. "}", "hello", {n = 7})
      local ack = process.inbox():receive()
      return {nohost = nohost, nowhere = nowhere, sent = sent, topic = ack:topic(),
              ack = ack:payload():data(), me = process.pid()}
    end
    return {main = main}
"""


def test_an_actor_signals_a_workflow_the_node_does_not_know(temporal_app: Any) -> None:
    """A send from an ACTOR to ``{worker|id}`` of a workflow started elsewhere (the
    temporal CLI; the node has no proxy for it) is a signal named by the topic to that
    workflow ID, with the actor's PID as the sender (the workflow answers it). A PID
    on a host that is not a Temporal worker of the app, or of a workflow that does
    not exist, is dropped (true), as sends to dead PIDs are."""
    app = temporal_app(STRANGERS + ACTOR_TO_STRANGER)
    target = f"stranger-{uuid.uuid4().hex[:8]}"
    app.cli_start("app:echo_back", target)
    ran = run_on_temporal(app.root, "app:actor", target)
    assert ran.error is None, ran.error
    me = ran.value["me"]
    assert not me.startswith("{app:worker|")  # an actor, not a workflow
    assert ran.value == {"nohost": True, "nowhere": True, "sent": True, "topic": "ack",
                         "me": me, "ack": {"heard": {"n": 7}, "from": me}}
    signals = events_of(history(app.server, target), "WORKFLOW_EXECUTION_SIGNALED")
    assert [s["signalName"] for s in signals] == ["hello"]
    assert signals[0]["input"]["payloads"][0]["metadata"]["wippy-from"]

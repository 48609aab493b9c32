"""An actor's send to a workflow an earlier node started, on both engines.

Node 1 starts a workflow with an explicit ID and stops; on node 2 an actor sends to
its PID ``{worker|id}``. The embedded engine resumed the run from its journal when
node 2 booted, so the PID is a process of the node; on Temporal node 2 knows nothing
of the run, and the send becomes a signal to that workflow ID (``Router.remote_hosts``).
Either way the workflow gets the message with the actor as its sender and answers
it. A PID of a workflow ID that does not exist, or on a host that is not a worker of
the app, is dropped (``true``) on both engines, as sends to dead PIDs are.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from engines import Engine
from temporal_helpers import ECHO_BACK

APP = ECHO_BACK + """
- name: main
  kind: process.lua
  method: main
  modules: [time]
  source: |
    local time = require("time")
    local function main(mode, id)
      local pid = "{app:worker|" .. id .. "}"
      if mode == "start" then
        local started, err = process.with_options({["temporal.workflow.id"] = id})
          :spawn("app:echo_back", "app:worker")
        if err then error(err) end
        return started
      end
      local nohost = process.send("{app:elsewhere|x}", "hello", 1)
      local nowhere = process.send("{app:worker|no-such-workflow}", "hello", 1)
      local sent = process.send(pid, "hello", {n = 7})
      local r = channel.select({process.inbox():case_receive(),
                                time.after("60s"):case_receive()})
      local ack = r.channel ~= process.inbox() and "no answer" or r.value:payload():data()
      return {nohost = nohost, nowhere = nowhere, sent = sent, ack = ack,
              me = process.pid()}
    end
    return {main = main}
"""


def test_an_actor_reaches_a_workflow_an_earlier_node_started(
    engine: Engine, tmp_path: Path
) -> None:
    app = engine.write_app(tmp_path, APP)
    workflow_id = f"echo-{uuid.uuid4().hex[:8]}"
    pid, error = engine.run(app, "app:main", "start", workflow_id)  # node 1
    assert error is None and pid == f"{{app:worker|{workflow_id}}}", error
    result, error = engine.run(app, "app:main", "send", workflow_id)  # node 2
    assert error is None, error
    me = result["me"]
    assert result == {"nohost": True, "nowhere": True, "sent": True, "me": me,
                      "ack": {"heard": {"n": 7}, "from": me}}

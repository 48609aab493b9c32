"""A start the engine refuses is the spawn's error, on both engines.

``process.spawn*`` of a workflow returns ``nil, err`` when the start is refused — an
explicit ID that is already running, with ``id_conflict_policy = "fail"`` — and the
caller gets no EXIT for a process it never had. The running workflow was started by
an earlier node (embedded: the same journal; Temporal: the server), so the refusing
node does not know it in advance: on Temporal the spawning thread waits for the
server's answer to the start.

On Temporal the same holds for a child workflow spawned by a workflow with the ID of
a running one (Temporal refuses any such child start: child workflows have no
conflict policy). The embedded engine differs there today: with the default
``use_existing`` it returns the running workflow's PID, and with ``fail`` it returns
a PID whose EXIT carries the refusal — so that test runs on Temporal only.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from engines import Engine, TemporalEngine
from temporal_helpers import TemporalServer

APP = """
- name: waiter
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    return {main = function() return process.inbox():receive():payload():data() end}
- name: quick
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    return {main = function() return "quick" end}
- name: parent
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    return {main = function(taken)
      local pid, err = process.with_options({["temporal.workflow.id"] = taken,
          ["temporal.workflow.id_conflict_policy"] = "fail"})
        :spawn_monitored("app:waiter", "app:worker")
      local quick = process.spawn_monitored("app:quick", "app:worker")
      local first = process.events():receive()
      return {pid = pid, kind = err and err:kind(), first_exit_is_quick = first.from == quick}
    end}
- name: main
  kind: process.lua
  method: main
  source: |
    return {main = function(which, id)
      if which == "hold" then
        local pid, err = process.with_options({["temporal.workflow.id"] = id})
          :spawn("app:waiter", "app:worker")
        return {pid = pid, err = err and tostring(err)}
      end
      if which == "child" then
        local result, err = process.exec("app:parent", "app:worker", id)
        if err then return nil, err end
        return result
      end
      local pid, err = process.with_options({["temporal.workflow.id"] = id,
          ["temporal.workflow.id_conflict_policy"] = "fail"})
        :spawn_monitored("app:waiter", "app:worker")
      -- no EXIT comes for the refused spawn: the first one is the quick workflow's
      local quick = process.spawn_monitored("app:quick", "app:worker")
      local first = process.events():receive()
      return {pid = pid, kind = err and err:kind(), message = err and err:message(),
              first_exit_is_quick = first.from == quick}
    end}
"""


def _release(engine: Engine, workflow_id: str) -> None:
    if isinstance(engine, TemporalEngine):
        engine.server.cli("workflow", "terminate", "--workflow-id", workflow_id,
                          "--reason", "test over")


def test_a_refused_start_is_the_spawn_error(engine: Engine, tmp_path: Path) -> None:
    app = engine.write_app(tmp_path, APP)
    taken = f"taken-{uuid.uuid4().hex[:8]}"
    try:
        held, error = engine.run(app, "app:main", "hold", taken)  # node 1 starts it
        assert error is None and held["pid"] == f"{{app:worker|{taken}}}"
        refused, error = engine.run(app, "app:main", "again", taken)  # node 2: refused
        assert error is None, error
        assert "pid" not in refused
        assert refused["kind"] == "AlreadyExists"
        assert taken in refused["message"]
        assert refused["first_exit_is_quick"] is True
    finally:
        _release(engine, taken)


def test_a_refused_child_start_is_the_spawn_error_on_temporal(
    temporal_server: TemporalServer, tmp_path: Path
) -> None:
    engine = TemporalEngine(temporal_server)
    app = engine.write_app(tmp_path, APP)
    taken = f"taken-child-{uuid.uuid4().hex[:8]}"
    try:
        held, error = engine.run(app, "app:main", "hold", taken)
        assert error is None and held["pid"]
        result, error = engine.run(app, "app:main", "child", taken)
        assert error is None, error
        assert result == {"kind": "AlreadyExists", "first_exit_is_quick": True}
    finally:
        _release(engine, taken)

"""Workflows on the embedded engine: journaling, restart by replay, divergence."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from wf_harness import WfApp, function, process, run_main, serve_until, workflow

from wippy_py.errors import EntryError

CHARGE = function("""
    local logger = require("logger")
    local ctx = require("ctx")
    return {main = function(p)
      logger.info("EXEC charge", {key = ctx.get("idempotency_key")})
      return {id = "tx-" .. p.amount, amount = p.amount}
    end}
""")

STATUS = function("""
    local logger = require("logger")
    return {main = function(id)
      logger.info("EXEC status")
      return "ok:" .. id
    end}
""")

# The order workflow of the seed: charge, wait for approval, check the status.
ORDER = workflow("""
    local funcs = require("funcs")
    local time = require("time")
    local function main(payment)
      local result = funcs.call("app:charge", payment)
      local msg = process.inbox():receive()
      time.sleep("24h")
      local status = funcs.call("app:status", result.id)
      return {id = result.id, status = status, approved = msg.approved}
    end
    return {main = main}
""")

START = process("""
    local function main()
      local pid, err = process.with_options({}):with_name("order-1"):spawn("app:order", "app:worker",
        {amount = 42})
      return pid
    end
    return {main = main}
""")

SIGNAL = process("""
    local function main()
      process.send("{app:worker|order-1}", "approval", {approved = true})
      return true
    end
    return {main = main}
""")


def order_app(tmp_path: Path) -> WfApp:
    return WfApp(tmp_path / "app", {"charge": CHARGE, "status": STATUS, "order": ORDER,
                                    "start": START, "signal": SIGNAL}).write()


def executions(caplog: pytest.LogCaptureFixture, what: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage() == f"EXEC {what}")


def test_a_workflow_runs_to_completion_and_its_history_is_journaled(tmp_path: Path) -> None:
    app = order_app(tmp_path)
    app.entries["main"] = process("""
        local function main()
          local pid = process.spawn_monitored("app:order", "app:worker", {amount = 7})
          process.send(pid, "approval", {approved = true})
          local event = process.events():receive()
          return event.result.value
        end
        return {main = main}
    """)
    app.write()
    out = run_main(app)
    assert out.error is None
    assert out.value == {"id": "tx-7", "status": "ok:tx-7", "approved": True}
    (run,) = app.runs()
    assert run.status == "completed"
    assert run.result == out.value
    history = app.history(run.run_id)
    # The approval was sent at once: it is delivered at the first idle point, while the
    # charge runs; the inbox keeps it until the code receives it.
    assert [(r.type, r.kind) for r in history] == [
        ("command", "call"), ("event", "signal"), ("event", "completed"),
        ("command", "timer"), ("event", "fired"), ("command", "call"), ("event", "completed"),
    ]
    assert history[0].target == "app:charge"
    assert history[0].location.endswith("order.lua:5")
    assert history[3].target == "24h0m0s"
    assert history[4].value == history[3].value  # fired at the durable due time
    with app.journal() as journal:
        assert journal.check() == []


def test_after_a_restart_a_completed_activity_is_not_executed_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wippy_py")
    app = order_app(tmp_path)
    # First life: start the workflow; it charges, then waits for the approval.
    first = serve_until(app, lambda n: _has_event(app, "completed"),
                        start=lambda n: n.spawn("app:start", "wippy:terminal"))
    assert first.engines[0].runs == {}  # stopped: nothing left in memory
    (run,) = app.runs()
    assert run.status == "running"
    assert executions(caplog, "charge") == 1
    # Second life: the run replays (charge served from the journal), then the signal
    # arrives and it finishes.
    serve_until(app, lambda n: app.runs()[0].status != "running",
                start=lambda n: n.spawn("app:signal", "wippy:terminal"))
    (run,) = app.runs()
    assert run.status == "completed", run.error
    assert run.result == {"id": "tx-42", "status": "ok:tx-42", "approved": True}
    assert executions(caplog, "charge") == 1
    assert executions(caplog, "status") == 1


def test_a_running_workflow_keeps_the_script_it_started_with(tmp_path: Path) -> None:
    app = order_app(tmp_path)
    serve_until(app, lambda n: _has_event(app, "completed"),
                start=lambda n: n.spawn("app:start", "wippy:terminal"))
    # A new deployment changes the workflow: new runs get it, the in-flight run does not.
    app.set_source("order", ORDER.source.replace('funcs.call("app:status", result.id)',
                                                 '"changed"'))
    serve_until(app, lambda n: app.runs()[0].status != "running",
                start=lambda n: n.spawn("app:signal", "wippy:terminal"))
    (run,) = app.runs()
    assert run.status == "completed"
    assert run.result["status"] == "ok:tx-42"


def test_a_divergence_fails_the_run_naming_the_step_the_call_and_the_line(
    tmp_path: Path,
) -> None:
    # The workflow's script is pinned, but a library it imports is not: changing the
    # library changes what the replayed code calls.
    app = order_app(tmp_path)
    app.entries["pick"] = _library('return {target = function() return "app:charge" end}')
    app.entries["order"] = workflow("""
        local funcs = require("funcs")
        local pick = require("pick")
        local function main(payment)
          local result = funcs.call(pick.target(), payment)
          local msg = process.inbox():receive()
          return result
        end
        return {main = main}
    """, extra="imports: {pick: app:pick}\n")
    app.write()
    serve_until(app, lambda n: _has_event(app, "completed"),
                start=lambda n: n.spawn("app:start", "wippy:terminal"))
    app.entries["pick"] = _library('return {target = function() return "app:status" end}')
    app.write()
    serve_until(app, lambda n: app.runs()[0].status != "running")
    (run,) = app.runs()
    assert run.status == "failed"
    message = run.error["message"]
    assert "workflow order-1" in message and "diverged from its journal at step 0" in message
    assert "funcs.call(app:status)" in message and "funcs.call(app:charge)" in message
    assert "order.lua:5" in message


def test_replayed_side_effects_return_the_recorded_values(tmp_path: Path) -> None:
    app = order_app(tmp_path)
    app.entries["order"] = workflow("""
        local time = require("time")
        local uuid = require("uuid")
        local function main()
          local before = {id = uuid.v4(), now = time.now():unix_nano(), os = os.time(),
                          r = math.random(1, 1000000)}
          local msg = process.inbox():receive()
          return {before = before, again = {id = uuid.v4(), r = math.random(1, 1000000)}}
        end
        return {main = main}
    """)
    app.write()
    serve_until(app, lambda n: _has_kind(app, "uuid"),
                start=lambda n: n.spawn("app:start", "wippy:terminal"))
    (run,) = app.runs()
    recorded = {r.kind: r.value for r in app.history(run.run_id) if r.type == "command"}
    serve_until(app, lambda n: app.runs()[0].status != "running",
                start=lambda n: n.spawn("app:signal", "wippy:terminal"))
    (run,) = app.runs()
    before = run.result["before"]
    assert before["id"] == recorded["uuid"]
    assert before["now"] == recorded["now"]
    assert before["os"] == recorded["now"] // 1_000_000_000
    assert run.result["again"]["id"] != before["id"]


def test_math_random_is_the_same_on_replay_and_differs_between_runs(tmp_path: Path) -> None:
    app = order_app(tmp_path)
    app.entries["rand"] = workflow("""
        local function main()
          local a = {math.random(1, 10^9), math.random(1, 10^9), math.random()}
          local msg = process.inbox():receive()
          return {a = a, b = {math.random(1, 10^9)}}
        end
        return {main = main}
    """)
    app.entries["start"] = process("""
        return {main = function()
          for i = 1, 2 do process.with_options({}):with_name("r" .. i):spawn("app:rand", "app:worker") end
        end}
    """)
    app.entries["signal"] = process("""
        return {main = function()
          for i = 1, 2 do process.send("{app:worker|r" .. i .. "}", "go", 1) end
        end}
    """)
    app.write()
    # Both runs draw, get evicted by a restart, replay (drawing again) and finish.
    serve_until(app, lambda n: len(n.engines[0].runs) == 2 and n.scheduler.idle,
                start=lambda n: n.spawn("app:start", "wippy:terminal"))
    serve_until(app, lambda n: all(r.status != "running" for r in app.runs()),
                start=lambda n: n.spawn("app:signal", "wippy:terminal"))
    first, second = app.runs()
    assert first.status == second.status == "completed"
    assert first.result["a"] != second.result["a"]


def test_a_workflow_listing_a_nondeterministic_module_is_rejected_at_load(
    tmp_path: Path,
) -> None:
    app = order_app(tmp_path)
    app.entries["order"] = workflow("return {main = function() end}",
                                    modules=("funcs", "io"))
    app.write()
    with pytest.raises(EntryError, match=r"workflow app:order lists module 'io'.*not "
                                         r"deterministic.*allowed: ctx, funcs, json"):
        app.node()


def _library(source: str) -> object:
    from wf_harness import Entry

    return Entry("library.lua", source)


def _has_event(app: WfApp, kind: str) -> bool:
    return _has(app, "event", kind)


def _has_kind(app: WfApp, kind: str) -> bool:
    return _has(app, "command", kind)


def _has(app: WfApp, type_: str, kind: str) -> bool:
    path = app.root / ".wippy" / "journal.db"
    if not path.exists():
        return False
    runs = app.runs()
    return bool(runs) and any(r.type == type_ and r.kind == kind
                              for r in app.history(runs[0].run_id))


def test_a_send_to_an_actor_happens_once_even_when_the_workflow_replays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wippy_py")
    app = order_app(tmp_path)
    app.entries["order"] = workflow("""
        local function main()
          process.send("collector", "note", "hello")
          local msg = process.inbox():receive()
          process.send("collector", "note", "bye")
          return "sent"
        end
        return {main = main}
    """)
    app.entries["collector"] = process("""
        local logger = require("logger")
        return {main = function()
          process.registry.register("collector")
          local inbox = process.inbox()
          while true do
            local msg = inbox:receive()
            logger.info("GOT " .. msg:payload():data())
          end
        end}
    """, modules=("logger",))
    app.write()

    def start_collector_and(spawn: str | None) -> object:
        def start(node: object) -> None:
            node.spawn("app:collector", "wippy:terminal")  # type: ignore[attr-defined]
            if spawn:
                node.spawn(spawn, "wippy:terminal")  # type: ignore[attr-defined]
        return start

    serve_until(app, lambda n: any(r.getMessage() == "GOT hello" for r in caplog.records),
                start=start_collector_and("app:start"))
    serve_until(app, lambda n: app.runs()[0].status != "running",
                start=start_collector_and("app:signal"))
    got = [r.getMessage() for r in caplog.records if r.getMessage().startswith("GOT")]
    assert got == ["GOT hello", "GOT bye"]
    assert app.runs()[0].result == "sent"

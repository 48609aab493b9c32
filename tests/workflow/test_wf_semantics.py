"""Workflow semantics on the embedded engine: signals, select races, children,
cancellation, activity retries and timeouts, IDs, continue-as-new, versions."""

from __future__ import annotations

import itertools
from pathlib import Path

from wf_harness import WfApp, function, process, run_main, serve_until, workflow

OK = function('return {main = function(x) return {ok = x} end}')

FLAKY = function("""
    local ctx = require("ctx")
    return {main = function()
      local attempt = ctx.get("attempt")
      if attempt < 3 then
        return nil, errors.new({message = "busy " .. attempt, kind = "Unavailable",
                                retryable = true})
      end
      return {attempt = attempt, key = ctx.get("idempotency_key")}
    end}
""")

BROKEN = function('return {main = function() error("card reader on fire") end}')

SLOW = function("""
    local time = require("time")
    return {main = function() time.sleep("5s") return "late" end}
""", modules=("time", "ctx"))


def app_with(tmp_path: Path, **entries: object) -> WfApp:
    base = {"ok": OK, "flaky": FLAKY, "broken": BROKEN, "slow": SLOW}
    base.update(entries)  # type: ignore[arg-type]
    return WfApp(tmp_path / "app", base).write()  # type: ignore[arg-type]


def exec_main() -> object:
    return process("""
        local function main(...)
          local result, err = process.exec("app:wf", "app:worker", ...)
          if err then return {error = err:message(), kind = err:kind()} end
          return result
        end
        return {main = main}
    """)


def test_a_signal_races_a_durable_timeout_and_wins(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local time = require("time")
        local function main()
          local approvals = process.listen("approval")
          local timeout = time.after("2h")
          local r = channel.select({approvals:case_receive(), timeout:case_receive()})
          if r.channel == timeout then return "timed out" end
          return r.value.approved and "approved" or "rejected"
        end
        return {main = main}
    """), main=process("""
        local time = require("time")
        local function main(delay)
          local pid = process.spawn_monitored("app:wf", "app:worker")
          if delay then time.sleep(delay) end
          process.send(pid, "approval", {approved = true})
          return process.events():receive().result.value
        end
        return {main = main}
    """))
    assert run_main(app, "app:main", "1h").value == "approved"
    assert run_main(app, "app:main", "3h").value == "timed out"
    kinds = [[r.kind for r in app.history(run.run_id)] for run in app.runs()]
    assert kinds[0] == ["timer", "signal"]  # the approval won; the timer never fired
    assert kinds[1] == ["timer", "fired"]  # the late approval found the run finished


def test_a_message_reads_its_payload_fields_like_the_seed(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main(request)
          funcs.call("app:ok", request)
          local inbox = process.inbox()
          local msg = inbox:receive()
          if msg.approved then return "fulfil " .. request.order_id end
          return "reject"
        end
        return {main = main}
    """), main=process("""
        local function main()
          local pid = process.spawn_monitored("app:wf", "app:worker", {order_id = "o-1"})
          process.send(pid, "decision", {approved = true})
          return process.events():receive().result.value
        end
        return {main = main}
    """))
    assert run_main(app).value == "fulfil o-1"


def test_children_report_exit_events_and_exec_returns_their_result(tmp_path: Path) -> None:
    app = app_with(tmp_path, child=workflow("""
        local funcs = require("funcs")
        return {main = function(n)
          if n < 0 then return nil, errors.new({message = "negative", kind = "Invalid"}) end
          return funcs.call("app:ok", n).ok * 2
        end}
    """), wf=workflow("""
        local workflow = require("workflow")
        local function main()
          local pid = process.spawn("app:child", "app:worker", 5)
          local exit = process.events():receive()
          local direct = process.exec("app:child", "app:worker", 10)
          local via_module = workflow.exec("app:child", 20)
          local _, err = workflow.exec("app:child", -1)
          return {spawned = exit.result.value, from = exit.from == pid, kind = exit.kind,
                  direct = direct, module = via_module, err = err:message()}
        end
        return {main = main}
    """, modules=("funcs", "time", "workflow")), main=exec_main())
    out = run_main(app)
    assert out.value == {"spawned": 10, "from": True, "kind": "pid.exit", "direct": 20,
                         "module": 40, "err": "negative"}
    parents = [r for r in app.runs() if r.entry == "app:wf"]
    children = [r for r in app.runs() if r.entry == "app:child"]
    assert len(children) == 4
    assert {c.parent_run for c in children} == {parents[0].run_id}
    assert {c.workflow_id for c in children} == {
        f"{parents[0].workflow_id}/{seq}" for seq in (0, 2, 4, 6)}


def test_monitor_and_link_are_refused_in_workflows(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local function main()
          local ok1, e1 = process.monitor("{app:worker|other}")
          local ok2, e2 = process.link("{app:worker|other}")
          local pid, e3 = process.spawn_linked("app:wf", "app:worker")
          return {e1:kind(), e1:message(), e2:message(), e3:kind()}
        end
        return {main = main}
    """), main=exec_main())
    assert run_main(app).value == [
        "Invalid", "process.monitor is not supported in workflow context",
        "process.link is not supported in workflow context", "Invalid"]


def test_cancel_is_a_cancel_event_and_terminate_stops_the_run(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local function main()
          local ev = process.events():receive()
          return {kind = ev.kind, reason = ev.reason}
        end
        return {main = main}
    """), sleeper=workflow("""
        local time = require("time")
        return {main = function() time.sleep("24h") return "woke" end}
    """), main=process("""
        local function main()
          local a = process.spawn_monitored("app:wf", "app:worker")
          process.cancel(a, "customer changed their mind")
          local b = process.spawn_monitored("app:sleeper", "app:worker")
          process.terminate(b)
          local first = process.events():receive()
          local second = process.events():receive()
          return {first.result.value or first.result.error:message(),
                  second.result.value or second.result.error:message()}
        end
        return {main = main}
    """))
    out = run_main(app)
    assert {"kind": "pid.cancel", "reason": "customer changed their mind"} in out.value
    statuses = {r.entry: r.status for r in app.runs()}
    assert statuses == {"app:wf": "completed", "app:sleeper": "terminated"}


def test_activity_retries_follow_the_policy_and_share_an_idempotency_key(
    tmp_path: Path,
) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main()
          local ex = funcs.new():with_options({["activity.retry_policy"] = {
            initial_interval = "1s", backoff_coefficient = 2, maximum_attempts = 5}})
          return ex:call("app:flaky")
        end
        return {main = main}
    """), main=exec_main())
    out = run_main(app)
    (run,) = app.runs()
    assert out.value == {"attempt": 3, "key": f"{run.run_id}:0"}
    history = app.history(run.run_id)
    assert [r.kind for r in history] == ["call", "completed"]  # attempts are not journaled
    assert history[1].at - history[0].at >= 3.0  # waited 1s + 2s between attempts


def test_activity_failures_reach_the_workflow_without_endless_retries(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main()
          local _, crash = funcs.call("app:broken")
          local _, missing = funcs.call("app:nope")
          local _, invalid = funcs.call("no_namespace")
          local ex = funcs.new():with_options({["activity.start_to_close_timeout"] = "1s",
            ["activity.retry_policy"] = {maximum_attempts = 2, initial_interval = 100}})
          local _, late = ex:call("app:slow")
          local ex2 = funcs.new():with_options({["activity.retry_policy"] = {
            maximum_attempts = 9, non_retryable_error_types = {"Unavailable"}}})
          local _, stop = ex2:call("app:flaky")
          return {crash = crash:message(), crash_kind = crash:kind(),
                  missing = missing:kind(), invalid = invalid:kind(),
                  late = late:kind(), stop = stop:message()}
        end
        return {main = main}
    """), main=exec_main())
    out = run_main(app)
    assert "card reader on fire" in out.value["crash"]
    assert out.value["crash_kind"] == "Internal"
    assert out.value["missing"] == "NotFound"
    assert out.value["invalid"] == "Invalid"
    assert out.value["late"] == "Timeout"
    assert out.value["stop"] == "busy 1"


def test_bad_activity_options_are_an_invalid_error_naming_the_key(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        return {main = function()
          local ex = funcs.new():with_options({["activity.retry_policy"] = {maximum_attempts = -1}})
          local _, err = ex:call("app:ok", 1)
          return err:kind() .. ": " .. err:message()
        end}
    """), main=exec_main())
    assert run_main(app).value == ("Invalid: option activity.retry_policy.maximum_attempts: "
                                   "expected an integer >= 0")


def test_a_lua_error_fails_the_run_with_its_traceback_and_is_not_retried(
    tmp_path: Path,
) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main()
          funcs.call("app:ok", 1)
          local t = nil
          return t.field
        end
        return {main = main}
    """), main=exec_main())
    out = run_main(app)
    assert "attempt to index a nil value" in out.value["error"]
    (run,) = app.runs()
    assert run.status == "failed"
    assert "wf.lua:6" in run.error["message"]
    assert "wf.lua" in run.error["stack"]
    assert [r.kind for r in app.history(run.run_id)] == ["call", "completed"]


def test_explicit_ids_use_the_running_workflow_and_generated_ids_are_unique(
    tmp_path: Path,
) -> None:
    app = app_with(tmp_path, wf=workflow("""
        return {main = function(n) local m = process.inbox():receive() return n end}
    """), main=process("""
        local function main()
          local named = process.with_options({}):with_name("order-7")
          local a = named:spawn("app:wf", "app:worker", 1)
          local b = named:spawn("app:wf", "app:worker", 2)
          local c = process.with_options({["temporal.workflow.id"] = "order-7"})
            :spawn("app:wf", "app:worker", 3)
          local d = process.spawn("app:wf", "app:worker", 4)
          local e = process.spawn("app:wf", "app:worker", 5)
          local _, err = process.with_options({["temporal.workflow.id"] = "order-7",
            ["temporal.workflow.id_conflict_policy"] = "fail"}):spawn("app:wf", "app:worker")
          for _, pid in ipairs({a, d, e}) do process.send(pid, "go", true) end
          return {a = a, same = a == b and b == c, unique = d ~= e, err = err:kind()}
        end
        return {main = main}
    """))
    out = run_main(app)
    assert out.value["a"] == "{app:worker|order-7}"
    assert out.value["same"] is True and out.value["unique"] is True
    assert out.value["err"] == "AlreadyExists"
    assert sorted(r.input[0] for r in app.runs()) == [1, 4, 5]


def test_a_child_whose_id_is_taken_under_the_fail_policy_is_a_spawn_error_on_replay_too(
    tmp_path: Path,
) -> None:
    app = app_with(tmp_path, kid=workflow("""
        return {main = function() process.inbox():receive() return "kid done" end}
    """), wf=workflow("""
        local function main()
          local kid = process.with_options({}):with_name("kid-1"):spawn("app:kid", "app:worker")
          local again, err = process.with_options({["temporal.workflow.id"] = "kid-1",
            ["temporal.workflow.id_conflict_policy"] = "fail"}):spawn("app:kid", "app:worker")
          local same = process.with_options({}):with_name("kid-1"):spawn("app:kid", "app:worker")
          process.inbox():receive()  -- a restart happens here
          process.send(kid, "go", true)
          return {again = again, kind = err:kind(), message = err:message(), same = same == kid}
        end
        return {main = main}
    """))

    def start(node: object) -> None:
        node.engines[0].start("app:wf", "app:worker", [], workflow_id="parent")  # type: ignore[attr-defined]

    def parent_waits(_node: object) -> bool:
        runs = [r for r in app.runs() if r.workflow_id == "parent"]
        return bool(runs) and sum(r.kind == "spawn" for r in app.history(runs[0].run_id)) == 3

    serve_until(app, parent_waits, start=start)
    spawns = [r.value for r in app.history(_run("parent", app)) if r.kind == "spawn"]
    assert spawns[0] == "kid-1" and spawns[2] == "kid-1"
    assert spawns[1]["refused"]["kind"] == "AlreadyExists"
    # A new node replays the refusal from the journal (no divergence), then finishes.
    node = app.node()

    def go(n: object) -> None:
        n.engines[0].signal("parent", "go", True, "test")  # type: ignore[attr-defined]

    serve_until(app, lambda n: all(r.status != "running" for r in app.runs()), node=node,
                start=go)
    parent = next(r for r in app.runs() if r.workflow_id == "parent")
    assert parent.status == "completed", parent.error
    assert parent.result == {"kind": "AlreadyExists", "same": True,
                             "message": "workflow kid-1 is already running"}
    assert [r.status for r in app.runs() if r.workflow_id == "kid-1"] == ["completed"]


def _run(workflow_id: str, app: WfApp) -> str:
    return next(r.run_id for r in app.runs() if r.workflow_id == workflow_id)


def test_continue_as_new_starts_a_fresh_run_of_the_same_workflow(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main(n)
          funcs.call("app:ok", n)
          if n < 3 then return process.upgrade(nil, n + 1) end
          return "done at " .. n
        end
        return {main = main}
    """), main=process("""
        local function main()
          local pid = process.with_options({}):with_name("loop"):spawn_monitored("app:wf",
            "app:worker", 1)
          return process.events():receive().result.value
        end
        return {main = main}
    """))
    assert run_main(app).value == "done at 3"
    runs = app.runs()
    assert [(r.status, r.input) for r in runs] == [
        ("continued", [1]), ("continued", [2]), ("completed", [3])]
    assert {r.workflow_id for r in runs} == {"loop"}
    assert runs[-1].result == "done at 3"
    assert all(len(app.history(r.run_id)) <= 3 for r in runs)


def test_workflow_version_records_the_version_a_run_started_with(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local workflow = require("workflow")
        return {main = function()
          local v = workflow.version("new-pricing", 1, 2)
          local info = workflow.info()
          return {v = v, id = info.workflow_id, queue = info.task_queue}
        end}
    """, modules=("workflow",)), main=exec_main())
    out = run_main(app)
    (run,) = app.runs()
    assert out.value == {"v": 2, "id": run.workflow_id, "queue": "orders"}
    assert [(r.kind, r.target, r.value) for r in app.history(run.run_id)] == [
        ("version", "new-pricing", 2)]


def test_a_workflow_on_an_unknown_or_wrong_host_is_a_clear_error(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("return {main = function() end}"), main=process("""
        local function main()
          local _, e1 = process.spawn("app:nope", "app:worker")
          local _, e2 = process.spawn("app:ok", "app:worker")
          local _, e3 = process.with_options({["temporal.workflow.id_conflict_policy"] = "maybe"})
            :spawn("app:wf", "app:worker")
          return {e1:kind() .. " " .. e1:message(), e2:kind() .. " " .. e2:message(),
                  e3:kind() .. " " .. e3:message()}
        end
        return {main = main}
    """))
    assert run_main(app).value == ["NotFound workflow app:nope not found",
                                   "Invalid app:ok is a function.lua, not a workflow.lua",
                                   "Invalid option temporal.workflow.id_conflict_policy: 'maybe' "
                                   "is not one of use_existing, fail, terminate_existing"]


def test_timers_tickers_and_futures_survive_a_restart(tmp_path: Path) -> None:
    from wf_harness import serve_until

    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local time = require("time")
        local function main()
          local future = funcs.async("app:ok", "async")
          local dropped = funcs.async("app:slow")
          dropped:cancel()
          local stopped = time.timer("1h")
          local was_armed = stopped:stop()
          local reset = time.timer("1h")
          reset:reset("3h")
          local ticker = time.ticker("1h")
          local ticks = 0
          while ticks < 5 do
            ticker:channel():receive()
            ticks = ticks + 1
          end
          ticker:stop()
          reset:channel():receive()
          local value = future:response():receive()
          return {ticks = ticks, was_armed = was_armed, async = value:data().ok,
                  cancelled = dropped:is_canceled()}
        end
        return {main = main}
    """), main=process("""
        return {main = function()
          process.with_options({}):with_name("t"):spawn("app:wf", "app:worker")
        end}
    """))
    # First life: stop after two ticks were recorded, in the middle of the loop.
    serve_until(app, lambda n: _count(app, "fired") >= 2,
                start=lambda n: n.spawn("app:main", "wippy:terminal"))
    serve_until(app, lambda n: app.runs()[0].status != "running")
    (run,) = app.runs()
    assert run.status == "completed", run.error
    assert run.result == {"ticks": 5, "was_armed": True, "async": "async", "cancelled": True}
    history = app.history(run.run_id)
    fired = [r for r in history if r.kind == "fired"]
    every = next(r for r in history if r.kind == "every")
    ticks = [r.value for r in fired if r.ref == every.seq]
    assert len(ticks) == 5
    assert all(round(b - a) == 3600 for a, b in itertools.pairwise(ticks))
    kinds = [r.kind for r in history if r.type == "command"]
    assert kinds.count("cancel_call") == 1 and kinds.count("cancel_timer") == 3
    with app.journal() as journal:
        assert journal.timers(run.run_id) == []
        assert journal.check() == []


def _count(app: WfApp, kind: str) -> int:
    if not (app.root / ".wippy" / "journal.db").exists() or not app.runs():
        return 0
    return sum(1 for r in app.history(app.runs()[0].run_id) if r.kind == kind)


def test_schedule_to_close_bounds_all_attempts_together(tmp_path: Path) -> None:
    app = app_with(tmp_path, wf=workflow("""
        local funcs = require("funcs")
        local function main()
          local ex = funcs.new():with_options({
            ["activity.start_to_close_timeout"] = "1s",
            ["activity.schedule_to_close_timeout"] = "3500ms",
            ["activity.retry_policy"] = {initial_interval = "500ms", backoff_coefficient = 1}})
          local _, err = ex:call("app:slow")
          return err:kind()
        end
        return {main = main}
    """), main=exec_main())
    assert run_main(app).value == "Timeout"
    (run,) = app.runs()
    call, completed = app.history(run.run_id)
    # Attempts of 1s with 0.5s pauses: the third ends at 3.5s; no fourth is started.
    assert 3.4 <= completed.at - call.at <= 3.6

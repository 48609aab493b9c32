"""process.registry names, spawning (bad input included), exec and the spawner builder."""

from __future__ import annotations

from pathlib import Path

from actor_harness import run_main

WAITER = """
local function main(tag)
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "stop" then return tag end
    local p = msg:payload()
    process.send(msg:from(), "seen", tag, msg:topic(), p and p:data())
  end
end
return { main = main }
"""


def test_register_lookup_unregister(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local reg = process.registry
          local other = process.spawn("app:waiter", "app:processes", "other")
          local r = {}
          r.first = { reg.register("svc") }
          r.again = { reg.register("svc") }                     -- same pid: idempotent
          local ok, err = reg.register("svc", other)
          r.taken = { ok, err:kind() }
          r.lookup = reg.lookup("svc") == process.pid()
          local nothing, nf = reg.lookup("missing")
          r.missing = { nothing == nil, nf:kind() }
          r.other = { reg.register("helper", other) }
          process.send("helper", "ping", 1)                     -- send by name
          local seen = process.inbox():receive():payload():data()
          r.seen = seen
          r.unregister = { reg.unregister("svc"), reg.unregister("svc") }
          local bad, berr = reg.register("{fake}")
          r.bad_name = { bad, berr:kind() }
          local sc, serr = reg.register("clustered", nil, reg.STRONG)
          r.scope = { sc, serr:kind() }
          r.scopes = { reg.LOCAL, reg.EVENTUAL, reg.CONSISTENT, reg.STRONG }
          process.send(other, "stop")
          return r
        end
        return { main = main }
    """, {"waiter": WAITER})
    assert run.error is None, run.error
    v = run.value
    assert v["first"] == [True]
    assert v["again"] == [True]
    assert v["taken"] == [False, "AlreadyExists"]
    assert v["lookup"] is True
    assert v["missing"] == [True, "NotFound"]
    assert v["other"] == [True]
    assert v["seen"] == ["other", "ping", 1]
    assert v["unregister"] == [True, False]
    assert v["bad_name"] == [False, "Invalid"]
    assert v["scope"] == [False, "Unavailable"]
    assert v["scopes"] == [0, 1, 2, 3]


def test_names_are_released_before_exit_is_delivered(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local owner = process.spawn_monitored("app:owner", "app:processes")
          time.sleep("1ms")
          local before = process.registry.lookup("db") == owner
          process.send(owner, "stop")
          local ev = process.events():receive()
          local gone, err = process.registry.lookup("db")
          -- the name is free again at once
          local again = process.registry.register("db")
          return { before, gone == nil and err:kind(), again, ev.kind }
        end
        return { main = main }
    """, {"owner": """
        local function main()
          process.registry.register("db")
          process.inbox():receive()
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value == [True, "NotFound", True, "pid.exit"]


def test_spawn_bad_input(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local function try(id, host)
            local pid, err = process.spawn(id, host)
            return { pid == nil, err and err:kind() or "", err and err:message() or "" }
          end
          return {
            unknown_entry = try("app:nope", "app:processes"),
            unknown_host = try("app:waiter", "app:nohost"),
            wrong_kind = try("app:processes", "app:processes"),
          }
        end
        return { main = main }
    """, {"waiter": WAITER})
    assert run.error is None, run.error
    v = run.value
    assert v["unknown_entry"][:2] == [True, "NotFound"]
    assert "app:nope" in v["unknown_entry"][2]
    assert v["unknown_host"][:2] == [True, "NotFound"]
    assert "app:nohost" in v["unknown_host"][2]
    assert v["wrong_kind"][:2] == [True, "Invalid"]


def test_exec_returns_the_result_or_the_error(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local v, e = process.exec("app:calc", "app:processes", 20, 22)
          local v2, e2 = process.exec("app:calc", "app:processes", "x", 1)
          local v3, e3 = process.exec("app:nope", "app:processes")
          return { v, e == nil, v2 == nil, e2:message(),
                   v3 == nil, e3:kind() }
        end
        return { main = main }
    """, {"calc": """
        local function main(a, b)
          time.sleep("10ms")
          return a + b
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    assert run.value[:3] == [42, True, True]
    assert "calc" in run.value[3] and ":4:" in run.value[3]  # names the file and line
    assert run.value[4:] == [True, "NotFound"]


def test_spawner_context_name_and_messages(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local base = process.with_context({ tenant = "acme" })
          local sp = base:with_context({ user = "ada" }):with_name("worker")
            :with_message("hello", "a"):with_message("again", 1, 2)
          local pid = sp:spawn_monitored("app:ctxproc", "app:processes")
          -- the same name again: no new process; the message goes to the first one
          local pid2 = process.with_options({ anything = true }):with_name("worker")
            :with_message("third", "c"):spawn("app:ctxproc", "app:processes")
          local inbox = process.inbox()
          local got = {}
          for i = 1, 3 do got[i] = inbox:receive():payload():data() end
          process.send("worker", "stop")
          local ev = process.events():receive()
          -- base spawner unchanged (immutable builder)
          local plain = base:spawn("app:ctxproc", "app:processes")
          process.send(plain, "stop")
          return { same = pid == pid2, got = got, exit = ev.result.value,
                   observer = ev.from == pid }
        end
        return { main = main }
    """, {"ctxproc": """
        local function main()
          local inbox = process.inbox()
          while true do
            local msg = inbox:receive()
            if msg:topic() == "stop" then return ctx.get("tenant") .. "/" .. ctx.get("user") end
            process.send(msg:from(), "echo", msg:topic(), msg:payload():data())
          end
        end
        return { main = main }
    """})
    assert run.error is None, run.error
    v = run.value
    assert v["same"] is True
    assert v["got"] == [["hello", "a"], ["again", [1, 2]], ["third", "c"]]
    assert v["exit"] == "acme/ada"
    assert v["observer"] is True


def test_spawner_bad_input(tmp_path: Path) -> None:
    run = run_main(tmp_path, """
        local function main()
          local r = {}
          r.at_topic = select(2, pcall(function()
            return process.with_context({}):with_message("@x")
          end))
          r.bad_ctx = select(2, pcall(process.with_context, "nope"))
          r.bad_name = select(2, pcall(function()
            return process.with_context({}):with_name("")
          end))
          local pid, err = process.with_context({}):spawn("app:missing", "app:processes")
          r.missing = err:kind()
          return r
        end
        return { main = main }
    """)
    assert run.error is None, run.error
    v = run.value
    assert "cannot send to @ topics" in v["at_topic"]
    assert "expects a table" in v["bad_ctx"]
    assert "non-empty string" in v["bad_name"]
    assert v["missing"] == "NotFound"


def test_registry_validation_reports_a_service_without_process(tmp_path: Path) -> None:
    from wippy_py.registry import RegistryLoadError, load_registry

    root = tmp_path / "bad"
    root.mkdir()
    (root / "_index.yaml").write_text(
        "namespace: app\nentries:\n"
        "  - {name: processes, kind: process.host}\n"
        "  - {name: svc, kind: process.service, process: app:ghost, host: app:processes}\n"
    )
    try:
        load_registry(root)
    except RegistryLoadError as exc:
        assert "app:ghost" in str(exc)
        assert "process" in str(exc)
    else:  # pragma: no cover - the registry must refuse it
        raise AssertionError("a service whose process does not exist was accepted")

"""Start and stop order, graceful shutdown, dependency problems at boot."""

from __future__ import annotations

from pathlib import Path

from service_harness import serve_app, write_app

from wippy_py.supervision import DependencyCycleError, SupervisionError, find_cycle

# A well-behaved service: logs its start, waits for CANCEL, logs the reason, returns.
POLITE = """
local function main(name)
  print(name .. " up")
  local events = process.events()
  while true do
    local ev = events:receive()
    if ev.kind == process.event.CANCEL then
      print(name .. " down: " .. ev.reason)
      return
    end
  end
end
return { main = main }
"""

# Ignores CANCEL entirely (never reads its events).
STUBBORN = """
local function main(name)
  print(name .. " up")
  while true do time.sleep("1s") end
end
return { main = main }
"""


def service(name: str, proc: str = "polite", requires: str = "[]", extra: str = "") -> str:
    return f"""
  - name: {name}
    kind: process.service
    process: {proc}
    host: app:processes
    input: [{name}]
    lifecycle:
      auto_start: true
      requires: {requires}
      {extra}
"""


HEAD = """\
namespace: app
entries:
  - {name: processes, kind: process.host}
  - {name: polite, kind: process.lua, method: main, source: file://polite.lua}
  - {name: stubborn, kind: process.lua, method: main, modules: [time], source: file://stubborn.lua}
"""


def make_app(tmp_path: Path, services: str) -> Path:
    return write_app(tmp_path / "app", HEAD + services,
                     {"polite.lua": POLITE, "stubborn.lua": STUBBORN})


def test_dependencies_start_first_and_stop_last(tmp_path: Path) -> None:
    # db <- cache <- api, db <- worker; "audit" is independent
    root = make_app(tmp_path, service("api", requires="[cache]") + service("cache", requires="[db]")
                    + service("db") + service("worker", requires="[db]") + service("audit"))
    run = serve_app(root, 10)
    assert run.error is None
    ups = run.messages()
    ups = [m.split()[0] for m in ups if m.endswith(" up")]
    assert ups.index("db") < ups.index("cache") < ups.index("api")
    assert ups.index("db") < ups.index("worker")
    assert sorted(ups) == ["api", "audit", "cache", "db", "worker"]
    downs = [m.split()[0] for m in run.messages() if " down: " in m]
    assert downs.index("api") < downs.index("cache") < downs.index("db")
    assert downs.index("worker") < downs.index("db")
    assert all(m.endswith("down: service stopping") for m in run.messages() if " down: " in m)
    for name in ("api", "cache", "db", "worker", "audit"):
        assert run.state(f"app:{name}") == "stopped"
    # graceful: nobody had to be terminated, so the shutdown took no virtual time
    assert run.ended_at == run.stopped_at


def test_boot_order_is_deterministic(tmp_path: Path) -> None:
    root = make_app(tmp_path, service("b") + service("a") + service("c"))
    first = [m for m in serve_app(root, 1).messages() if m.endswith(" up")]
    second = [m for m in serve_app(root, 1).messages() if m.endswith(" up")]
    assert first == second == ["a up", "b up", "c up"]


def test_a_service_ignoring_cancel_is_terminated_after_stop_timeout(tmp_path: Path) -> None:
    root = make_app(tmp_path, service("slow", proc="stubborn", extra="stop_timeout: 3s")
                    + service("app_on_top", requires="[slow]"))
    run = serve_app(root, 10)
    assert run.ended_at - run.stopped_at == 3.0
    assert run.state("app:slow") == "stopped"
    assert any("did not stop within 3s" in m for m in run.messages())
    # the dependent stopped first
    stops = [m for m in run.messages() if m.endswith("is stopped")]
    assert stops == ["service app:app_on_top is stopped", "service app:slow is stopped"]


def test_dependency_cycle_fails_the_boot(tmp_path: Path) -> None:
    root = make_app(tmp_path, service("a", requires="[b]") + service("b", requires="[c]")
                    + service("c", requires="[a]") + service("free"))
    run = serve_app(root, 10)
    assert isinstance(run.error, DependencyCycleError)
    assert run.error.cycle == ["app:a", "app:b", "app:c", "app:a"]
    assert "app:a -> app:b -> app:c -> app:a" in str(run.error)
    assert run.messages("free up") == []  # nothing was started


def test_missing_required_dependency_blocks_and_fails_the_boot(tmp_path: Path) -> None:
    root = make_app(tmp_path, service("api", requires="[db]") + """
  - name: db
    kind: process.service
    process: polite
    host: app:processes
    input: [db]
""")
    run = serve_app(root, 10)
    assert isinstance(run.error, SupervisionError)
    assert "app:api" in str(run.error)
    assert any("blocked by missing dependencies: app:db" in m for m in run.messages())


def test_optional_service_does_not_block_the_boot(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", HEAD + service("ok") + """
  - name: broken_proc
    kind: process.lua
    method: main
    source: "return { main = function() error('no') end }"
  - name: flaky
    kind: process.service
    process: broken_proc
    host: app:processes
    lifecycle:
      auto_start: true
      startup: optional
      restart: {initial_delay: 1s, jitter: 0, max_attempts: 3}
""", {"polite.lua": POLITE, "stubborn.lua": STUBBORN})
    run = serve_app(root, 10)
    assert run.error is None
    assert run.state("app:flaky") == "failed"
    assert run.state("app:ok") == "stopped"


def test_a_service_that_fails_to_load_fails_the_boot(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", HEAD + """
  - {name: bad_proc, kind: process.lua, method: main, source: "return { main = function() ) end }"}
  - name: bad
    kind: process.service
    process: bad_proc
    host: app:processes
    lifecycle: {auto_start: true}
""" + service("good"), {"polite.lua": POLITE, "stubborn.lua": STUBBORN})
    run = serve_app(root, 10)
    assert isinstance(run.error, SupervisionError)
    assert "app:bad" in str(run.error)
    assert run.state("app:bad") == "exited"  # a syntax error is not retried
    # what did start was shut down gracefully
    assert run.state("app:good") == "stopped"


def test_other_processes_get_cancel_at_shutdown(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", HEAD + """
  - name: spawner
    kind: process.lua
    method: main
    source: |
      local function main()
        process.spawn("app:polite", "app:processes", "helper")
        process.events():receive()
        print("spawner cancelled")
      end
      return { main = main }
  - name: root
    kind: process.service
    process: spawner
    host: app:processes
    lifecycle: {auto_start: true}
""", {"polite.lua": POLITE, "stubborn.lua": STUBBORN})
    run = serve_app(root, 5)
    assert "helper down: scheduler shutdown" in run.messages()
    assert "spawner cancelled" in run.messages()
    assert run.node.scheduler.procs == {}


def test_find_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({"x": ["y"], "y": ["z"], "z": ["y"]}) == ["y", "z", "y"]
    assert find_cycle({"a": ["missing"]}) is None

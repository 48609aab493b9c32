"""Reused Lua runtimes (``_vm.VMPool``): a run on the runtime of an ended run sees
nothing of it, and a runtime whose run did not end is never reused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporal_helpers import run_on_temporal

from wippy_py.backends.temporal._vm import VMPool
from wippy_py.process import Process
from wippy_py.registry import Registry, load_registry

# Each run reports what it finds of an earlier run, then leaves everything it can
# behind: a global, a module-level local, a library's module state, a registered
# name, a finalizer, a spawned coroutine parked forever and a message it sent itself
# without reading it.
APP = """
- name: state
  kind: library.lua
  source: |
    local lib = {count = 0}
    function lib.bump() lib.count = lib.count + 1; return lib.count end
    return lib
- name: leaky
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  imports: {state: app:state}
  source: |
    local state = require("state")
    local calls = 0
    local function main(tag)
      calls = calls + 1
      local found = {
        global = leaked_global == nil and "none" or leaked_global,
        raw_global = rawget(_G, "leaked_global") == nil and "none" or "set",
        calls = calls,
        library = state.bump(),
        name = process.registry.lookup("leaky-name") and "registered" or "none",
        finalized = finalized_by == nil and "none" or finalized_by,
      }
      leaked_global = tag
      assert(process.registry.register("leaky-name"))
      setmetatable({}, {__gc = function() finalized_by = tag end})
      local ch = channel.new()
      coroutine.spawn(function() ch:receive() end)
      process.send(process.pid(), "left", tag)
      return found
    end
    return {main = main}
- name: main
  kind: process.lua
  method: main
  source: |
    local function main()
      local a, err_a = process.exec("app:leaky", "app:worker", "A")
      if err_a then error(err_a) end
      local b, err_b = process.exec("app:leaky", "app:worker", "B")
      if err_b then error(err_b) end
      return {a = a, b = b}
    end
    return {main = main}
"""

FRESH = {"global": "none", "raw_global": "none", "calls": 1, "library": 1, "name": "none",
         "finalized": "none"}


def test_a_reused_runtime_holds_nothing_of_the_run_before(temporal_app: Any) -> None:
    app = temporal_app(APP)
    ran = run_on_temporal(app.root, "app:main")
    assert ran.error is None, ran.error
    assert ran.value["a"] == FRESH
    assert ran.value["b"] == FRESH  # on A's runtime, and nothing of A is there
    pool = ran.node.temporal[0].catalog.vms
    assert pool.reused >= 1, (pool.made, pool.reused)  # B did run on A's runtime
    assert pool.made == 1


def empty_registry(root: Path) -> Registry:
    """A registry with no entries (the pool only needs its identity)."""
    root.mkdir()
    (root / "_index.yaml").write_text('version: "1.0"\nnamespace: app\nentries: []\n')
    return load_registry(root)


def test_a_runtime_with_a_live_process_is_dropped(tmp_path: Path) -> None:
    registry = empty_registry(tmp_path / "app")
    pool = VMPool(limit=4)
    wvm = pool.take(registry)
    # A process its run left running (a run evicted from the cache): not reusable.
    proc = Process(b"{app:worker|wf}", "app:wf", "app:worker")
    co = wvm.vm.new_thread(wvm.vm.eval_trusted("function() coroutine.yield() end"))
    wvm.sched.start_process(proc, co)
    pool.give(wvm)
    assert pool.idle == 0
    assert pool.take(registry) is not wvm


def test_the_pool_keeps_at_most_its_limit_and_never_hands_one_out_twice(
        tmp_path: Path) -> None:
    registry = empty_registry(tmp_path / "app")
    pool = VMPool(limit=2)
    runtimes = [pool.take(registry) for _ in range(3)]
    for wvm in runtimes:
        pool.give(wvm)
    pool.give(runtimes[0])  # a second give of a pooled runtime is ignored
    assert pool.idle == 2
    first, second, third = pool.take(registry), pool.take(registry), pool.take(registry)
    assert len({id(first), id(second), id(third)}) == 3
    assert pool.made == 4 and pool.reused == 2
    other = empty_registry(tmp_path / "other")
    assert pool.take(other).registry is other  # runtimes are per registry


def test_a_runtime_with_a_lua_side_process_record_is_dropped(tmp_path: Path) -> None:
    registry = empty_registry(tmp_path / "app")
    pool = VMPool(limit=4)
    wvm = pool.take(registry)
    # A record the Lua side keeps for a PID (a message sent to a process before it
    # starts creates one): a trace of the run, so the runtime is not reused.
    wvm.vm.kernel.proc_of(b"{app:worker|0x00001}")
    pool.give(wvm)
    assert pool.idle == 0
    clean = pool.take(registry)
    pool.give(clean)
    assert pool.idle == 1 and pool.take(registry) is clean

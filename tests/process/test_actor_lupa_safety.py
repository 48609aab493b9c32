"""Lua values that outlive the coroutine that produced them stay valid (a lupa 2.8
pitfall, see wippy_py/process/_anchor.py): messages from processes that have exited,
and channel values from coroutines that have ended, read after a full Lua GC."""

from __future__ import annotations

import gc
from pathlib import Path

import trio
from actor_harness import write_actor_app

from wippy_py.node import Node
from wippy_py.registry import load_registry

PARENT = """
local function main(children)
  local me = process.pid()
  local inbox = process.inbox()
  for i = 1, children do
    process.spawn("app:child", "app:processes", me, i)
  end
  -- coroutines that put tables into a buffered channel and end
  local ch = channel.new(children)
  for i = 1, children do
    coroutine.spawn(function() ch:send({ n = i, pad = string.rep("x", 64) }) end)
  end
  process.listen("go"):receive()     -- the test collects garbage meanwhile
  local total, from_channel = 0, 0
  for i = 1, children do
    total = total + inbox:receive():payload():data().n
    from_channel = from_channel + ch:receive().n
  end
  return { total, from_channel }
end
return { main = main }
"""

CHILD = """
local function main(parent, i)
  process.send(parent, "value", { n = i, pad = string.rep("y", 64) })
end
return { main = main }
"""


def test_values_survive_their_coroutines(tmp_path: Path) -> None:
    root = write_actor_app(tmp_path / "app", PARENT, {"child": CHILD})
    node = Node(load_registry(root))
    children = 400
    result: list[object] = []

    async def main() -> None:
        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                await nursery.start(node.scheduler.run)
                parent = node.spawn("app:main", "app:processes", [children])
                done = trio.Event()
                parent.add_exit_callback(lambda _p, exit: (result.append(exit), done.set()))
                while len(node.scheduler.procs) > 1 or not node.scheduler.idle:
                    await trio.sleep(0)
                gc.collect()
                node.vm.collect_garbage()  # the children's coroutines are freed here
                node.vm.collect_garbage()
                node.processes.router.send_from_host(parent, b"go", None, b"")
                await done.wait()
                nursery.cancel_scope.cancel()

    trio.run(main)
    exit = result[0]
    assert exit.ok, exit.error_value  # type: ignore[attr-defined]
    expected = children * (children + 1) // 2
    assert node.exit_to_python(exit) == [expected, expected]  # type: ignore[arg-type]

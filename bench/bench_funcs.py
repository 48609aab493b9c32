"""Benchmark: funcs.call of a trivial function.lua from a Lua process, and the Lua
memory of a loaded entry and of an idle process.

Run: python bench/bench_funcs.py   (prints a markdown table; not a test)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import trio

from wippy_py.node import Node
from wippy_py.registry import load_registry

CALLS = 20_000
RUNS = 5

APP = """
namespace: app
entries:
  - name: noop
    kind: function.lua
    method: noop
    source: |
      local function noop(x) return x end
      return { noop = noop }
  - name: caller
    kind: process.lua
    method: main
    modules: [funcs]
    source: |
      local function main(n)
        local call = funcs.call
        for i = 1, n do call("app:noop", i) end
        return n
      end
      return { main = main }
  - name: idle
    kind: process.lua
    method: main
    source: |
      local function main()
        local inbox = process.inbox()
        inbox:receive()
      end
      return { main = main }
"""


def _node(root: Path) -> Node:
    (root / "_index.yaml").write_text(textwrap.dedent(APP))
    return Node(load_registry(root))


def bench_calls(root: Path) -> list[float]:
    samples = []
    for _ in range(RUNS):
        node = _node(root)
        start = time.perf_counter()
        exit = trio.run(node.run_entry, "app:caller", [CALLS])
        elapsed = time.perf_counter() - start
        assert exit.ok, exit.error_value
        samples.append(elapsed / CALLS * 1e6)
    return samples


def bench_memory(root: Path) -> tuple[int, float]:
    node = _node(root)
    vm = node.vm
    vm.collect_garbage()
    before = vm.memory_used()
    node.loader.load("app:idle")
    vm.collect_garbage()
    loaded = vm.memory_used() - before

    count = 10_000

    async def spawn_idle() -> float:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.scheduler.run)
            vm.collect_garbage()
            base = vm.memory_used()
            for _ in range(count):
                node.spawn("app:idle", "wippy:terminal")
            while not node.scheduler.idle:
                await trio.sleep(0.01)
            vm.collect_garbage()
            per = (vm.memory_used() - base) / count
            nursery.cancel_scope.cancel()
            return per

    return loaded, trio.run(spawn_idle)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        calls = bench_calls(root)
        loaded, idle = bench_memory(root)
    med = statistics.median(calls)
    print(f"# funcs benchmark ({sys.version.split()[0]}, {RUNS} runs of {CALLS} calls)\n")
    print("| measure | median | min | max | target |")
    print("|---|---|---|---|---|")
    print(f"| funcs.call of a no-op function.lua | {med:.2f} µs | {min(calls):.2f} µs | "
          f"{max(calls):.2f} µs | < 20 µs |")
    print(f"| Lua memory of a loaded entry (compiled) | {loaded} B | | | |")
    print(f"| Lua memory per idle process (blocked on inbox) | {idle:.0f} B | | | |")


if __name__ == "__main__":
    main()

"""Actor runtime benchmarks (not a test): message ring, spawn rate, idle-process memory.

Run: ``.venv/bin/python bench/bench_actors.py [--quick] [--profile ring|spawn]``

Workloads (targets from the issue):

* ring: 1,000 Lua processes pass a token round a ring (target >= 500,000 msg/s);
* spawn: a Lua process spawns short-lived children (target >= 50,000 spawns/s);
* idle: 10,000 processes blocked on ``inbox:receive()``: Lua heap and RSS per
  process (target <= 4 KB);
* 100k: 100,000 idle processes in one host (time to start them, memory).

Prints a markdown table. Timings are wall clock on whatever machine runs it: the ring
and spawn rows give the median and the best of N runs (on a shared VM the spread is
wide; ``--repeat`` raises N).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wippy_py.node import Node
from wippy_py.registry import load_registry

APP = """\
version: "1.0"
namespace: bench
entries:
  - name: processes
    kind: process.host
  - name: ring_member
    kind: process.lua
    method: main
    source: |
      local function main(coordinator)
        local inbox = process.inbox()
        local next_pid = inbox:receive():payload():data()
        local send = process.send
        while true do
          local n = inbox:receive():payload():data()
          if n == 0 then
            send(coordinator, "done", true)
          else
            send(next_pid, "t", n - 1)
          end
        end
      end
      return { main = main }
  - name: ring
    kind: process.lua
    method: main
    modules: [time]
    source: |
      local function main(size, hops)
        local me = process.pid()
        local pids = {}
        for i = 1, size do
          pids[i] = process.spawn("bench:ring_member", "bench:processes", me)
        end
        for i = 1, size do
          process.send(pids[i], "next", pids[i % size + 1])
        end
        local inbox = process.inbox()
        time.sleep(0)  -- let every member reach its receive loop
        local t0 = time.now()
        process.send(pids[1], "t", hops)
        inbox:receive()
        local elapsed = time.now():sub(t0):seconds()
        for i = 1, size do process.terminate(pids[i]) end
        return elapsed
      end
      return { main = main }
  - name: quick
    kind: process.lua
    method: main
    source: |
      local function main(parent)
        process.send(parent, "up", true)
      end
      return { main = main }
  - name: spawner
    kind: process.lua
    method: main
    modules: [time]
    source: |
      local function main(count)
        local me = process.pid()
        local inbox = process.inbox()
        local spawn = process.spawn
        local t0 = time.now()
        for i = 1, count do
          spawn("bench:quick", "bench:processes", me)
        end
        local calls = time.now():sub(t0):seconds()
        for i = 1, count do inbox:receive() end
        local total = time.now():sub(t0):seconds()
        return { calls = calls, total = total }
      end
      return { main = main }
  - name: idle
    kind: process.lua
    method: main
    source: |
      local function main()
        local msg = process.inbox():receive()
        return msg
      end
      return { main = main }
"""


def _app_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench_actors_"))
    (root / "_index.yaml").write_text(textwrap.dedent(APP))
    return root


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _run(node: Node, entry: str, *args: Any) -> Any:
    exit = trio.run(node.run_entry, entry, list(args))
    if not exit.ok:
        raise RuntimeError(f"{entry} failed: {exit.error_value}")
    return node.exit_to_python(exit)


def bench_ring(root: Path, size: int, hops: int, repeat: int) -> list[float]:
    """Messages per second of ``repeat`` runs of a ``size`` ring."""
    rates = []
    for _ in range(repeat):
        node = Node(load_registry(root))
        elapsed = _run(node, "bench:ring", size, hops)
        rates.append(hops / elapsed)
    return rates


def bench_spawn(root: Path, count: int, repeat: int) -> tuple[list[float], list[float]]:
    """(spawn calls/s, spawn+run+reply/s) of ``repeat`` runs."""
    calls, total = [], []
    for _ in range(repeat):
        node = Node(load_registry(root))
        result = _run(node, "bench:spawner", count)
        calls.append(count / result["calls"])
        total.append(count / result["total"])
    return calls, total


def _spread(rates: list[float], unit: str) -> str:
    """``median (best)`` of a list of rates."""
    return f"{statistics.median(rates):,.0f} {unit} (best {max(rates):,.0f})"


def bench_idle(root: Path, count: int) -> dict[str, float]:
    """Spawns ``count`` idle processes from the host; reports time and memory."""
    node = Node(load_registry(root), memory_limit=None)
    out: dict[str, float] = {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.scheduler.run)
            gc.collect()
            node.vm.collect_garbage()
            lua0, rss0 = node.vm.memory_used(), _rss_bytes()
            t0 = time.perf_counter()
            for _ in range(count):
                node.spawn("bench:idle", "bench:processes")
            while not node.scheduler.idle:
                await trio.sleep(0)
            out["seconds"] = time.perf_counter() - t0
            gc.collect()
            node.vm.collect_garbage()
            out["lua_per_proc"] = (node.vm.memory_used() - lua0) / count
            out["rss_per_proc"] = (_rss_bytes() - rss0) / count
            out["alive"] = len(node.scheduler.procs)
            nursery.cancel_scope.cancel()

    trio.run(main)
    return out


def bench_idle_fresh(count: int) -> dict[str, float]:
    """:func:`bench_idle` in a fresh interpreter, so RSS is not blurred by earlier runs."""
    out = subprocess.run(
        [sys.executable, __file__, "--idle", str(count)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--profile", choices=["ring", "spawn"], help="cProfile one workload")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the ring and spawn")
    parser.add_argument("--idle", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = _app_dir()
    if args.idle:
        print(json.dumps(bench_idle(root, args.idle)))
        return
    hops = 50_000 if args.quick else 300_000
    spawns = 5_000 if args.quick else 50_000
    repeat = 1 if args.quick else args.repeat
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        if args.profile == "ring":
            bench_ring(root, 1000, hops, 1)
        else:
            bench_spawn(root, spawns, 1)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    ring = bench_ring(root, 1000, hops, repeat)
    calls, total = bench_spawn(root, spawns, repeat)
    ring_median = statistics.median(ring)
    idle = bench_idle_fresh(10_000)
    big = bench_idle_fresh(10_000 if args.quick else 100_000)
    rows = [
        ("ring of 1,000 processes",
         f"{_spread(ring, 'msg/s')}; {1e6 / ring_median:.2f} µs/msg", ">= 500,000 msg/s"),
        ("spawn (call only)", _spread(calls, "spawns/s"), ">= 50,000/s"),
        ("spawn + run + reply", _spread(total, "processes/s"), "—"),
        ("idle process, Lua heap", f"{idle['lua_per_proc'] / 1024:.2f} KB", "<= 4 KB"),
        ("idle process, RSS (Lua heap included)", f"{idle['rss_per_proc'] / 1024:.2f} KB",
         "<= 4 KB"),
        (f"{int(big['alive']):,} idle processes", f"started in {big['seconds']:.2f} s; "
         f"RSS {big['rss_per_proc'] / 1024:.2f} KB (Lua heap {big['lua_per_proc'] / 1024:.2f} KB)"
         " per process", "100,000 in one host"),
    ]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}, "
          f"{repeat} runs\n")
    print("| workload | result | target |")
    print("|---|---|---|")
    for name, result, target in rows:
        print(f"| {name} | {result} | {target} |")


if __name__ == "__main__":
    main()

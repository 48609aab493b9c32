"""The app and the harness of the workflow benchmarks (``bench_workflows.py``).

Each workload gets a fresh temporary app directory, so its journal
(``<dir>/.wippy/journal.db``) starts empty; :func:`fsync_commit_us` measures the
SQLite reference commit on the same file system.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from wippy_py.backends.local import LocalEngine
from wippy_py.node import Node
from wippy_py.registry import load_registry

APP = """\
version: "1.0"
namespace: bench
entries:
  - name: client
    kind: temporal.client
    address: embedded
  - name: worker
    kind: temporal.worker
    client: bench:client
    task_queue: bench
  - name: processes
    kind: process.host
  - name: noop
    kind: function.lua
    method: main
    source: |
      return { main = function(x) return x end }
  - name: steps
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    modules: [funcs]
    method: main
    source: |
      local funcs = require("funcs")
      local function main(n)
        local call = funcs.call
        for i = 1, n do call("bench:noop", i) end
        return n
      end
      return { main = main }
  - name: waiter
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    method: main
    source: |
      local function main()
        local msg = process.inbox():receive()
        return msg:payload():data()
      end
      return { main = main }
  - name: sleeper
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    modules: [time]
    method: main
    source: |
      local time = require("time")
      local function main()
        time.sleep("1s")
        return true
      end
      return { main = main }
  - name: side_effects
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    modules: [time, uuid]
    method: main
    source: |
      local time = require("time")
      local uuid = require("uuid")
      local function main(n)
        for i = 1, n, 2 do
          uuid.v4()
          time.now()
        end
        process.inbox():receive()  -- stays running: replayed like a run after a restart
      end
      return { main = main }
  - name: activities
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    modules: [funcs]
    method: main
    source: |
      local funcs = require("funcs")
      local function main(n)
        local call = funcs.call
        for i = 1, n do call("bench:noop", i) end
        process.inbox():receive()
      end
      return { main = main }
  - name: spawner
    kind: process.lua
    method: main
    source: |
      -- W2: starts `count` workflows of `steps` activities and waits for their EXITs.
      local function main(count, steps)
        local spawn = process.spawn_monitored
        for i = 1, count do
          local _, err = spawn("bench:steps", "bench:worker", steps)
          if err then error(err) end
        end
        local events = process.events()
        local done, failed = 0, 0
        while done < count do
          local ev = events:receive()
          if ev.kind == process.event.EXIT then
            done = done + 1
            if ev.result.error then failed = failed + 1 end
          end
        end
        return failed
      end
      return { main = main }
  - name: signaller
    kind: process.lua
    method: main
    source: |
      -- W3: one durable signal to each workflow.
      local function main(pids)
        local send = process.send
        for i = 1, #pids do send(pids[i], "go", i) end
        return #pids
      end
      return { main = main }
"""


# ------------------------------------------------------------------------ harness
def app_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench_wf_"))
    (root / "_index.yaml").write_text(APP)
    return root


def make_node(root: Path | None = None) -> Node:
    return Node(load_registry(root or app_dir()), memory_limit=None, synchronous="FULL")


def session(node: Node, body: Callable[[LocalEngine], Awaitable[Any]],
             *, boot_engine: bool = True) -> Any:
    """Runs ``body(engine)`` with the dispatcher and (by default) the engine running."""
    out: list[Any] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.scheduler.run)
            if boot_engine:
                await nursery.start(node.engines[0].run)
            try:
                out.append(await body(node.engines[0]))
            finally:
                node.engines[0].stop()
                nursery.cancel_scope.cancel()

    trio.run(main)
    return out[0]


async def committed(engine: LocalEngine) -> None:
    """Waits until everything journaled so far is committed."""
    done = trio.Event()
    engine.after_durable(done.set)
    await done.wait()


async def settled(engine: LocalEngine) -> None:
    """Waits until no process is ready to run."""
    while not engine.sched.idle:
        await trio.sleep(0)


def waiting(engine: LocalEngine, run: Any) -> bool:
    """True when ``run`` is parked with nothing pending (blocked on its inbox)."""
    return bool(engine.sched.idle and not run.pending and run.proc.alive)


class Finishes:
    """Records when each watched workflow exited and when its end was committed."""

    def __init__(self, engine: LocalEngine, expected: int) -> None:
        self.engine = engine
        self.expected = expected
        self.exited: dict[str, float] = {}
        self.durable: dict[str, float] = {}
        self.errors = 0
        self.all_durable = trio.Event()

    def watch(self, workflow_id: str) -> None:
        def ended(_result: Any, error: Any) -> None:
            self.exited[workflow_id] = time.perf_counter()
            self.errors += error is not None
            self.engine.after_durable(lambda: self.committed(workflow_id))

        self.engine.watch_exit(workflow_id, ended)

    def committed(self, workflow_id: str) -> None:
        self.durable[workflow_id] = time.perf_counter()
        if len(self.durable) == self.expected:
            self.all_durable.set()


# The rows a W1 step commits: the previous call's ``completed`` event and the next
# ``call`` command, shaped like the journal's history rows (run ID, seq, type, kind,
# target, argument hash, a msgpack body of W1's size).
_HISTORY = ("CREATE TABLE t (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, "
            "kind TEXT NOT NULL, target TEXT NOT NULL, args_hash TEXT NOT NULL, body BLOB, "
            "PRIMARY KEY (run_id, seq)) WITHOUT ROWID")
_RUN_ID = "0193f1c2-5a6b-7c8d-9e0f-a1b2c3d4e5f6"


def _step_rows(i: int) -> list[tuple[Any, ...]]:
    return [(_RUN_ID, 2 * i, "event", "completed", "bench:noop", "", b"\x95" + b"x" * 30),
            (_RUN_ID, 2 * i + 1, "command", "call", "bench:noop", "9f86d081884c7d65",
             b"\x95" + b"x" * 40)]


def fsync_commit_us(directory: Path, commits: int = 200, *, step_rows: bool = False) -> float:
    """Mean µs of one INSERT + COMMIT in a WAL, synchronous=FULL database: of a single
    64-byte row, or (``step_rows``) of the two history rows a W1 step writes."""
    path = directory / f"fsync-{os.getpid()}-{time.monotonic_ns()}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        if step_rows:
            conn.execute(_HISTORY)
            insert = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)"
            batches = [_step_rows(i) for i in range(commits)]
        else:
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
            insert = "INSERT INTO t (id, body) VALUES (?, ?)"
            batches = [[(i, b"x" * 64)] for i in range(commits)]
        start = time.perf_counter()
        for rows in batches:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        return (time.perf_counter() - start) / commits * 1e6
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

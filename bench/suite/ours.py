"""Our side of the side-by-side run: the workflow workloads on the embedded engine
(through the functions of ``bench_workflows.py``, the same definitions), the actor
workloads (through ``bench_actors.py``) and the SQLite floor.

``run_all.py --ours WORKLOAD REPEAT`` calls :func:`ours` in a fresh interpreter and
prints its result as one JSON line.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
N_W3 = 1000  # W3: waiting workflows per engine (the same N for all three)
N_W4 = 200
A1_SIZE, A1_HOPS = 1000, 300_000  # A1: ring of 1,000 processes, token passed 300,000 times
A2_SPAWNS = 50_000  # A2: spawns per run
A3_IDLE = 10_000  # A3: idle processes per reading


def _paths() -> None:
    for path in (str(ROOT), str(BENCH)):
        if path not in sys.path:
            sys.path.insert(0, path)


def ours(workload: str, repeat: int) -> dict[str, Any]:
    """Runs one of our workloads in this process and returns its samples."""
    _paths()
    if workload.startswith("A"):
        return actors(workload, repeat)
    import bench_workflows as bw

    if workload == "W1":
        w1 = bw.bench_w1(100, repeat)
        return {"step_us": w1["step_us"], "fsync_us": w1["fsync_us"], "ratio": w1["ratio"]}
    if workload == "W2":
        return {"per_s": [bw.bench_w2(1000, 3)["per_s"] for _ in range(repeat)]}
    if workload == "W3":
        out = bw.bench_w3(N_W3)
        assert out["waiting"] == N_W3 and not out["errors"], out
        return {"rss_per_wf": out["rss_per_wf"], "start_s": out["start_s"],
                "signal_s": out["signal_s"]}
    if workload == "W5":
        return bw.bench_w5(100)
    if workload == "W4":
        return ours_w4()
    if workload == "R":
        rep = bw.bench_replay("bench:activities", 100, repeat)
        per_event = rep["us_per_event"]
        return {"events": rep["events"], "us_per_event": per_event,
                "us_per_step": [v * rep["events"] / 100 for v in per_event]}
    raise ValueError(workload)


def actors(workload: str, repeat: int) -> dict[str, Any]:
    """A1 ring (msg/s of ``repeat`` runs), A2 spawn rate (``repeat`` runs), A3 memory
    per idle process (one reading of 10,000: the caller runs fresh processes)."""
    import bench_actors as ba

    root = ba._app_dir()
    try:
        if workload == "A1":
            return {"msg_s": ba.bench_ring(root, A1_SIZE, A1_HOPS, repeat)}
        if workload == "A2":
            calls, total = ba.bench_spawn(root, A2_SPAWNS, repeat)
            return {"spawn_s": calls, "spawn_run_s": total}
        if workload == "A3":
            idle = ba.bench_idle(root, A3_IDLE)
            return {"rss_per_proc": idle["rss_per_proc"], "lua_per_proc": idle["lua_per_proc"]}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    raise ValueError(workload)


W4_LUA = """\
      local funcs = require("funcs")
      local time = require("time")
      local function main(i)
        for k = 0, 4 do funcs.call("bench:counted", i, k) end
        time.sleep("5s")
        for k = 5, 9 do funcs.call("bench:counted", i, k) end
        return i
      end
      return { main = main }
"""
W4_COUNTED = """\
  - name: counted
    kind: function.lua
    method: main
    modules: [logger]
    source: |
      local logger = require("logger")
      return { main = function(i, k) logger.warn("step " .. i .. ":" .. k) return k end }
"""


def ours_w4() -> dict[str, Any]:
    """W4 with the peers' workflow shape (5 activities, 5 s durable sleep, 5 activities)
    through bench_workflows_crash.bench_w4 (SIGKILL of ``wippy_py run`` once all 200
    timers are journaled, restart once they are due). Each activity execution logs a
    line (stderr, flushed per line, into the app's bench.log): they are counted."""
    import bench_workflows_crash as crash

    app = crash.APP
    begin = app.index('      local funcs = require("funcs")\n      local time')
    end = app.index("      return { main = main }\n", begin) + len("      return { main = main }\n")
    app = app[:begin] + W4_LUA + app[end:]
    crash.APP = app.replace("  - name: inflight\n", W4_COUNTED + "  - name: inflight\n")
    base = Path(tempfile.mkdtemp(prefix="bench_ours_w4_"))
    tempfile.tempdir = str(base)  # bench_w4 makes its app directory in here
    out = crash.bench_w4(N_W4)
    (app_dir,) = base.glob("bench_wf_crash_*")
    lines = re.findall(r"step (\d+:\d+)", (app_dir / "bench.log").read_text())
    shutil.rmtree(base, ignore_errors=True)
    return {"restart_to_done_s": out["restart_to_done_s"], "bare_start_s": out["bare_start_s"],
            "steps": N_W4 * 10, "executions": len(lines),
            "reexecuted": len(lines) - len(set(lines)),
            "done_at_kill": 0}  # bench_w4 checks that all 200 were running after the kill


def floor(directory: Path, commits: int = 200, group: int = 100) -> dict[str, float]:
    """One SQLite fsync commit (1-row INSERT, WAL, synchronous=FULL) and grouped
    commits (``group`` rows per transaction) per row, same file system as the journals."""
    _paths()
    from bench_workflows_app import fsync_commit_us

    single = fsync_commit_us(directory, commits)
    path = directory / f"group-{os.getpid()}-{time.monotonic_ns()}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        body, rows = b"x" * 64, 0
        start = time.perf_counter()
        for _ in range(commits // 4):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO t (id, body) VALUES (?, ?)",
                             ((rows + i, body) for i in range(group)))
            conn.execute("COMMIT")
            rows += group
        grouped = (time.perf_counter() - start) / rows * 1e6
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return {"fsync_us": single, "grouped_us_per_row": grouped}

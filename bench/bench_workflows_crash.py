"""W4 of the workflow benchmarks: recovery after SIGKILL of a real ``wippy_py run``.

Run: ``.venv/bin/python bench/bench_workflows_crash.py [N]`` (or through
``bench_workflows.py``, which prints it in its table). Not a test: it only measures.

1. ``python -m wippy_py run APP -x bench:starter N`` starts N workflows (one activity,
   a 500 ms durable timer, two more activities) and then idles;
2. once the journal holds all N timers (every run in flight, between its first and
   second activity), the process gets SIGKILL;
3. after the timers are due, ``python -m wippy_py run APP`` restarts the app (boot
   recovers the running runs: replay, then live); the clock runs from this restart
   until the journal (read through a separate read-only SQLite connection, polled
   every 5 ms) shows all N runs completed.

The bare process start is measured too: ``run APP -x bench:hello`` (a process that
returns at once) on the same app afterwards, with nothing left to recover.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
  - name: noop
    kind: function.lua
    method: main
    source: |
      return { main = function(x) return x end }
  - name: inflight
    kind: workflow.lua
    meta: {temporal: {workflow: {worker: bench:worker}}}
    modules: [funcs, time]
    method: main
    source: |
      local funcs = require("funcs")
      local time = require("time")
      local function main(i)
        funcs.call("bench:noop", i)
        time.sleep("500ms")
        funcs.call("bench:noop", i)
        funcs.call("bench:noop", i)
        return i
      end
      return { main = main }
  - name: starter
    kind: process.lua
    method: main
    source: |
      local function main(n)
        for i = 1, tonumber(n) do
          local _, err = process.with_options({["temporal.workflow.id"] = "wf-" .. i})
            :spawn("bench:inflight", "bench:worker", i)
          if err then error(err) end
        end
        process.inbox():receive()  -- keep the node up until it is killed
      end
      return { main = main }
  - name: hello
    kind: process.lua
    method: main
    source: |
      return { main = function() return 0 end }
"""

POLL = 0.005


def _journal(app: Path) -> Path:
    return app / ".wippy" / "journal.db"


def _query(path: Path, sql: str) -> int:
    if not path.exists():
        return -1
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:  # no tables yet
        return -1


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL)


def _command(app: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "wippy_py", "run", str(app), *extra]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bare_start(app: Path) -> float:
    """Seconds a ``wippy_py run APP -x bench:hello`` takes on ``app`` when there is
    nothing to recover: interpreter start, imports, app load, engine boot, exit."""
    start = time.perf_counter()
    subprocess.run(_command(app, "-x", "bench:hello"), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_w4(count: int) -> dict[str, float]:
    """Kills a node with ``count`` workflows in flight and times the restart."""
    app = Path(tempfile.mkdtemp(prefix="bench_wf_crash_"))
    (app / "_index.yaml").write_text(APP)
    journal = _journal(app)
    log = (app / "bench.log").open("wb")
    first = subprocess.Popen(_command(app, "-x", "bench:starter", str(count)), cwd=ROOT,
                             stdout=log, stderr=log)
    try:
        _wait_for(lambda: _query(journal, "SELECT count(*) FROM timers") >= count, 60,
                  f"{count} timers in the journal (see {app / 'bench.log'})")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    running = _query(journal, "SELECT count(*) FROM runs WHERE status = 'running'")
    if running != count:
        raise RuntimeError(f"expected {count} running runs after the kill, found {running}")
    due = _query(journal, "SELECT CAST(max(due) * 1000 AS INTEGER) FROM timers") / 1000
    time.sleep(max(0.0, due - time.time()) + 0.05)  # restart once every timer is due
    start = time.perf_counter()
    second = subprocess.Popen(_command(app), cwd=ROOT, stdout=log, stderr=log)
    try:
        _wait_for(lambda: _query(journal, "SELECT count(*) FROM runs WHERE status = "
                                 "'completed'") >= count, 60,
                  f"{count} completed runs (see {app / 'bench.log'})")
        elapsed = time.perf_counter() - start
    finally:
        _stop(second)
        log.close()
    history = _query(journal, "SELECT count(*) FROM history")
    return {"restart_to_done_s": elapsed, "bare_start_s": bare_start(app),
            "history_records": history}


if __name__ == "__main__":
    result = bench_w4(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
    print({k: round(v, 3) for k, v in result.items()})

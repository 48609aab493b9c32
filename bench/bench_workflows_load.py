"""The workflow workloads of ``bench_workflows.py`` on the embedded engine (not a
test): each returns its raw samples; ``bench_workflows.py`` makes the table."""

from __future__ import annotations

import cProfile
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_workflows_app import (
    Finishes,
    app_dir,
    committed,
    fsync_commit_us,
    make_node,
    session,
    settled,
    waiting,
)

from wippy_py.backends.local import LocalEngine


# ------------------------------------------------------------------------ workloads
def bench_sequential(steps: int) -> float:
    """Seconds from the start of one workflow of ``steps`` activities until its
    completion is committed."""
    async def body(engine: LocalEngine) -> float:
        finishes = Finishes(engine, 1)
        start = time.perf_counter()
        run = engine.start("bench:steps", "bench:worker", [steps])
        finishes.watch(run.workflow_id)
        await finishes.all_durable.wait()
        assert not finishes.errors
        return time.perf_counter() - start

    result: float = session(make_node(), body)
    return result


def bench_w1(steps: int, repeat: int) -> dict[str, list[float]]:
    """W1: µs per step ((T(steps) - T(0)) / steps) and, right before each repetition,
    the fsync reference on the same file system."""
    out: dict[str, list[float]] = {"step_us": [], "fsync_us": [], "ratio": [],
                                   "step_commit_us": [], "step_ratio": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench_wf_fsync_"))
    for _ in range(repeat):
        fsync = fsync_commit_us(tmp)
        step_commit = fsync_commit_us(tmp, step_rows=True)
        base = bench_sequential(0)
        total = bench_sequential(steps)
        step = (total - base) / steps * 1e6
        out["step_us"].append(step)
        out["fsync_us"].append(fsync)
        out["ratio"].append(step / fsync)
        out["step_commit_us"].append(step_commit)
        out["step_ratio"].append(step / step_commit)
    return out


def bench_w2(count: int, steps: int) -> dict[str, float]:
    """W2: ``count`` concurrent workflows of ``steps`` activities, started by a Lua
    process (``process.spawn_monitored``); done when the last EXIT reached it and the
    journal is committed."""
    node = make_node()

    async def body(engine: LocalEngine) -> dict[str, float]:
        commits = _count_commits(engine)
        done = trio.Event()
        start = time.perf_counter()
        proc = node.spawn("bench:spawner", "bench:processes", [count, steps])
        proc.add_exit_callback(lambda _p, _e: done.set())
        await done.wait()
        await committed(engine)
        elapsed = time.perf_counter() - start
        assert proc.exit is not None and proc.exit.ok, proc.exit
        assert node.exit_to_python(proc.exit) == 0, "some workflows failed"
        return {"seconds": elapsed, "per_s": count / elapsed, "commits": len(commits)}

    result: dict[str, float] = session(node, body)
    return result


def _count_commits(engine: LocalEngine) -> list[int]:
    """Records the size of every non-empty commit of ``engine``'s journal from now on."""
    sizes: list[int] = []
    journal = engine.journal
    commit = journal.commit

    def counting() -> int:
        written = commit()
        if written:
            sizes.append(written)
        return written

    journal.commit = counting  # type: ignore[method-assign]
    return sizes


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_w3(count: int) -> dict[str, float]:
    """W3: ``count`` workflows blocked on their inbox (memory), then a Lua process
    signals each and all finish (time until the last completion is committed)."""
    node = make_node()

    async def body(engine: LocalEngine) -> dict[str, float]:
        out: dict[str, float] = {}
        gc.collect()
        node.vm.collect_garbage()
        lua0, rss0 = node.vm.memory_used(), _rss_bytes()
        start = time.perf_counter()
        for _ in range(count):
            engine.start("bench:waiter", "bench:worker", [])
        await settled(engine)
        await committed(engine)
        out["start_s"] = time.perf_counter() - start
        out["waiting"] = sum(waiting(engine, run) for run in engine.runs.values())
        gc.collect()
        node.vm.collect_garbage()
        out["lua_per_wf"] = (node.vm.memory_used() - lua0) / count
        out["rss_per_wf"] = (_rss_bytes() - rss0) / count
        # The bench's own bookkeeping comes after the memory reading.
        finishes = Finishes(engine, count)
        pids = []
        for workflow_id, run in engine.runs.items():
            finishes.watch(workflow_id)
            pids.append(run.pid.decode())
        start = time.perf_counter()
        node.spawn("bench:signaller", "bench:processes", [pids])
        await finishes.all_durable.wait()
        out["signal_s"] = time.perf_counter() - start
        out["errors"] = finishes.errors
        return out

    result: dict[str, float] = session(node, body)
    return result


def bench_w3_fresh(count: int) -> dict[str, float]:
    """:func:`bench_w3` in a fresh interpreter, so RSS is not blurred by earlier runs."""
    out = subprocess.run([sys.executable, __file__, "--w3", str(count)],
                         capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def bench_w5(count: int) -> dict[str, float]:
    """W5: ``count`` workflows started together, each sleeping 1 s on the real clock.

    Lag = finish - (start + 1 s), where start is the ``engine.start`` call (so the
    burst of starts counts) and finish is the workflow's exit (its result is known)
    or the commit that made its completion durable. ``sleep_*``: the exit measured
    from the due time of the sleep's own durable timer (timer precision alone)."""
    async def body(engine: LocalEngine) -> dict[str, float]:
        finishes = Finishes(engine, count)
        started: dict[str, float] = {}
        run_ids: dict[str, str] = {}
        exit_wall: dict[str, float] = {}

        def note_exit(workflow_id: str) -> Callable[[Any, Any], None]:
            return lambda _value, _error: exit_wall.__setitem__(workflow_id, engine.now_wall())

        for _ in range(count):
            started_at = time.perf_counter()
            run = engine.start("bench:sleeper", "bench:worker", [])
            started[run.workflow_id] = started_at
            run_ids[run.workflow_id] = run.run_id
            finishes.watch(run.workflow_id)
            engine.watch_exit(run.workflow_id, note_exit(run.workflow_id))
        await finishes.all_durable.wait()
        assert not finishes.errors
        exited = sorted((finishes.exited[w] - t - 1.0) * 1e3 for w, t in started.items())
        durable = sorted((finishes.durable[w] - t - 1.0) * 1e3 for w, t in started.items())
        sleep = sorted((exit_wall[w] - _timer_due(engine, r)) * 1e3 for w, r in run_ids.items())
        return {"exit_p50": _pct(exited, 50), "exit_p99": _pct(exited, 99),
                "durable_p50": _pct(durable, 50), "durable_p99": _pct(durable, 99),
                "sleep_p50": _pct(sleep, 50), "sleep_p99": _pct(sleep, 99)}

    result: dict[str, float] = session(make_node(), body)
    return result


def _timer_due(engine: LocalEngine, run_id: str) -> float:
    (timer,) = [r for r in engine.journal.history(run_id) if r.kind == "timer"]
    return float(timer.value)


def _pct(sorted_values: list[float], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def bench_replay(entry: str, n: int, repeat: int,
                 profiler: cProfile.Profile | None = None) -> dict[str, Any]:
    """Replay: records a run of ``entry(n)`` that stays waiting on its inbox, then
    replays its history with ``verify_only=True`` on a fresh node (whose engine is
    not booted, so nothing else replays), ``repeat`` times."""
    root = app_dir()

    async def record(engine: LocalEngine) -> str:
        run = engine.start(entry, "bench:worker", [n])
        while not waiting(engine, run):
            await trio.sleep(0.01)
        await committed(engine)
        return run.run_id

    run_id: str = session(make_node(root), record)
    samples: list[float] = []
    reads: list[float] = []
    events = 0
    for _ in range(repeat):
        async def replay(engine: LocalEngine) -> tuple[float, float, int]:
            start = time.perf_counter()
            history = engine.journal.history(run_id)
            row = engine.journal.run(run_id)
            assert row is not None
            read = time.perf_counter() - start
            done = trio.Event()
            if profiler is not None:
                profiler.enable()
            start = time.perf_counter()
            run = engine.resume(row, history, verify_only=True)
            run.proc.add_exit_callback(lambda _p, _e: done.set())
            await done.wait()
            elapsed = time.perf_counter() - start
            if profiler is not None:
                profiler.disable()
            assert engine.verify_outcome == "ok" and run.failure is None, run.failure
            return elapsed, read, len(history)

        elapsed, read, events = session(make_node(root), replay, boot_engine=False)
        samples.append(elapsed / events * 1e6)
        reads.append(read / events * 1e6)
    return {"events": events, "us_per_event": samples, "read_us_per_event": reads}

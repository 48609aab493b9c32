"""W4 on Temporal (SIGKILL of the worker with 200 workflows in flight, a new worker,
time until all completed; step executions counted), for ``temporal_workload.py W4``,
which also runs the killed worker process (``--w4-child``)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from temporal_server import DevServer
from temporal_workload import PRAGMAS, QUEUE, W4_SLEEP, TenSteps, connect, fresh_dir, worker
from temporalio.client import Client
from temporalio.service import RPCError

WORKLOAD = Path(__file__).resolve().parent / "temporal_workload.py"


async def w4_child(address: str, count: int, seconds: float, start: bool) -> None:
    """The worker process that is killed; with ``start`` it also starts the workflows."""
    client = await connect(address)
    async with worker(client):
        if start:
            await asyncio.gather(*(
                client.start_workflow(TenSteps.run, args=[i, seconds], id=f"w4-{i}",
                                      task_queue=QUEUE) for i in range(count)))
        await asyncio.Event().wait()


async def _w4_sleeping(client: Client, count: int, counter: Path) -> bool:
    """True once all ``count`` workflows have their timer started. Cheap first: the
    counter file must show the fifth step of every workflow (the step before the
    sleep) before the histories are read."""
    if not counter.exists():
        return False
    fifth = {line for line in counter.read_text().split() if line.endswith(":4")}
    if len(fifth) < count:
        return False
    for i in range(count):
        try:
            history = await client.get_workflow_handle(f"w4-{i}").fetch_history()
        except RPCError:  # not started yet
            return False
        if not any(e.HasField("timer_started_event_attributes") for e in history.events):
            return False
    return True


async def _w4_completed(client: Client) -> int:
    done = 0
    async for _wf in client.list_workflows('WorkflowType = "TenSteps" AND '
                                           'ExecutionStatus = "Completed"'):
        done += 1
    return done


async def run_w4(count: int) -> dict[str, Any]:
    """SIGKILL of the worker process once all ``count`` workflows sleep; a new worker
    process once the timers are due; time until all completed (the server keeps
    running: it holds Temporal's durable state); step executions counted."""
    seconds = W4_SLEEP
    directory = fresh_dir()
    counter = directory / "executions.log"
    env = dict(os.environ, BENCH_COUNTER=str(counter))
    with DevServer(directory, pragmas=PRAGMAS) as server:
        client = await connect(server.address)
        log = (directory / "child.log").open("wb")
        command = [sys.executable, str(WORKLOAD), "--w4-child", server.address, "--count",
                   str(count), "--seconds", str(seconds)]
        first = subprocess.Popen([*command, "--start"], stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 300
        try:
            while not await _w4_sleeping(client, count, counter):
                if time.monotonic() > deadline or first.poll() is not None:
                    raise RuntimeError(f"W4: not all workflows got to sleep ({directory})")
                await asyncio.sleep(0.05)
        finally:
            if first.poll() is None:
                os.kill(first.pid, signal.SIGKILL)
            first.wait()
        done_at_kill = await _w4_completed(client)
        await asyncio.sleep(seconds + 0.05)  # restart once every timer is due
        start = time.perf_counter()
        second = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        try:
            while await _w4_completed(client) < count:
                if time.perf_counter() - start > 600 or second.poll() is not None:
                    raise RuntimeError(f"W4: recovery did not finish ({directory})")
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - start
        finally:
            os.kill(second.pid, signal.SIGKILL)
            second.wait()
            log.close()
    lines = counter.read_text().split()
    return {"restart_to_done_s": elapsed, "steps": count * 10, "executions": len(lines),
            "reexecuted": len(lines) - len(set(lines)), "done_at_kill": done_at_kill}

"""A worker of the native ``temporalio`` workflows of ``temporal_workload.py`` (the
``Steps`` workflow and the ``noop`` activity, unsandboxed, default worker options) on
a given server and task queue, until its stdin closes or it gets SIGTERM.

Used by ``bench/bench_temporal_backend.py`` to run the native workflows beside our
Lua workflows on the same dev server: ``temporal_native_worker.py ADDRESS QUEUE``.
Prints ``READY`` once the worker polls.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from temporal_workload import WORKFLOWS, connect, counted, noop
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


async def serve(address: str, queue: str) -> None:
    client = await connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() or stop.set())
    async with Worker(client, task_queue=queue, workflows=WORKFLOWS,
                      activities=[noop, counted], workflow_runner=UnsandboxedWorkflowRunner()):
        print("READY", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))

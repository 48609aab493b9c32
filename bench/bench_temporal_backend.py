"""W1 and W2 on our Temporal backend beside the same workloads as native ``temporalio``
Python workflows, in the same run, on the same dev server (not a test).

Run: ``.venv/bin/python bench/bench_temporal_backend.py [--repeat N] [--only W1,W2]
[--count 1000]`` (``bench/run_all.py`` runs it as the workload ``TB``).

One ``temporal server start-dev`` (``bench/peers/temporal_server.py``: loopback, a
fresh SQLite file in WAL mode with ``synchronous=FULL``) and two worker processes
polling their own task queues on it:

* **lua**: a wippy-py app (this interpreter) whose ``temporal.worker`` serves a
  ``workflow.lua`` that makes ``n`` sequential ``funcs.call`` of a no-op
  ``function.lua`` (each an activity run by the same worker);
* **native**: ``bench/peers/temporal_native_worker.py`` under the peers' interpreter
  (``bench/.env``, the same temporalio version): the ``Steps`` workflow of
  ``temporal_workload.py``, ``n`` sequential ``workflow.execute_activity`` of an
  ``async def`` no-op, unsandboxed.

Both use the SDK's default worker options. The client is this process (the same code
for both; only the workflow type and task queue differ). The repetitions alternate
which engine goes first. W1: per step = (T(100 steps) − T(0)) / 100. W2: 1,000
workflows of 3 steps started at once, until all results are in. Also the CPU time of
each worker process (``/proc/PID/stat``, in clock ticks of 10 ms): per W1 step
(T(100) − T(0) as for the time) and per W2 workflow.
Prints ``RESULT {json}`` as its last line (and a short summary before it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from temporal_server import DevServer

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

PRAGMAS = ("journal_mode=wal", "synchronous=2")
W1_STEPS, W2_STEPS = 100, 3
LUA_QUEUE, NATIVE_QUEUE = "bench-lua", "bench-native"
APP = """\
version: "1.0"
namespace: bench
entries:
  - name: temporal_client
    kind: temporal.client
    address: "{address}"
    connection_timeout: 10s
  - name: worker
    kind: temporal.worker
    client: bench:temporal_client
    task_queue: {queue}
  - name: noop
    kind: function.lua
    method: main
    source: |
      return {{ main = function(x) return x end }}
  - name: steps
    kind: workflow.lua
    meta: {{temporal: {{workflow: {{worker: bench:worker}}}}}}
    method: main
    modules: [funcs]
    source: |
      local funcs = require("funcs")
      local function main(n)
        for i = 1, n do funcs.call("bench:noop", i) end
        return n
      end
      return {{ main = main }}
"""
# engine -> (workflow type, task queue, arguments of a run of n steps)
ENGINES: dict[str, tuple[str, str, Any]] = {
    "lua": ("bench:steps", LUA_QUEUE, lambda n: [n]),
    "native": ("Steps", NATIVE_QUEUE, lambda n: [n, False]),
}


def serve_lua(app: Path) -> None:
    """The lua worker process: serves the app until SIGTERM."""
    import trio

    from wippy_py.node import Node
    from wippy_py.registry import load_registry

    node = Node(load_registry(app))

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.serve)
            print("READY", flush=True)
            with trio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    break
            nursery.cancel_scope.cancel()

    trio.run(main)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_worker(command: list[str], log: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=log.open("w"), text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"worker {command[1]} did not start: {line!r}; see {log}")
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


async def measure(address: str, pids: dict[str, int], repeat: int, only: list[str],
                  count: int) -> dict[str, Any]:
    from temporalio.client import Client

    client = await Client.connect(address)
    ids = iter(range(1 << 62))

    async def once(engine: str, n: int) -> float:
        kind, queue, args = ENGINES[engine]
        start = time.perf_counter()
        result = await client.execute_workflow(kind, args=args(n), id=f"{engine}-{next(ids)}",
                                               task_queue=queue)
        assert result == n, (engine, result)
        return time.perf_counter() - start

    async def start(engine: str) -> Any:
        """One start; a start call the server did not answer in time (under heavy
        load) is repeated with the same ID, and "already started" means it was made."""
        from temporalio.exceptions import WorkflowAlreadyStartedError
        from temporalio.service import RPCError

        kind, queue, args = ENGINES[engine]
        workflow_id = f"{engine}-{next(ids)}"
        for attempt in range(5):
            try:
                return await client.start_workflow(kind, args=args(W2_STEPS), id=workflow_id,
                                                   task_queue=queue)
            except WorkflowAlreadyStartedError:
                return client.get_workflow_handle(workflow_id)
            except RPCError as exc:
                if "Timeout" not in str(exc) or attempt == 4:
                    raise
                out["start_retries"] = out.get("start_retries", 0) + 1
        raise AssertionError("unreachable")

    async def batch(engine: str) -> float:
        start_time = time.perf_counter()
        handles = await asyncio.gather(*(start(engine) for _ in range(count)))
        results = await asyncio.gather(*(h.result() for h in handles))
        assert all(r == W2_STEPS for r in results), engine
        return time.perf_counter() - start_time

    out: dict[str, Any] = {"count": count}
    for engine in ENGINES:  # warm-up: both workers poll and have run a workflow
        await once(engine, W1_STEPS)
    orders = [list(ENGINES), list(reversed(ENGINES))]
    if "W1" in only:
        for rep in range(repeat):
            for engine in orders[rep % 2]:
                cpu0 = cpu_seconds(pids[engine])
                base = await once(engine, 0)
                cpu1 = cpu_seconds(pids[engine])
                total = await once(engine, W1_STEPS)
                cpu2 = cpu_seconds(pids[engine])
                out.setdefault(f"{engine}_step_us", []).append(
                    (total - base) / W1_STEPS * 1e6)
                out.setdefault(f"{engine}_step_cpu_us", []).append(
                    ((cpu2 - cpu1) - (cpu1 - cpu0)) / W1_STEPS * 1e6)
    if "W2" in only:
        for rep in range(repeat):
            for engine in orders[rep % 2]:
                cpu0 = cpu_seconds(pids[engine])
                elapsed = await batch(engine)
                cpu = cpu_seconds(pids[engine]) - cpu0
                out.setdefault(f"{engine}_per_s", []).append(count / elapsed)
                out.setdefault(f"{engine}_cpu_ms_per_wf", []).append(cpu / count * 1e3)
    return out


def peer_python() -> Path:
    python = BENCH / ".env" / "bin" / "python"
    if not python.exists():
        raise SystemExit("bench/.env is missing: run bench/run_all.py once (it creates it)")
    return python


def run(repeat: int, only: list[str], count: int) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="bench_tb_", dir=os.environ.get("BENCH_TMP")))
    workers: dict[str, subprocess.Popen[str]] = {}
    with DevServer(directory, pragmas=PRAGMAS) as server:
        try:
            app = directory / "app"
            app.mkdir()
            (app / "_index.yaml").write_text(APP.format(address=server.address,
                                                        queue=LUA_QUEUE))
            workers["lua"] = start_worker([sys.executable, __file__, "--serve-lua", str(app)],
                                          directory / "lua-worker.log")
            workers["native"] = start_worker(
                [str(peer_python()), str(BENCH / "peers" / "temporal_native_worker.py"),
                 server.address, NATIVE_QUEUE], directory / "native-worker.log")
            pids = {engine: proc.pid for engine, proc in workers.items()}
            result = asyncio.run(measure(server.address, pids, repeat, only, count))
        finally:
            for proc in workers.values():
                stop_worker(proc)
    shutil.rmtree(directory, ignore_errors=True)  # kept on failure
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="W1,W2")
    parser.add_argument("--count", type=int, default=1000, help="W2: concurrent workflows")
    parser.add_argument("--serve-lua", type=Path, metavar="APP", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_lua:
        serve_lua(args.serve_lua)
        return
    result = run(args.repeat, [w.strip().upper() for w in args.only.split(",")], args.count)
    for key, samples in result.items():
        if isinstance(samples, list):
            print(f"{key}: " + ", ".join(f"{v:,.1f}" for v in samples), file=sys.stderr)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

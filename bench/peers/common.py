"""Helpers shared by the peer workload modules (standard library only: these modules
run under the benchmark environment's interpreter, ``bench/.env``)."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

# The workloads, identical for every engine (see bench/run_all.py).
W1_STEPS = 100  # W1: one workflow of 100 sequential no-op steps
W2_COUNT, W2_STEPS = 1000, 3  # W2: 1,000 concurrent workflows of 3 no-op steps
W5_COUNT, W5_SLEEP = 100, 1.0  # W5: 100 workflows sleeping 1 s


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle_memory() -> None:
    gc.collect()
    gc.collect()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (as in bench_workflows.py)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def wal_database(path: Path) -> None:
    """Creates an empty SQLite file in WAL mode (the mode persists in the file), so
    an engine that opens it later with the default ``synchronous=FULL`` journals the
    way our engine and the floor do."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    finally:
        conn.close()


def emit(result: dict[str, Any]) -> None:
    """The result line the driver (run_all.py) reads: the last line of stdout."""
    sys.stdout.write("\nRESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()

"""The worker-pool example (channels + coroutine.spawn), through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_worker_pool_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wippy_py", "run", "examples/worker-pool", "pool", "4", "12"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "job  1: collatz(27) takes 111 steps"
    assert lines[5] == "job  6: collatz(32) takes 5 steps"
    assert len([line for line in lines if line.startswith("job ")]) == 12
    assert lines[12] == "12 jobs on 4 workers (4 busy)"
    assert lines[13].endswith("the sleeps add up to 240ms")

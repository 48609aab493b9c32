"""Every example app runs, through the real CLI entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wippy(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wippy_py", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, input=stdin,
    )


def test_hello_example() -> None:
    result = wippy("run", "examples/hello", "hello", "Ada")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, Ada!\n"


def test_func_call_example() -> None:
    result = wippy("run", "examples/func-call", "-x", "app:main")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "add(2, 3) =\t5"
    assert lines[1] == "divide(1, 0) failed:\tInvalid\tdivision by zero"
    assert lines[2].startswith("fib(5..8) =\t[5,8,13,21]")
    assert lines[3].startswith("with executor:\t42")
    assert lines[4] == "bare name:\tInvalid"


def test_default_app_demo() -> None:
    result = wippy("run", "registry", "demo")
    assert result.returncode == 0, result.stderr
    assert "Invoice" in result.stdout
    assert "total" in result.stdout

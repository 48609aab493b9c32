"""`wippy-py workflow` against real `wippy-py run` processes, and the new `run` flags
(--clock virtual, --embedded, the warning for workers that cannot run)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_cli_harness import journal_file, serving, started_ids, wf, write_workflow_app

from wippy_py.journal import Journal


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_workflow_app(tmp_path / "app")


def test_running_app_picks_up_start_and_signal_from_the_cli(app: Path) -> None:
    with serving(app) as server:
        wid, _ = started_ids(wf(app, "start", "app:waiter", "--id", "greeter",
                                "--input", '"ada"'))
        signal = wf(app, "signal", wid, "hello", '{"n": [1, 2]}')
        assert signal.exit_code == 0, signal.output
        result = wf(app, "result", wid, "--wait", "--timeout", "60")
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"hello": "ada", "topic": "hello", "got": {"n": [1, 2]}}
    shown = wf(app, "show", wid).stdout
    assert re.search(r"event +signal +hello +\{\"n\": \[1, 2\]\} from cli", shown)


def test_start_while_no_app_runs_then_run_picks_it_up(app: Path) -> None:
    wid, run_id = started_ids(wf(app, "start", "app:order", "--input", '{"amount": 3}'))
    assert wf(app, "result", wid).exit_code == 3  # nobody runs it yet
    with serving(app):
        result = wf(app, "result", wid, "--wait", "--timeout", "60")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"id": "tx-3", "status": "ok:tx-3"}
    with Journal(journal_file(app), create=False) as journal:
        row = journal.current_run(wid)
        assert row is not None and row.run_id == run_id and row.history_length == 6


def test_terminate_reaches_the_running_app(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:waiter"))
    with serving(app):
        assert wf(app, "terminate", wid, "--reason", "enough").exit_code == 0
        result = wf(app, "result", wid, "--wait", "--timeout", "60")
    assert result.exit_code == 1
    assert f"workflow {wid} was terminated" in result.stderr


def test_virtual_clock_runs_a_day_long_sleep_at_once(app: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "run", str(app), "--clock", "virtual",
         "-x", "app:nap"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("slept 24 hours", "slept 24.0 hours")
    with Journal(journal_file(app), create=False) as journal:
        [row] = journal.runs()
        assert row.status == "completed"
        [timer] = [r for r in journal.history(row.run_id) if r.kind == "timer"]
        assert timer.target == "24h0m0s"


def _remote_app(app: Path) -> None:
    text = (app / "_index.yaml").read_text()
    (app / "_index.yaml").write_text(
        text.replace("    address: embedded\n", "    address: localhost:7233\n", 1))


def _unreachable_app(app: Path) -> None:
    # Nothing listens on the port; the worker gives up at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = (app / "_index.yaml").read_text()
    text = text.replace("    address: embedded\n",
                        f"    address: 127.0.0.1:{port}\n    connection_timeout: 2s\n", 1)
    text = text.replace("    task_queue:", "    lifecycle: {restart: {max_attempts: 1}}\n"
                        "    task_queue:", 1)
    (app / "_index.yaml").write_text(text)


def test_an_unreachable_temporal_server_stops_the_run_with_a_clear_error(app: Path) -> None:
    pytest.importorskip("temporalio", reason="the temporal extra is not installed")
    _unreachable_app(app)
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "run", str(app), "-x", "app:nap"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "temporal.worker app:worker" in proc.stderr and "cannot connect" in proc.stderr
    assert "--embedded" in proc.stderr


def test_without_the_temporal_extra_remote_workers_are_warned_about(
    app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wippy_py.node import Node
    from wippy_py.registry import load_registry

    _remote_app(app)
    monkeypatch.setitem(sys.modules, "wippy_py.backends.temporal", None)  # not installed
    node = Node(load_registry(app))
    assert list(node.unavailable_workers) == ["app:worker"]
    reason = node.unavailable_workers["app:worker"]
    assert "wippy-py[temporal]" in reason and "--embedded" in reason


def test_embedded_flag_runs_workers_of_remote_clients_here(app: Path) -> None:
    _remote_app(app)
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "run", str(app), "--embedded", "--clock", "virtual",
         "-x", "app:nap"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning:" not in proc.stderr
    assert "slept 24" in proc.stdout
    # the CLI finds the journal of such an app too, with --embedded as `run`
    listed = wf(app, "list", "--embedded")
    assert listed.exit_code == 0 and "app:sleeper" in listed.stdout

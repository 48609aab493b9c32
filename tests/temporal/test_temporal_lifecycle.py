"""The Temporal worker's lifecycle: reading the entries, connecting (with retries and
a clear error when the server cannot be reached), serving, stopping."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import trio
from temporal_helpers import free_port, run_on_temporal, write_temporal_app

from wippy_py.backends.temporal import TemporalUnavailable, client_config, worker_config
from wippy_py.node import Node
from wippy_py.registry import load_registry

MAIN = """
- name: main
  kind: process.lua
  method: main
  source: |
    local function main()
      local result, err = process.exec("app:hello", "app:worker", "world")
      if err then return "error " .. err:kind() .. ": " .. err:message() end
      return result
    end
    return {main = main}
- name: spawner
  kind: process.lua
  method: main
  source: |
    local function main()
      local pid, err = process.spawn_monitored("app:hello", "app:worker", "world")
      return {pid = pid, kind = err and err:kind(), message = err and err:message()}
    end
    return {main = main}
- name: hello
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main(name) return "hello " .. name end
    return {main = main}
"""


class _Unreachable:
    """A server address nothing listens on."""

    def __init__(self) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self.pid = 0
        self.binary = ""


def _unreachable_app(tmp_path: Path, lifecycle: str) -> Path:
    app = write_temporal_app(tmp_path / "app", _Unreachable(), MAIN)  # type: ignore[arg-type]
    index = app.root / "_index.yaml"
    text = index.read_text().replace("connection_timeout: 10s", "connection_timeout: 1s")
    text = text.replace("    task_queue: ", f"    lifecycle: {lifecycle}\n    task_queue: ", 1)
    index.write_text(text)
    return app.root


def test_an_unreachable_server_fails_the_boot_with_a_clear_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _unreachable_app(tmp_path, "{start_timeout: 3s, restart: {initial_delay: 100ms}}")
    address = load_registry(app).get("app:temporal_client").data["address"]  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING, "wippy_py.temporal"), \
            pytest.raises(TemporalUnavailable) as failure:
        run_on_temporal(app, "app:main")
    message = str(failure.value)
    assert "temporal.worker app:worker" in message
    assert f"temporal.client app:temporal_client ({address}, namespace default)" in message
    assert "cannot connect" in message and "start_timeout (3s)" in message
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries, "the connection is retried per the worker's restart policy"
    assert "Connection refused" in message


def test_max_attempts_bounds_the_retries(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    app = _unreachable_app(tmp_path, "{restart: {max_attempts: 2, initial_delay: 50ms}}")
    with caplog.at_level(logging.WARNING, "wippy_py.temporal"), \
            pytest.raises(TemporalUnavailable, match="cannot connect"):
        run_on_temporal(app, "app:main")
    assert len([r for r in caplog.records if "retrying in" in r.getMessage()]) == 1


def test_an_optional_worker_lets_the_app_run_and_its_spawns_fail_unavailable(
    tmp_path: Path,
) -> None:
    app = _unreachable_app(tmp_path, "{startup: optional, restart: {max_attempts: 1}}")
    ran = run_on_temporal(app, "app:main")
    assert ran.error is None
    assert ran.value.startswith("error Unavailable: ")
    assert "cannot connect" in ran.value
    # process.spawn itself returns the error (no PID, no EXIT later)
    spawned = run_on_temporal(app, "app:spawner")
    assert "pid" not in spawned.value and spawned.value["kind"] == "Unavailable"
    assert "cannot connect" in spawned.value["message"]


def test_the_cli_reports_an_unreachable_server_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    app = _unreachable_app(tmp_path, "{start_timeout: 2s, restart: {max_attempts: 1}}")
    proc = subprocess.run([sys.executable, "-m", "wippy_py", "run", str(app), "-x", "app:main"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2  # the CLI's code for an app that cannot start
    assert "Traceback" not in proc.stderr
    assert "cannot connect" in proc.stderr and "app:temporal_client" in proc.stderr


def test_a_workflow_runs_and_the_worker_stops_with_the_node(temporal_app) -> None:  # type: ignore[no-untyped-def]
    app = temporal_app(MAIN)
    ran = run_on_temporal(app.root, "app:main")
    assert (ran.error, ran.value) == (None, "hello world")
    [provider] = ran.node.temporal
    assert provider.worker is not None
    assert provider._thread is None  # the asyncio thread was joined


def test_entries_are_read_into_sdk_settings(tmp_path: Path) -> None:
    app = write_temporal_app(tmp_path / "app", _Unreachable(), MAIN)  # type: ignore[arg-type]
    index = app.root / "_index.yaml"
    (app.root / "key.txt").write_text("secret-key\n")
    text = index.read_text().replace(
        "connection_timeout: 10s",
        "connection_timeout: 1500ms\n    namespace: prod\n    tq_prefix: eu-\n"
        "    auth: {type: api_key, api_key_file: key.txt}")
    text = text.replace("    task_queue: ", "    worker_options: {max_concurrent_activity_"
                        "execution_size: 7, sticky_schedule_to_start_timeout: 2s}\n"
                        "    task_queue: ", 1)
    index.write_text(text)
    registry = load_registry(app.root)
    client = client_config(registry.get("app:temporal_client"), app.root)  # type: ignore[arg-type]
    assert (client.namespace, client.connection_timeout, client.api_key, client.tls) == (
        "prod", 1.5, "secret-key", True)
    worker = worker_config(registry, registry.get("app:worker"))  # type: ignore[arg-type]
    assert worker.task_queue == "eu-" + app.task_queue
    assert worker.options == {"max_concurrent_activities": 7,
                              "sticky_queue_schedule_to_start_timeout": timedelta(seconds=2)}
    assert worker.workflows == {"app:hello": "app:hello"}


def test_a_node_without_temporal_workers_starts_no_thread(tmp_path: Path) -> None:
    (tmp_path / "_index.yaml").write_text(
        "namespace: app\nentries:\n  - name: main\n    kind: process.lua\n    method: main\n"
        "    source: 'return {main = function() return 1 end}'\n")
    node = Node(load_registry(tmp_path))
    assert node.temporal == []
    assert trio.run(node.run_entry, "app:main").ok

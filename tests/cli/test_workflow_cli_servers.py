"""`wippy-py workflow` with workers whose temporal.client is a Temporal server: the
choices and errors that need no server (an unreachable one, several, none installed).
The commands against a real server are in tests/temporal/test_temporal_cli.py."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from workflow_cli_harness import wf, write_workflow_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def remote_app(tmp_path: Path) -> Path:
    """The test app with its client pointed at a port where nothing listens."""
    app = write_workflow_app(tmp_path / "app")
    text = (app / "_index.yaml").read_text()
    (app / "_index.yaml").write_text(text.replace(
        "    address: embedded\n",
        f"    address: 127.0.0.1:{_free_port()}\n    connection_timeout: 2s\n", 1))
    return app


def _address(app: Path) -> str:
    for line in (app / "_index.yaml").read_text().splitlines():
        if line.strip().startswith("address: 127.0.0.1:"):
            return line.split("address: ")[1]
    raise AssertionError("no address")


@pytest.mark.parametrize("command", [
    ["list"], ["show", "w1"], ["start", "app:order"], ["signal", "w1", "topic"],
    ["cancel", "w1"], ["terminate", "w1"], ["result", "w1"], ["replay", "w1"], ["check"],
])
def test_an_unreachable_server_is_named_with_what_to_do(remote_app: Path,
                                                         command: list[str]) -> None:
    pytest.importorskip("temporalio", reason="the temporal extra is not installed")
    result = wf(remote_app, *command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"cannot reach the Temporal server {_address(remote_app)} of temporal.client " \
           "app:client (used by app:worker)" in result.stderr
    assert "temporal server start-dev" in result.stderr and "--embedded" in result.stderr


def test_embedded_flag_uses_the_journal_instead(remote_app: Path) -> None:
    listed = wf(remote_app, "list", "--embedded")
    assert listed.exit_code == 0 and "no workflow runs yet" in listed.stdout


def test_without_the_temporal_extra_the_commands_say_so(
    remote_app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "temporalio", None)  # not installed
    result = wf(remote_app, "list")
    assert result.exit_code == 2
    assert "the Temporal backend is not installed: pip install 'wippy-py[temporal]'" \
        in result.stderr


def _two_servers(app: Path) -> None:
    text = (app / "_index.yaml").read_text()
    text = text.replace("entries:\n", f"""entries:
  - name: other_client
    kind: temporal.client
    address: 127.0.0.1:{_free_port()}
  - name: other_worker
    kind: temporal.worker
    client: app:other_client
    task_queue: others
""", 1)
    (app / "_index.yaml").write_text(text)


def test_workers_on_several_servers_need_a_worker(remote_app: Path) -> None:
    _two_servers(remote_app)
    result = wf(remote_app, "list")
    assert result.exit_code == 2
    assert "use 2 Temporal servers" in result.stderr and "--worker NS:WORKER" in result.stderr
    assert "app:worker" in result.stderr and "app:other_worker" in result.stderr


def test_an_unknown_worker_is_named(remote_app: Path) -> None:
    for command in (["list"], ["start", "app:order"]):
        result = wf(remote_app, *command, "--worker", "app:nope")
        assert result.exit_code == 2
        assert "--worker app:nope is not a temporal.worker of the app" in result.stderr
        assert "app:worker" in result.stderr


def test_a_mixed_app_keeps_the_journal_by_default(tmp_path: Path) -> None:
    app = write_workflow_app(tmp_path / "app")  # embedded worker
    _two_servers(app)  # plus a worker on an unreachable server
    assert wf(app, "list").exit_code == 0  # the journal of the embedded worker
    result = wf(app, "list", "--worker", "app:other_worker")
    assert result.exit_code == 2
    expected = "cannot reach the Temporal server" if _has_temporalio() else "not installed"
    assert expected in result.stderr


def _has_temporalio() -> bool:
    import importlib.util

    return importlib.util.find_spec("temporalio") is not None

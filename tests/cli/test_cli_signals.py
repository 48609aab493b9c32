"""`wippy-py run DIR` stops gracefully on SIGTERM and SIGINT: services get CANCEL
"service stopping", workflows in flight stay running in their journal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_cli_harness import journal_file, started_ids, status_of, wf, write_workflow_app

SERVICE = """\
  - name: processes
    kind: process.host
  - name: keeper
    kind: process.lua
    method: main
    modules: [logger]
    source: |
      return {main = function()
        logger.info("keeper ready")
        local ev = process.events():receive()
        logger.info("keeper stopping", {reason = ev.reason})
      end}
  - name: keeper_service
    kind: process.service
    process: app:keeper
    host: app:processes
    lifecycle: {auto_start: true}
"""


def _wait_for(proc: subprocess.Popen[str], predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_services_gracefully_and_leaves_workflows_running(
    tmp_path: Path, signum: signal.Signals
) -> None:
    app = write_workflow_app(tmp_path / "app")
    (app / "_index.yaml").write_text((app / "_index.yaml").read_text() + SERVICE)
    wid, _ = started_ids(wf(app, "start", "app:waiter"))
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "wippy_py", "run", str(app), "-v"],
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
        try:
            _wait_for(proc, lambda: "keeper ready" in log.read_text()
                      and "resumed 1 workflow" in log.read_text())
            proc.send_signal(signum)
            assert proc.wait(timeout=30) == 128 + signum
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert f"{signum.name}: stopping" in text
    assert 'keeper stopping  {"reason": "service stopping"}' in text
    assert status_of(app, wid) == "running"  # not cancelled, not terminated
    assert journal_file(app).exists()

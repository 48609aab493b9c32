"""`wippy-py workflow ...` against a Temporal-backed app: a real dev server, the app's
worker as a real `wippy-py run DIR` process, and the CLI (a real subprocess where the
hand-over matters, in-process otherwise) talking to the server, not to a journal."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli.workflow_cli_harness import (
    ACTIVITIES,
    BROKEN,
    CANCELLABLE,
    ORDER,
    serving,
    started_ids,
    wf,
)
from click.testing import Result
from temporal_helpers import (
    COUNTER,
    DOUBLING_CHILD,
    TemporalServer,
    describe,
    history,
    workflow_entry,
    write_temporal_app,
)

WAITER = """
local function main(name)
  local msg = process.inbox():receive()
  return {hello = name, topic = msg:topic(), got = msg:payload():data(), from = msg:from()}
end
return {main = main}
"""

PARENT = """
- name: parent
  kind: workflow.lua
  meta: {temporal: {workflow: {worker: app:worker}}}
  method: main
  source: |
    local function main(n)
      local a = process.exec("app:child", "app:worker", n)
      local listener = process.spawn_monitored("app:waiter", "app:worker", "kid")
      process.send(listener, "hello", {n = n})
      local heard = process.events():receive()
      return {a = a, heard = heard.result.value}
    end
    return {main = main}
"""

# The app of the embedded CLI tests (tests/cli), its Lua inline, with children and a
# continue-as-new; the waiter also returns the sender.
ENTRIES = (ACTIVITIES + workflow_entry("order", ORDER, modules="funcs, time")
           + workflow_entry("waiter", WAITER) + workflow_entry("cancellable", CANCELLABLE)
           + DOUBLING_CHILD + PARENT + COUNTER + workflow_entry("broken", BROKEN))


@dataclass
class Served:
    """The app on the test server, its worker running as `wippy-py run DIR`."""

    root: Path
    task_queue: str
    server: TemporalServer
    worker: subprocess.Popen[str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           temporal_server: TemporalServer) -> Iterator[Served]:
    app = write_temporal_app(tmp_path_factory.mktemp("cli") / "app", temporal_server, ENTRIES)
    with serving(app.root, stop_timeout=60) as worker:
        yield Served(app.root, app.task_queue, temporal_server, worker)


def waited(app: Path, wid: str) -> Result:
    """`workflow result WID --wait` (bounded, so a hang fails the test)."""
    return wf(app, "result", wid, "--wait", "--timeout", "90")


def test_a_started_workflow_is_run_by_the_apps_worker_process(served: Served) -> None:
    wid = f"order-{uuid.uuid4().hex[:8]}"
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "workflow", "start", "app:order", "--app",
         str(served.root), "--id", wid, "--input", '{"amount": 42}'],
        capture_output=True, text=True, timeout=120)
    assert started_ids(proc)[0] == wid
    assert served.task_queue in proc.stderr  # where it waits to be picked up
    proc = subprocess.run(
        [sys.executable, "-m", "wippy_py", "workflow", "result", wid, "--wait", "--timeout",
         "90", "--app", str(served.root)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"id": "tx-42", "status": "ok:tx-42"}
    assert served.worker.poll() is None
    # It ran on the server, on the app's task queue, as the workflow type app:order.
    info = describe(served.server, wid)["workflowExecutionInfo"]
    assert info["type"]["name"] == "app:order" and info["taskQueue"] == served.task_queue

    listed = wf(served.root, "list")
    assert listed.exit_code == 0, listed.output
    assert re.search(rf"{wid} +\w{{8}} +app:order +completed", listed.stdout)
    assert wf(served.root, "list", "--status", "running").stdout.count(wid) == 0

    shown = wf(served.root, "show", wid)
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert re.search(r"status +completed", text)
    assert 'input      [{"amount": 42}]' in text
    assert f"task queue {served.task_queue}" in text
    kinds = re.findall(r"^\s+\d+ +(command|event) +(\w+) ", text, re.M)
    assert kinds == [("event", "start"), ("command", "call"), ("event", "completed"),
                     ("command", "timer"), ("event", "fired"), ("command", "call"),
                     ("event", "completed"), ("event", "result")]
    assert re.search(r"command +call +app:charge +\[\{\"amount\": 42\}\]", text)
    assert re.search(r"event +completed +app:check \(of \d+\) +\"ok:tx-42\"", text)
    assert re.search(r"command +timer +10ms +due ", text)
    # A run ID and the start of one name the run too.
    run_id = re.search(r"^run +(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    assert wf(served.root, "result", run_id).stdout == shown.stdout.split("result     ")[1] \
        .splitlines()[0] + "\n"
    assert wf(served.root, "show", run_id[:12]).exit_code == 0


def test_signal_is_a_message_from_the_cli(served: Served) -> None:
    wid, run = started_ids(wf(served.root, "start", "app:waiter", "--input", '"ada"'))
    pending = wf(served.root, "result", wid)
    assert pending.exit_code == 3 and "still running" in pending.stderr
    # Starting the same ID again starts nothing.
    again = wf(served.root, "start", "app:waiter", "--id", wid)
    assert again.exit_code == 0 and "already running" in again.stdout and run in again.stdout
    sent = wf(served.root, "signal", wid, "hello", '{"n": [1, 2]}')
    assert sent.exit_code == 0, sent.output
    result = waited(served.root, wid)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"hello": "ada", "topic": "hello", "got": {"n": [1, 2]},
                                         "from": "cli"}
    late = wf(served.root, "signal", wid, "hello")
    assert late.exit_code == 1
    assert f"workflow {wid} has completed; signals are only delivered" in late.stderr
    shown = wf(served.root, "show", wid).stdout
    assert re.search(r"event +signal +hello +\{\"n\": \[1, 2\]\} from cli", shown)


def test_cancel_is_an_event_and_terminate_stops_the_run(served: Served) -> None:
    cancelled, _ = started_ids(wf(served.root, "start", "app:cancellable"))
    asked = wf(served.root, "cancel", cancelled, "--reason", "changed my mind")
    assert asked.exit_code == 0, asked.output
    result = waited(served.root, cancelled)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"kind": "pid.cancel", "reason": "changed my mind"}
    assert re.search(r"event +cancel +reason \"changed my mind\"", wf(served.root, "show", cancelled).stdout)

    stopped, _ = started_ids(wf(served.root, "start", "app:waiter"))
    assert wf(served.root, "terminate", stopped, "--reason", "enough").exit_code == 0
    result = waited(served.root, stopped)
    assert result.exit_code == 1
    assert f"workflow {stopped} was terminated" in result.stderr and "enough" in result.stderr
    assert re.search(r"status +terminated", wf(served.root, "show", stopped).stdout)
    again = wf(served.root, "terminate", stopped)
    assert again.exit_code == 1 and "was terminated; only running" in again.stderr


def test_a_failed_run_shows_the_lua_traceback(served: Served) -> None:
    wid, _ = started_ids(wf(served.root, "start", "app:broken", "--input", '"x"'))
    result = waited(served.root, wid)
    assert result.exit_code == 1
    assert f"workflow {wid} failed: " in result.stderr and "kaput x" in result.stderr
    assert "in upvalue 'fail_deep'" in result.stderr
    shown = wf(served.root, "show", wid).stdout
    assert re.search(r"status +failed", shown) and "kaput x" in shown


def test_replay_reports_the_first_divergence_in_the_current_code(
    served: Served, tmp_path: Path
) -> None:
    wid, run = started_ids(wf(served.root, "start", "app:order", "--input", '{"amount": 5}'))
    assert waited(served.root, wid).exit_code == 0
    same = wf(served.root, "replay", wid)
    assert same.exit_code == 0, same.output
    assert f"events of workflow {wid} (run {run}) against the current app:order: " \
           "no divergence" in same.stdout
    # The same app with changed code (a copy: the running worker keeps the original).
    changed = tmp_path / "changed"
    shutil.copytree(served.root, changed)
    index = changed / "_index.yaml"
    original = index.read_text()
    index.write_text(original.replace('funcs.call("app:check", charged.id)',
                                      'funcs.call("app:check", charged.id .. "!")'))
    diverged = wf(changed, "replay", wid)
    assert diverged.exit_code == 1, diverged.output
    [scheduled] = [e for e in history(served.server, wid)
                   if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
                   and e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
                   == "app:check"]
    assert re.fullmatch(
        rf"workflow {wid} \(run {run}\) diverged from its history at event "
        rf"{scheduled['eventId']}: the code now issues funcs.call\(app:check\) \[args \w+\] "
        r"at _index.yaml\[order\]:6, but the history holds funcs.call\(app:check\) "
        r"\[args \w+\]\. The run started with code version \w{12} \(pinned in its memo\); "
        r"the current code is version \w{12}\.\n", diverged.stdout)
    assert diverged.stderr == ""  # no SDK warnings or tracebacks
    # Code that now returns before the second call.
    index.write_text(original.replace('local status = funcs.call("app:check", charged.id)',
                                      'local status = "skipped"'))
    early = wf(changed, "replay", wid)
    assert early.exit_code == 1
    assert "the code now returned there, but the history holds funcs.call(app:check)" \
        in early.stdout
    # Code that does not load is not a divergence: it cannot be replayed (bad input).
    index.write_text(original.replace("local funcs = require", "local funcs = = require"))
    broken = wf(changed, "replay", wid)
    assert broken.exit_code == 2, broken.output
    assert f"cannot replay workflow {wid}: " in broken.stderr and "[order]" in broken.stderr
    assert "Traceback" not in broken.output
    # A timer of another duration.
    index.write_text(original.replace('time.sleep("10ms")', 'time.sleep("1s")'))
    timer = wf(changed, "replay", wid)
    assert timer.exit_code == 1
    assert re.search(r"the code now issues a durable timer of 1s at _index.yaml\[order\]:5, "
                     r"but the history holds a durable timer of 10ms\.", timer.stdout)


def test_check_and_unknown_ids(served: Served) -> None:
    checked = wf(served.root, "check")
    assert checked.exit_code == 0, checked.output
    assert "no journal to check" in checked.stdout
    assert re.search(rf"app:worker: task queue {served.task_queue}, 1 worker polling",
                     checked.stdout)
    for command in (["show", "nope"], ["result", "nope"], ["signal", "nope", "t"],
                    ["replay", "nope"]):
        missing = wf(served.root, *command)
        assert missing.exit_code == 2, (command, missing.output)
        assert f"no workflow or run nope on the Temporal server {served.server.address}" \
            in missing.stderr
    assert wf(served.root, "start", "app:charge").exit_code == 2
    bad = wf(served.root, "start", "app:order", "--input", "{amount: 1}")
    assert bad.exit_code == 2 and "is not valid JSON" in bad.stderr


def test_children_and_signals_between_workflows_in_show_and_replay(served: Served) -> None:
    wid, _ = started_ids(wf(served.root, "start", "app:parent", "--input", "4"))
    result = waited(served.root, wid)
    assert result.exit_code == 0, result.output
    value = json.loads(result.stdout)
    assert value["a"] == 8 and value["heard"]["got"] == {"n": 4}
    shown = wf(served.root, "show", wid).stdout
    [(spawned, child)] = re.findall(r"^\s+(\d+) +command +spawn +Child +\"([^\"]+)\"", shown,
                                    re.M)
    assert re.search(rf"event +child_exit +\S+ \(of {spawned}\) +8 ", shown), shown
    assert re.search(r"command +signal_out +\S+ +hello: \{\"n\": 4\}", shown)
    child_shown = wf(served.root, "show", child)
    assert child_shown.exit_code == 0, child_shown.output
    assert re.search(rf"parent +workflow {wid}, run ", child_shown.stdout)
    assert re.search(r"entry +app:child on app:worker", child_shown.stdout)
    # The commands the code issues on replay (children, signals) match the history.
    replayed = wf(served.root, "replay", wid)
    assert replayed.exit_code == 0 and "no divergence" in replayed.stdout, replayed.output


def test_a_run_that_continued_as_new_leads_to_the_latest(served: Served) -> None:
    wid, first = started_ids(wf(served.root, "start", "app:counter", "--input", "1"))
    result = waited(served.root, wid)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == "counted to 3"
    listed = wf(served.root, "list", "--limit", "0").stdout
    assert len(re.findall(rf"^{re.escape(wid)} +\w+ +app:counter +continued", listed, re.M)) == 2
    assert len(re.findall(rf"^{re.escape(wid)} +\w+ +app:counter +completed", listed, re.M)) == 1
    # The first run's ID: `result` follows it to the latest run, `show` shows that run.
    assert json.loads(wf(served.root, "result", first).stdout) == "counted to 3"
    shown = wf(served.root, "show", first).stdout
    assert re.search(r"status +continued", shown)
    assert re.search(r"command +continue +app:counter +\[2\]", shown)

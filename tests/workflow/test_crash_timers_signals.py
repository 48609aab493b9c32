"""Crash recovery of durable timers and signals, and W4 (200 workflows in flight): a real
``wippy-py run`` process is SIGKILLed while timers or signals are pending and restarted;
timers fire at their original due time, every signal is delivered exactly once and in
order (see ``crash_harness``).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_harness import CrashApp, event_of

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


@pytest.fixture
def crash_app(tmp_path: Path) -> Iterator[CrashApp]:
    app = CrashApp.create(tmp_path)
    yield app
    app.close()


def test_kill_while_timers_are_pending(crash_app: CrashApp) -> None:
    """(c) Timers fire at their original due time after a restart, never earlier."""
    app = crash_app
    duration = 3.0
    ids = [f"c-{i}" for i in range(1, 6)]
    app.start()
    app.start_via_inbox("app:sleeper", ids, "3s")
    app.wait("the timers", lambda: len(app.journal.timers()) == len(ids))
    time.sleep(1.0)  # well inside the sleep, and well before its end
    app.kill()
    assert len(app.journal.timers()) == len(ids), "the timers stay pending in the journal"

    restarted = app.start().started
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)))
    assert {r.workflow_id: r.result for r in runs} == {
        wid: [f"{wid}/before:done", f"{wid}/after:done"] for wid in ids}
    for row, history in app.histories().values():
        timer = next(r for r in history if r.kind == "timer")
        fired = event_of(history, "fired", timer.seq)
        assert fired.at >= timer.value, f"{row.workflow_id}: fired before its due time"
        # Re-armed at the original due time, not a new full duration after the restart.
        assert fired.at < restarted + duration
    assert app.journal.timers() == []
    app.assert_activity_rule()
    app.kill()


SERVICE = """
version: "1.0"
namespace: app
entries:
  - name: start_listeners
    kind: process.service
    process: app:starter
    host: app:processes
    input: ["app:listener", {count}, "d-", {signals}]
    lifecycle: {{auto_start: true}}
"""


def test_kill_while_signals_are_pending(crash_app: CrashApp) -> None:
    """(d) Signals posted while the app runs, just before a kill, while their delivery is
    under way, and while the app is down are each delivered exactly once, in order; the
    service's respawn after each restart reuses the running runs."""
    app = crash_app
    count, per_phase, phases = 4, 3, 5
    (app.root / "services.yaml").write_text(
        SERVICE.format(count=count, signals=phases * per_phase))
    ids = [f"d-{i}" for i in range(1, count + 1)]
    posted: dict[str, list[str]] = {wid: [] for wid in ids}

    def post(phase: str, cli: bool = False) -> None:
        for k in range(per_phase):
            for wid in ids:
                app.post_signal(wid, f"{phase}{k}", cli=cli)
                posted[wid].append(f"{phase}{k}")

    def delivered() -> int:
        return sum(1 for _, history in app.histories().values()
                   for r in history if r.kind == "signal")

    def respawned() -> bool:
        return "SPAWNED" in app.current.log.read_text()

    app.start()
    app.wait("the workflows", lambda: len(app.journal.runs()) == count and respawned())
    post("run")
    app.wait("the first signals", lambda: delivered() == count * per_phase)
    post("kill")  # still pending: the kill follows at once
    app.kill()
    pending = len(app.journal.inbox_after(0))

    app.start()
    app.wait("the service's respawn", respawned)
    post("mid")
    app.wait("a delivery of the new signals", lambda: delivered() > 2 * count * per_phase)
    app.kill()
    post("down", cli=True)  # written while no process runs

    app.start()
    app.wait("the service's respawn", respawned)
    post("back", cli=True)
    runs = app.wait("the workflows to finish", lambda: app.finished(count))
    assert len({r.workflow_id for r in runs}) == count, "the respawns started no new run"
    assert {r.workflow_id: r.result for r in runs} == posted
    assert delivered() == phases * per_phase * count
    assert app.journal.inbox_after(0) == []
    app.assert_activity_rule()
    print(f"\nsignals: {pending} of {count * per_phase} were pending at the first kill")
    app.kill()


def test_signals_to_workflows_started_while_down(crash_app: CrashApp) -> None:
    """Workflows started (the CLI way) and signalled while no process runs: the boot
    delivers the signals to the runs, whose history is still empty."""
    app = crash_app
    ids = [f"e-{i}" for i in range(1, 4)]
    app.start()
    app.journal  # noqa: B018 - wait for the app to create it
    app.kill()
    app.start_via_inbox("app:listener", ids, 2)
    for wid in ids:
        app.post_signal(wid, "down")
    app.start()
    app.wait("the first signals", lambda: all(
        any(r.kind == "signal" for r in history) for _, history in app.histories().values()))
    for wid in ids:
        app.post_signal(wid, "up")
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)))
    assert {r.workflow_id: r.result for r in runs} == {wid: ["down", "up"] for wid in ids}
    app.assert_activity_rule()
    app.kill()


def test_w4_two_hundred_workflows_in_flight(crash_app: CrashApp) -> None:
    """W4: 200 workflows in flight (each between two activities, in a 500 ms durable
    timer), SIGKILL, restart once the timers are due: all finish. Prints the time from
    the restart to the last completion (as ``bench/bench_workflows_crash.py`` does)."""
    app = crash_app
    ids = [f"w4-{i}" for i in range(1, 201)]
    app.start()
    app.start_via_inbox("app:sleeper", ids, "500ms")
    app.wait("the timers", lambda: len(app.journal.timers()) == len(ids))
    app.kill()
    last_due = max(due for _, _, due in app.journal.timers())
    time.sleep(max(0.0, last_due - time.time()) + 0.05)

    began = time.monotonic()
    app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)), interval=0.005)
    took = time.monotonic() - began
    assert all(r.status == "completed" for r in runs)
    assert all(r.result == [f"{r.workflow_id}/before:done", f"{r.workflow_id}/after:done"]
               for r in runs)
    assert app.journal.timers() == []
    app.assert_activity_rule()
    resumed = re.search(r"^(\d+\.\d+)s INFO  workflow  resumed (\d+) workflow run",
                        app.current.log.read_text(), re.MULTILINE)
    assert resumed is not None and resumed.group(2) == str(len(ids))
    print(f"\nW4: {len(ids)} workflows finished {took:.2f} s after the restart "
          f"(process start included; the runs were resumed {resumed.group(1)} s after it)")
    app.kill()


def test_kill_while_workflows_signal_each_other(crash_app: CrashApp) -> None:
    """Signals between workflows (``process.send`` to a workflow PID), SIGKILLed as soon
    as new results are recorded, three times: each arrives exactly once, in order."""
    app = crash_app
    count, signals = 3, 6
    app.start()
    for i in range(1, count + 1):
        app.start_via_inbox("app:listener", [f"q-{i}"], signals)
        app.start_via_inbox("app:sender", [f"s-{i}"], f"q-{i}", signals)
    seen = 0

    def new_result() -> int:
        recorded = len(app.recorded_activities()[0])
        return recorded if recorded > seen else 0

    for _ in range(3):
        seen = app.wait("a new recorded result", new_result, interval=0.002)
        app.kill()
        app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(2 * count))
    assert {r.workflow_id: r.result for r in runs} == {
        **{f"s-{i}": signals for i in range(1, count + 1)},
        **{f"q-{i}": [f"s-{i}#{k}" for k in range(1, signals + 1)]
           for i in range(1, count + 1)}}
    app.assert_activity_rule()
    app.kill()

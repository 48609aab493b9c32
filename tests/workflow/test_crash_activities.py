"""Crash recovery of activities and child workflows: a real ``wippy-py run`` process is
SIGKILLed inside an activity, right after results are recorded, while a child workflow
runs, and during the recovery itself; every workflow finishes, and each activity ran
once plus once per kill that interrupted it before its result was recorded
(see ``crash_harness``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_harness import CrashApp

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


@pytest.fixture
def crash_app(tmp_path: Path) -> Iterator[CrashApp]:
    app = CrashApp.create(tmp_path)
    yield app
    app.close()


def test_kill_inside_an_activity(crash_app: CrashApp) -> None:
    """(a) SIGKILL while a slow activity runs: it runs again; the others ran once."""
    app = crash_app
    ids = [f"a-{i}" for i in range(1, 4)]
    app.start()
    app.start_via_inbox("app:chain", ids, [0, 300, 0])  # the second step takes ~3 s
    app.wait("the slow activities to start", lambda: app.started("/2") == len(ids))
    app.kill()

    app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)))
    assert {r.workflow_id: r.result for r in runs} == {
        wid: [f"{wid}/1:done", f"{wid}/2:done", f"{wid}/3:done"] for wid in ids}
    assert all(r.status == "completed" for r in runs)
    totals = app.assert_activity_rule()
    # The slow step of each workflow was interrupted, hence ran twice.
    assert sorted(totals.values()) == [1] * 6 + [2] * 3
    app.kill()


def test_kill_right_after_results_are_recorded(crash_app: CrashApp) -> None:
    """(b) SIGKILL as soon as new ``completed`` events appear, three times over."""
    app = crash_app
    ids = [f"b-{i}" for i in range(1, 5)]
    app.start()
    app.start_via_inbox("app:chain", ids, [3] * 8)
    seen = 0

    def new_result() -> int:
        recorded = len(app.recorded_activities()[0])
        return recorded if recorded > seen else 0

    for _ in range(3):
        seen = app.wait("a new recorded result", new_result, interval=0.002)
        app.kill()
        app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)))
    assert {r.workflow_id: r.result for r in runs} == {
        wid: [f"{wid}/{n}:done" for n in range(1, 9)] for wid in ids}
    app.assert_activity_rule()
    app.kill()


def test_kill_while_a_child_workflow_runs(crash_app: CrashApp) -> None:
    """A parent awaits a child (``process.exec``) whose activity is interrupted: after the
    restart the child finishes once and its result reaches the parent."""
    app = crash_app
    ids = [f"p-{i}" for i in range(1, 4)]
    app.start()
    app.start_via_inbox("app:parent", ids, [0, 200])
    app.wait("the children's slow activities", lambda: app.started("/child/2") == len(ids))
    app.kill()

    app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(2 * len(ids)))
    results = {r.workflow_id: r.result for r in runs}
    for wid in ids:
        child = [f"{wid}/child/1:done", f"{wid}/child/2:done"]
        assert results[wid] == {"child": child, "last": f"{wid}/last:done"}
        child_ids = [k for k in results if k.startswith(f"{wid}/")]
        assert len(child_ids) == 1 and results[child_ids[0]] == child
    assert sorted(app.assert_activity_rule().values()) == [1] * 6 + [2] * 3
    app.kill()


def test_kill_during_recovery(crash_app: CrashApp) -> None:
    """SIGKILL again and again right after the boot resumed the runs (while they replay
    and go live): nothing is lost or duplicated."""
    app = crash_app
    ids = [f"r-{i}" for i in range(1, 31)]
    app.start()
    app.start_via_inbox("app:chain", ids, [2] * 6)
    app.wait("some results", lambda: len(app.recorded_activities()[0]) >= 20)
    app.kill()
    for _ in range(3):
        app.start()
        app.wait("the recovery", lambda: "resumed" in app.current.log.read_text(),
                 interval=0.002)
        app.kill()
    app.start()
    runs = app.wait("the workflows to finish", lambda: app.finished(len(ids)))
    assert {r.workflow_id: r.result for r in runs} == {
        wid: [f"{wid}/{n}:done" for n in range(1, 7)] for wid in ids}
    app.assert_activity_rule()
    app.kill()

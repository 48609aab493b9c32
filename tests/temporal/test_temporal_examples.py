"""The order-processor seed (``examples/order-processor``) on a real Temporal server.

The app is copied with its client's address set to the test server; the Lua code is
the seed's as written. The seed waits 24 hours between the charge and the check and
the dev server has no time skipping, so the end-to-end runs shorten that one sleep
(to a few seconds) in the copy; the unmodified seed is run up to its durable 24h
timer. The restart test stops the node (and its Temporal worker) during the wait and
finishes the order with a fresh node, which must replay the history (the charge is
not made twice).
"""

from __future__ import annotations

import io
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import trio
from temporal_helpers import TemporalServer, events_of, history

from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOW_ID = "order-A-1001"  # the seed's starter picks it


def order_app(tmp_path: Path, server: TemporalServer, sleep: str | None) -> Path:
    """A copy of the seed whose client is the test server (and, with ``sleep``, whose
    24h wait is shortened)."""
    app = tmp_path / "order-processor"
    shutil.copytree(ROOT / "examples" / "order-processor", app,
                    ignore=shutil.ignore_patterns(".wippy"))
    index = app / "_index.yaml"
    text = index.read_text()
    text = text.replace("    address: embedded\n", f'    address: "{server.address}"\n', 1)
    text = text.replace("    task_queue: orders\n",
                        f"    task_queue: orders-{uuid.uuid4().hex[:8]}\n"
                        "    worker_options: {sticky_schedule_to_start_timeout: 1s}\n", 1)
    index.write_text(text)
    if sleep is not None:
        source = app / "order_processor.lua"
        lua = source.read_text()
        assert 'time.sleep("24h")' in lua
        source.write_text(lua.replace('time.sleep("24h")', f'time.sleep("{sleep}")'))
    return app


def _set_identity(app: Path, identity: str) -> None:
    index = app / "_index.yaml"
    text = index.read_text()
    start = text.index("    worker_options: {")
    end = text.index("}\n", start) + 2
    index.write_text(text[:start] + "    worker_options: {sticky_schedule_to_start_timeout: 1s, "
                     f"identity: {identity}}}\n" + text[end:])


def _node(app: Path) -> tuple[Node, io.StringIO]:
    out = io.StringIO()
    return Node(load_registry(app), console=Console(out, io.StringIO())), out


def _start_order(app: Path, *args: str, until: Any = None, timeout: float = 120.0) -> str:
    """Runs the seed's starter (``order``); with ``until(server)`` stops the node as
    soon as it holds instead of waiting for the order's end. Returns its output."""
    node, out = _node(app)

    async def main() -> None:
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(node.run_entry, "app:main", list(args))
                if until is not None:
                    await trio.to_thread.run_sync(until)
                    nursery.cancel_scope.cancel()

    trio.run(main)
    return out.getvalue()


def _wait_for(server: TemporalServer, kind: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = server.cli("workflow", "show", "--workflow-id", WORKFLOW_ID, "--output", "json")
        if shown.returncode == 0 and f"EVENT_TYPE_{kind}" in shown.stdout:
            return
        time.sleep(0.1)  # polling the history, not racing it
    raise AssertionError(f"no {kind} in the history of {WORKFLOW_ID}")


@pytest.mark.parametrize(("card", "line"), [
    ("4242424242424242", "charge ch_A-1001_4242: succeeded"),
    ("4000000000000002", "charge ch_A-1001_0002: failed (refunded)"),
])
def test_the_order_processor_seed_runs_on_temporal(
    tmp_path: Path, temporal_server: TemporalServer, card: str, line: str
) -> None:
    app = order_app(tmp_path, temporal_server, sleep="1s")
    stdout = _start_order(app, card)
    assert stdout.splitlines() == [
        "workflow {app:temporal_worker|order-A-1001} started: charge, wait 24h, check the charge",
        line,
    ]
    events = history(temporal_server, WORKFLOW_ID)
    activities = [a["activityType"]["name"]
                  for a in events_of(events, "ACTIVITY_TASK_SCHEDULED")]
    expected = ["app.api:charge_card", "app.api:check_status"]
    assert activities == expected + (["app.api:refund"] if card.endswith("0002") else [])
    assert [t["startToFireTimeout"] for t in events_of(events, "TIMER_STARTED")] == ["1s"]


def test_a_worker_restart_in_the_middle_of_the_order(
    tmp_path: Path, temporal_server: TemporalServer
) -> None:
    app = order_app(tmp_path, temporal_server, sleep="3s")
    _set_identity(app, "first-worker")
    # The first node starts the order and stops while the workflow waits.
    first = _start_order(app, until=lambda: _wait_for(temporal_server, "TIMER_STARTED"))
    assert "started" in first
    _set_identity(app, "second-worker")
    # A fresh node attaches to the running order (same workflow ID) and its worker
    # finishes it, replaying the history first.
    second = _start_order(app)
    assert second.splitlines()[-1] == "charge ch_A-1001_4242: succeeded"
    events = history(temporal_server, WORKFLOW_ID)
    charges = [a for a in events_of(events, "ACTIVITY_TASK_SCHEDULED")
               if a["activityType"]["name"] == "app.api:charge_card"]
    assert len(charges) == 1  # the charge was not made again
    # The task after the timer was handled by the second worker, which had no state
    # of the run in memory: it rebuilt the run by replaying the history.
    fired = next(i for i, e in enumerate(events) if e["eventType"] == "EVENT_TYPE_TIMER_FIRED")
    [resumed, *_] = events_of(events[fired:], "WORKFLOW_TASK_STARTED")
    assert resumed["identity"] == "second-worker"


def test_the_unmodified_seed_waits_on_a_durable_24h_timer(
    tmp_path: Path, temporal_server: TemporalServer
) -> None:
    app = order_app(tmp_path, temporal_server, sleep=None)
    try:
        _start_order(app, until=lambda: _wait_for(temporal_server, "TIMER_STARTED"))
        events = history(temporal_server, WORKFLOW_ID)
        assert [t["startToFireTimeout"] for t in events_of(events, "TIMER_STARTED")] == [
            "86400s"]
        assert [a["activityType"]["name"] for a in events_of(events, "ACTIVITY_TASK_SCHEDULED")
                ] == ["app.api:charge_card"]
    finally:
        temporal_server.cli("workflow", "terminate", "--workflow-id", WORKFLOW_ID,
                            "--reason", "test over")

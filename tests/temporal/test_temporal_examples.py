"""The order-processor seed (``examples/order-processor``) unmodified on Temporal.

The scenario tests of the seeds, on both engines, are in ``test_seeds_both_engines``;
there the 24h wait is shortened on Temporal (the dev server has no time skipping).
This test runs the seed's Lua as written up to its durable 24h timer.
"""

from __future__ import annotations

from pathlib import Path

from engines import TemporalEngine, wait_for_event
from temporal_helpers import TemporalServer, events_of

WORKFLOW_ID = "order-A-1001"  # the seed's starter picks it


def test_the_unmodified_seed_waits_on_a_durable_24h_timer(
    tmp_path: Path, temporal_server: TemporalServer
) -> None:
    engine = TemporalEngine(temporal_server)
    app = engine.prepare("order-processor", tmp_path)
    try:
        engine.start(app, "app:main", workflow_id=WORKFLOW_ID, stop_midway=True)
        events = wait_for_event(temporal_server, WORKFLOW_ID, "TIMER_STARTED",
                                engine.task_queue)
        assert [t["startToFireTimeout"] for t in events_of(events, "TIMER_STARTED")] == [
            "86400s"]
        assert [a["activityType"]["name"] for a in events_of(events, "ACTIVITY_TASK_SCHEDULED")
                ] == ["app.api:charge_card"]
    finally:
        temporal_server.cli("workflow", "terminate", "--workflow-id", WORKFLOW_ID,
                            "--reason", "test over")

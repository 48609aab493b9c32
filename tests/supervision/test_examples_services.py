"""The ping-pong and supervision examples, served on a virtual clock."""

from __future__ import annotations

import itertools
from pathlib import Path

from service_harness import serve_app

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def test_ping_pong_services_find_each_other_by_name() -> None:
    run = serve_app(EXAMPLES / "ping-pong", 10)
    assert run.error is None
    lua = [m for _, name, m in run.log if name == "wippy_py.lua"]
    assert lua[0] == "pong ready"
    assert lua[1:5] == ["pong 1 received", "pong 2 received", "pong 3 received",
                        "ping finished 3 rounds"]
    assert lua[-1] == "pong stopping"
    # pong starts first (ping requires it) and stops last
    assert run.times("service app:pong is running")[0] <= run.times("service app:ping is running")[0]
    stops = run.messages("service app:p")
    assert stops.index("service app:ping is stopped") < stops.index("service app:pong is stopped")
    assert run.state("app:ping") == run.state("app:pong") == "stopped"
    assert run.ended_at == run.stopped_at  # both stopped on CANCEL, nobody terminated


def test_crashing_worker_is_restarted_with_backoff() -> None:
    run = serve_app(EXAMPLES / "supervision", 40)
    assert run.error is None
    starts = run.times("worker started")
    # each run lasts 1.5s (three 500ms jobs); then the backoff waits 1s, 2s, 4s, 8s
    assert starts == [0.0, 2.5, 6.0, 11.5, 21.0]
    gaps = [b - a - 1.5 for a, b in itertools.pairwise(starts)]
    assert gaps == [1.0, 2.0, 4.0, 8.0]
    failures = run.messages("service app:worker is failed")
    assert len(failures) == 5
    assert '"retry_in": "8s"' in failures[3]
    assert '"retry": "giving up"' in failures[4]
    assert run.state("app:worker") == "failed"
    assert run.state("app:steady") == "stopped"
    assert "heartbeat stopping after 8 beats" in run.messages()

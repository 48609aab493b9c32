"""Restart policy on a virtual clock: exponential backoff, attempts, jitter, stable
threshold, clean exits, non-retryable errors, input arguments, state logs."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from service_harness import serve_app, write_app

from wippy_py.durations import MILLISECOND, SECOND
from wippy_py.registry import RestartPolicy
from wippy_py.supervision import backoff_delay, base_delay, may_retry

APP = """\
namespace: app
entries:
  - {{name: processes, kind: process.host}}
  - name: worker_proc
    kind: process.lua
    method: main
    modules: [time]
    source: file://worker.lua
  - name: worker
    kind: process.service
    process: worker_proc
    host: app:processes
    input: {input}
    lifecycle:
      auto_start: true
      stable_threshold: {stable}
      restart: {restart}
"""

# The worker runs `run_for` then ends the way `how` says.
WORKER = """
local function main(how, run_for)
  print("worker started " .. how)
  if run_for and run_for ~= "0s" then time.sleep(run_for) end
  if how == "clean" then return "finished" end
  if how == "error" then error("crashed") end
  if how == "errors.new" then return nil, errors.new("soft failure") end
  if how == "retryable" then return nil, errors.new({ message = "try again", retryable = true }) end
  if how == "final" then return nil, errors.new({ message = "give up", retryable = false }) end
  if how == "string" then return nil, "plain string failure" end
end
return { main = main }
"""


def app(tmp_path: Path, how: str, run_for: str = "0s", restart: str = "{}",
        stable: str = "5s") -> Path:
    yaml_text = APP.format(input=f"[{how}, {run_for}]", restart=restart, stable=stable)
    return write_app(tmp_path / "app", yaml_text, {"worker.lua": WORKER})


def test_exponential_backoff_and_max_attempts(tmp_path: Path) -> None:
    restart = "{initial_delay: 1s, backoff_factor: 2, max_delay: 90s, jitter: 0, max_attempts: 5}"
    run = serve_app(app(tmp_path, "error", restart=restart), 100)
    starts = run.times("worker started")
    assert starts == [0.0, 1.0, 3.0, 7.0, 15.0]  # delays 1, 2, 4, 8: 5 starts in total
    assert run.state("app:worker") == "failed"
    assert run.node.supervisor.services["app:worker"].starts == 5
    assert any("giving up" in m for m in run.messages("service app:worker is failed"))


def test_backoff_is_capped_at_max_delay(tmp_path: Path) -> None:
    restart = "{initial_delay: 1s, backoff_factor: 3, max_delay: 5s, jitter: 0, max_attempts: 6}"
    run = serve_app(app(tmp_path, "error", restart=restart), 100)
    starts = run.times("worker started")
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == [1.0, 3.0, 5.0, 5.0, 5.0]


def test_zero_max_attempts_retries_forever(tmp_path: Path) -> None:
    restart = "{initial_delay: 1s, backoff_factor: 1, jitter: 0, max_attempts: 0}"
    run = serve_app(app(tmp_path, "error", restart=restart), 50.5)
    assert len(run.times("worker started")) == 51
    assert run.state("app:worker") == "stopped"  # stopped while waiting for a restart


def test_jitter_stays_within_bounds(tmp_path: Path) -> None:
    restart = "{initial_delay: 2s, backoff_factor: 1, jitter: 0.5, max_attempts: 30}"
    run = serve_app(app(tmp_path, "error", restart=restart), 500, seed=7)
    starts = run.times("worker started")
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 29
    assert all(1.0 <= g <= 3.0 for g in gaps)
    assert len({round(g, 6) for g in gaps}) > 10  # really jittered


def test_stable_run_resets_the_attempt_counter(tmp_path: Path) -> None:
    # Each run lasts 10s, longer than the 5s stable threshold: every failure counts as
    # the first one, so the delay stays at 1s and max_attempts never runs out.
    restart = "{initial_delay: 1s, backoff_factor: 2, jitter: 0, max_attempts: 2}"
    run = serve_app(app(tmp_path, "error", "10s", restart=restart), 60)
    starts = run.times("worker started")
    assert starts == [0.0, 11.0, 22.0, 33.0, 44.0, 55.0]
    # ...while short runs exhaust the two attempts
    run2 = serve_app(app(tmp_path / "short", "error", "2s", restart=restart), 60)
    assert run2.times("worker started") == [0.0, 3.0]
    assert run2.state("app:worker") == "failed"


def test_clean_exit_is_not_restarted(tmp_path: Path) -> None:
    run = serve_app(app(tmp_path, "clean", "1s"), 30)
    assert run.times("worker started") == [0.0]
    assert run.state("app:worker") == "exited"
    assert "service app:worker is exited" in run.messages()


@pytest.mark.parametrize(
    ("how", "restarted"),
    [
        ("error", True),          # error("...") has unspecified retryability
        ("errors.new", True),     # errors.new("msg") too
        ("retryable", True),
        ("final", False),         # errors.new{retryable=false}
        ("string", False),        # return nil, "plain string": Internal, not retryable
    ],
)
def test_which_errors_are_retried(tmp_path: Path, how: str, restarted: bool) -> None:
    restart = "{initial_delay: 1s, jitter: 0, max_attempts: 3}"
    run = serve_app(app(tmp_path, how, restart=restart), 30)
    starts = run.times("worker started")
    if restarted:
        assert len(starts) == 3
        assert run.state("app:worker") == "failed"
    else:
        assert starts == [0.0]
        assert run.state("app:worker") == "exited"


def test_input_and_state_log_lines(tmp_path: Path) -> None:
    run = serve_app(app(tmp_path, "clean", "1s"), 5)
    assert run.messages("worker started") == ["worker started clean"]
    assert run.messages("service app:worker") == [
        "service app:worker is starting",
        "service app:worker is running",
        "service app:worker is exited",
    ]


def test_policy_arithmetic() -> None:
    policy = RestartPolicy(initial_delay=500 * MILLISECOND, max_delay=4 * SECOND,
                           backoff_factor=2.0, jitter=0.0, max_attempts=4)
    assert [base_delay(policy, n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [may_retry(policy, n) for n in range(1, 6)] == [True, True, True, False, False]
    assert may_retry(RestartPolicy(max_attempts=0), 10**6)
    huge = RestartPolicy(initial_delay=SECOND, max_delay=60 * SECOND, backoff_factor=10.0)
    assert base_delay(huge, 5000) == 60.0  # no float overflow
    jittered = RestartPolicy(initial_delay=SECOND, jitter=0.2)
    rng = random.Random(1)
    assert all(0.8 <= backoff_delay(jittered, 1, rng) <= 1.2 for _ in range(200))

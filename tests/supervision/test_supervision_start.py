"""Service start: ``starting`` until the process has run to its first blocking point,
``running`` after; ``lifecycle.start_timeout`` bounds that (Timeout "service start
timed out", retryable, restarted per policy).

Tests about time spent computing run on trio's real clock: a virtual clock does not
move while Lua code runs.
"""

from __future__ import annotations

from pathlib import Path

from service_harness import ServeRun, serve_app, write_app

from wippy_py.supervision import SupervisionError

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

# Blocks at once: waits on its events until CANCEL.
BLOCKER = """
local function main()
  print("blocker up")
  local events = process.events()
  while true do
    local ev = events:receive()
    if ev.kind == process.event.CANCEL then return end
  end
end
return { main = main }
"""

# Never blocks as a whole: two coroutines hand values to each other over an
# unbuffered channel forever, so one of them is always ready to run.
BUSY = """
local function main()
  print("busy started")
  local ch = channel.new()
  coroutine.spawn(function()
    while true do ch:send(1) end
  end)
  while true do ch:receive() end
end
return { main = main }
"""

# One long slice (about 0.3 s of CPU, far below the instruction budget) before its
# first block, or before a clean return.
SLOW = """
local function main(then_what)
  print("slow started")
  local t = os.clock()
  while os.clock() - t < 0.3 do end
  if then_what == "exit" then return "done" end
  print("slow blocked")
  local events = process.events()
  while true do
    local ev = events:receive()
    if ev.kind == process.event.CANCEL then return end
  end
end
return { main = main }
"""

# Returns at once.
QUICK = """
local function main()
  print("quick done")
  return "ok"
end
return { main = main }
"""

APP = """\
namespace: app
entries:
  - {{name: processes, kind: process.host}}
  - {{name: blocker, kind: process.lua, method: main, source: file://blocker.lua}}
  - {{name: busy, kind: process.lua, method: main, source: file://busy.lua}}
  - {{name: slow, kind: process.lua, method: main, source: file://slow.lua}}
  - {{name: quick, kind: process.lua, method: main, source: file://quick.lua}}
  - name: svc
    kind: process.service
    process: {process}
    host: app:processes
    input: {input}
    lifecycle:
      auto_start: true
      {lifecycle}
"""


def app(tmp_path: Path, process: str, lifecycle: str = "", input: str = "[]") -> Path:
    yaml_text = APP.format(process=process, lifecycle=lifecycle, input=input)
    files = {"blocker.lua": BLOCKER, "busy.lua": BUSY, "slow.lua": SLOW, "quick.lua": QUICK}
    return write_app(tmp_path / "app", yaml_text, files)


def states(run: ServeRun) -> list[str]:
    """The state log of app:svc: ``starting``, ``running``, ``failed``..."""
    return [m.split()[3] for m in run.messages("service app:svc is ")]


def test_blocking_service_runs_after_its_first_slice(tmp_path: Path) -> None:
    run = serve_app(app(tmp_path, "blocker"), 5)
    assert run.error is None
    lines = [m for m in run.messages() if m.startswith(("service app:svc", "blocker"))]
    # running is reported once the first slice has run (it printed, then blocked)
    assert lines == [
        "service app:svc is starting",
        "blocker up",
        "service app:svc is running",
        "service app:svc is stopping",
        "service app:svc is stopped",
    ]


def _timeouts(run: ServeRun, starts_marker: str, attempts: int) -> None:
    """Checks a service that timed out on each of its ``attempts`` starts."""
    svc = run.node.supervisor.services["app:svc"]
    assert len(run.messages(starts_marker)) == attempts == svc.starts
    assert states(run) == ["starting", "failed"] * attempts
    failures = run.messages("service app:svc is failed")
    assert all('"error": "service start timed out"' in m for m in failures)
    assert '"retry": "giving up"' in failures[-1]
    assert svc.last_error is not None
    assert (svc.last_error.kind, svc.last_error.retryable) == ("Timeout", True)
    # each attempt failed no earlier than its start_timeout (100ms) after it began
    begun = run.times("service app:svc is starting")
    failed = run.times("service app:svc is failed")
    assert all(f - b >= 0.1 for b, f in zip(begun, failed, strict=True))
    assert len(run.messages("service app:svc did not start within 100ms")) == attempts
    # the process was terminated; it is not left running
    assert svc.proc is not None and not svc.proc.alive
    assert svc.proc.exit is not None and svc.proc.exit.error_value is not None
    assert svc.proc.exit.error_value.message == "process terminated"
    assert not run.node.scheduler.procs
    # a required service that never started fails the boot
    assert isinstance(run.error, SupervisionError)
    assert "app:svc (failed)" in str(run.error)


def test_busy_start_times_out_and_is_retried_until_max_attempts(tmp_path: Path) -> None:
    # stable_threshold is below start_timeout: a timed-out start never ran, so it
    # must not reset the attempt counter.
    lifecycle = ("start_timeout: 100ms\n      stable_threshold: 10ms\n      restart: "
                 "{initial_delay: 50ms, backoff_factor: 2, jitter: 0, max_attempts: 3}")
    run = serve_app(app(tmp_path, "busy", lifecycle), 30, real_clock=True)
    _timeouts(run, "busy started", 3)
    failures = run.messages("service app:svc is failed")
    assert '"retry_in": "50ms"' in failures[0] and '"retry_in": "100ms"' in failures[1]


def test_a_first_slice_longer_than_start_timeout_times_out(tmp_path: Path) -> None:
    lifecycle = ("start_timeout: 100ms\n      restart: "
                 "{initial_delay: 50ms, jitter: 0, max_attempts: 2}")
    run = serve_app(app(tmp_path, "slow", lifecycle, "[block]"), 30, real_clock=True)
    # it did reach its first block each time, but too late
    assert run.messages("slow blocked") == ["slow blocked", "slow blocked"]
    _timeouts(run, "slow started", 2)


def test_clean_exit_during_start_is_exited(tmp_path: Path) -> None:
    run = serve_app(app(tmp_path, "quick"), 5)
    assert run.error is None
    assert run.messages("quick done") == ["quick done"]
    assert states(run) == ["starting", "running", "exited"]


def test_clean_exit_after_a_long_first_slice_is_not_a_timeout(tmp_path: Path) -> None:
    # The process ended before the supervisor looked: its own outcome counts.
    lifecycle = "start_timeout: 100ms"
    svc_done = lambda r: r.state("app:svc") == "exited"  # noqa: E731
    run = serve_app(app(tmp_path, "slow", lifecycle, "[exit]"), 30, real_clock=True,
                    until=svc_done)
    assert run.error is None
    assert states(run) == ["starting", "running", "exited"]
    assert not run.messages("service app:svc did not start")
    assert run.node.supervisor.services["app:svc"].last_error is None


def test_stop_while_starting(tmp_path: Path) -> None:
    # An optional service does not hold the boot; it is still starting at shutdown.
    lifecycle = "startup: optional\n      stop_timeout: 100ms"
    run = serve_app(app(tmp_path, "busy", lifecycle), 0.3, real_clock=True)
    assert run.error is None
    assert run.messages("busy started") == ["busy started"]
    assert states(run) == ["starting", "stopping", "stopped"]  # busy: CANCEL unread
    assert run.messages("service app:svc did not stop within 100ms")
    assert not run.node.scheduler.procs
    # the start's after_batch hook is gone
    hooks = [getattr(h, "__qualname__", "") for h in run.node.scheduler.after_batch]
    assert not [h for h in hooks if "_first_block" in h]


def test_examples_start_within_the_default_start_timeout() -> None:
    for example, services in (("ping-pong", ["app:pong", "app:ping"]),
                              ("supervision", ["app:worker", "app:steady"])):
        run = serve_app(EXAMPLES / example, 0.5, real_clock=True)
        assert run.error is None
        for sid in services:
            assert f"service {sid} is running" in run.messages()
        assert not [m for m in run.messages() if "start timed out" in m]

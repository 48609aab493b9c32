"""The warning for runs without pinned code (``PinCache.tell_unpinned``): one line per
entry and interval, which counts the runs it did not log, so a client that starts
thousands of runs without our memo does not write a warning per run."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from wippy_py.backends.temporal._pins import UNPINNED_LOG_INTERVAL, PinCache
from wippy_py.registry import load_registry

APP = textwrap.dedent("""\
    version: "1.0"
    namespace: app
    entries:
      - name: wf
        kind: workflow.lua
        method: main
        source: |
          return {main = function() return 1 end}
      - name: other
        kind: workflow.lua
        method: main
        source: |
          return {main = function() return 2 end}
    """)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pins(tmp_path: Path) -> tuple[PinCache, FakeClock]:
    (tmp_path / "_index.yaml").write_text(APP)
    cache = PinCache(load_registry(tmp_path))
    clock = FakeClock()
    cache.clock = clock
    return cache, clock


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "runs the current code of" in r.getMessage()]


def test_first_run_of_an_entry_is_told_in_full(pins, caplog) -> None:
    cache, _ = pins
    with caplog.at_level(logging.WARNING, logger="wippy_py.temporal"):
        cache.tell_unpinned("order-1", "run-1", "app:wf")
    [line] = told(caplog)
    assert "workflow order-1 (run run-1) was started without pinned code" in line
    assert "runs the current code of app:wf" in line and "more run" not in line


def test_runs_within_the_interval_are_counted_in_the_next_line(pins, caplog) -> None:
    cache, clock = pins
    with caplog.at_level(logging.WARNING, logger="wippy_py.temporal"):
        cache.tell_unpinned("order-1", "run-1", "app:wf")
        for i in range(2, 6):
            clock.now += 1
            cache.tell_unpinned(f"order-{i}", f"run-{i}", "app:wf")
        cache.tell_unpinned("order-5", "run-5", "app:wf")  # the same run again: not counted
        assert len(told(caplog)) == 1
        clock.now += UNPINNED_LOG_INTERVAL
        cache.tell_unpinned("order-6", "run-6", "app:wf")
    lines = told(caplog)
    assert len(lines) == 2
    assert "workflow order-6 (run run-6)" in lines[1]
    assert "(4 more runs of app:wf without their own pinned code since the last such " \
        "line)" in lines[1]


def test_each_entry_has_its_own_interval(pins, caplog) -> None:
    cache, clock = pins
    with caplog.at_level(logging.WARNING, logger="wippy_py.temporal"):
        cache.tell_unpinned("a-1", "run-a1", "app:wf")
        clock.now += 1
        cache.tell_unpinned("b-1", "run-b1", "app:other")
        cache.tell_unpinned("a-2", "run-a2", "app:wf")
    lines = told(caplog)
    assert len(lines) == 2
    assert "workflow a-1 " in lines[0] and "workflow b-1 " in lines[1]


def test_a_copied_pin_is_told_with_its_reason(pins, caplog) -> None:
    cache, _ = pins
    with caplog.at_level(logging.WARNING, logger="wippy_py.temporal"):
        cache.tell_unpinned("order-1", "run-2", "app:wf", copied="a retry")
    [line] = told(caplog)
    assert "is a retry started by the server with the memo (and pinned code) of the run " \
        "before it" in line

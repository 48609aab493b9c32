"""Helpers for supervision tests: write an app, serve it on trio's virtual clock (or the
real one, where real time matters) for a while, then shut it down; collect the
supervisor's and the Lua processes' log lines with the trio time at which they were
written."""

from __future__ import annotations

import logging
import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trio
import trio.testing

from wippy_py.node import Node
from wippy_py.registry import load_registry


@dataclass
class ServeRun:
    """What happened while the app was served.

    Attributes:
        node: The node (its supervisor holds the services).
        log: ``(virtual seconds, logger name, message)`` in order.
        error: What ``serve`` raised at boot, if anything.
        stopped_at: Virtual time at which shutdown was requested.
        ended_at: Virtual time at which ``serve`` returned.
    """

    node: Node
    log: list[tuple[float, str, str]] = field(default_factory=list)
    error: BaseException | None = None
    stopped_at: float = 0.0
    ended_at: float = 0.0

    def messages(self, prefix: str = "") -> list[str]:
        """Log messages (optionally only those starting with ``prefix``)."""
        return [m for _, _, m in self.log if m.startswith(prefix)]

    def times(self, message_prefix: str) -> list[float]:
        """Virtual times of the log lines that start with ``message_prefix``."""
        return [t for t, _, m in self.log if m.startswith(message_prefix)]

    def state(self, service_id: str) -> str:
        """The final state of a service."""
        return self.node.supervisor.state(service_id)


class _Capture(logging.Handler):
    def __init__(self, sink: list[tuple[float, str, str]]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            now = trio.current_time()
        except RuntimeError:
            now = -1.0
        self.sink.append((now, record.name, record.getMessage()))


def write_app(root: Path, yaml_text: str, files: dict[str, str] | None = None) -> Path:
    """Writes ``_index.yaml`` and Lua files (both dedented) into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_index.yaml").write_text(textwrap.dedent(yaml_text))
    for name, text in (files or {}).items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def serve_app(
    root: Path,
    run_for: float,
    *,
    seed: int = 0,
    real_clock: bool = False,
    until: Callable[[ServeRun], bool] | None = None,
) -> ServeRun:
    """Serves the app in ``root`` for ``run_for`` seconds, then stops it.

    Args:
        root: The app directory.
        run_for: Seconds on trio's clock (virtual unless ``real_clock``).
        seed: Seeds the restart jitter.
        real_clock: Use trio's real clock (for tests about time spent computing).
        until: With ``real_clock``: stop as soon as this returns True (checked every
            10 ms), ``run_for`` being the upper bound.
    """
    assert until is None or real_clock, "polling would move a virtual clock"
    node = Node(load_registry(root))
    node.supervisor.rng = random.Random(seed)
    result = ServeRun(node)
    handler = _Capture(result.log)
    loggers = [logging.getLogger("wippy_py.supervision"), logging.getLogger("wippy_py.lua")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)

    async def main() -> None:
        with trio.fail_after(10 * 86_400):
            async with trio.open_nursery() as nursery:
                try:
                    await nursery.start(node.serve)
                except Exception as exc:  # a boot failure
                    result.error = exc
                    return
                if until is None:
                    await trio.sleep(run_for)
                else:
                    with trio.move_on_after(run_for):
                        while not until(result):
                            await trio.sleep(0.01)
                result.stopped_at = trio.current_time()
                nursery.cancel_scope.cancel()
        result.ended_at = trio.current_time()

    try:
        if real_clock:
            trio.run(main)
        else:
            trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
    return result

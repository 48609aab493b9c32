"""Helpers for workflow tests: an app with an embedded temporal client and worker,
workflows and activities given as Lua text, run on trio's virtual clock; the journal
is a real SQLite file under the test's tmp_path.

A "restart" is a new :class:`Node` on the same app directory: the first node stops
(its runs stay ``running`` in the journal) and the second resumes them by replay.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio
import trio.testing

from wippy_py.errors import ErrorValue
from wippy_py.journal import Journal, Record, RunRow
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

HEAD = """\
version: "1.0"
namespace: app
entries:
  - name: client
    kind: temporal.client
    address: embedded
  - name: worker
    kind: temporal.worker
    client: app:client
    task_queue: orders
"""


@dataclass
class Entry:
    """A Lua entry of the test app."""

    kind: str
    source: str
    modules: tuple[str, ...] = ()
    extra: str = ""


def workflow(source: str, modules: tuple[str, ...] = ("funcs", "time", "uuid"),
             extra: str = "") -> Entry:
    """A workflow.lua entry on ``app:worker`` (method ``main``)."""
    meta = "meta: {temporal: {workflow: {worker: app:worker}}}\n"
    return Entry("workflow.lua", source, modules, meta + extra)


def function(source: str, modules: tuple[str, ...] = ("ctx", "logger", "errors"),
             extra: str = "") -> Entry:
    """A function.lua entry (method ``main``)."""
    return Entry("function.lua", source, tuple(m for m in modules if m != "errors"), extra)


def process(source: str, modules: tuple[str, ...] = ("time", "io"), extra: str = "") -> Entry:
    """A process.lua entry (method ``main``)."""
    return Entry("process.lua", source, modules, extra)


@dataclass
class WfApp:
    """A workflow test app in ``root``."""

    root: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    def write(self) -> WfApp:
        """Writes ``_index.yaml`` and one ``.lua`` file per entry."""
        self.root.mkdir(parents=True, exist_ok=True)
        parts = [HEAD]
        for name, entry in self.entries.items():
            (self.root / f"{name}.lua").write_text(textwrap.dedent(entry.source))
            modules = f"    modules: [{', '.join(entry.modules)}]\n" if entry.modules else ""
            extra = textwrap.indent(textwrap.dedent(entry.extra), "    ") if entry.extra else ""
            method = "" if entry.kind == "library.lua" else "    method: main\n"
            parts.append(f"  - name: {name}\n    kind: {entry.kind}\n{method}"
                         f"    source: file://{name}.lua\n{modules}{extra}")
        (self.root / "_index.yaml").write_text("".join(parts))
        return self

    def set_source(self, name: str, source: str) -> None:
        """Replaces the Lua source of an entry (a code change between restarts)."""
        self.entries[name].source = source
        self.write()

    def node(self, **options: Any) -> Node:
        """A fresh node on the app (a "restart")."""
        return Node(load_registry(self.root), console=Console(io.StringIO(), io.StringIO()),
                    **options)

    def journal(self) -> Journal:
        """The app's journal (read it after a run)."""
        return Journal(self.root / ".wippy" / "journal.db", create=False)

    def runs(self) -> list[RunRow]:
        """Every run, oldest first."""
        with self.journal() as journal:
            return list(reversed(journal.runs()))

    def history(self, run_id: str) -> list[Record]:
        """The history of a run."""
        with self.journal() as journal:
            return journal.history(run_id)


@dataclass
class Outcome:
    """What ``app:main`` returned and printed."""

    value: Any
    error: ErrorValue | None
    stdout: str
    node: Node


def run_main(app: WfApp, entry: str = "app:main", *args: Any, node: Node | None = None,
             virtual: bool = True) -> Outcome:
    """Runs ``entry`` on the terminal host to completion (virtual clock by default)."""
    node = node or app.node()
    out = io.StringIO()
    node.stdlib.console.out = out

    async def main() -> Any:
        if virtual:  # a deadline would be reached at once by the autojumping clock
            return await node.run_entry(entry, list(args))
        with trio.fail_after(60):
            return await node.run_entry(entry, list(args))

    clock = trio.testing.MockClock(autojump_threshold=0) if virtual else None
    exit = trio.run(main, clock=clock)
    return Outcome(node.exit_to_python(exit), exit.error_value, out.getvalue(), node)


def serve_until(app: WfApp, done: Any, node: Node | None = None, start: Any = None) -> Node:
    """Serves the app (virtual clock) until ``done(node)`` is true, then stops it.

    ``start(node)`` runs once the node is up (e.g. to start workflows). The runs
    still in flight when it stops stay ``running`` in the journal.
    """
    node = node or app.node()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.serve)
            if start is not None:
                start(node)
            while not done(node):
                await trio.sleep(60)  # virtual seconds: a 24h sleep takes 1440 looks
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return node

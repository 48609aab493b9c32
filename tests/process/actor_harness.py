"""Helpers for actor-runtime tests: write a Lua app with several processes, run its
``app:main`` on the terminal host (on trio's virtual clock by default), and collect
what it printed and returned. Real components throughout: registry, Node, scheduler."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio
import trio.testing

from wippy_py.errors import ErrorValue
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

DEFAULT_MODULES = ("time", "io", "ctx")


@dataclass
class ActorRun:
    """The outcome of running ``app:main``.

    Attributes:
        value: What main returned (converted to Python).
        error: Its error, if it failed.
        stdout: What it printed through ``io``.
        lines: ``stdout`` split into lines.
        node: The node (to inspect processes, names, ...).
        elapsed: Seconds on the (virtual) clock the run took.
    """

    value: Any
    error: ErrorValue | None
    stdout: str
    node: Node
    elapsed: float

    @property
    def lines(self) -> list[str]:
        """The printed lines."""
        return self.stdout.splitlines()


def write_actor_app(
    root: Path,
    main: str,
    procs: dict[str, str] | None = None,
    *,
    modules: tuple[str, ...] = DEFAULT_MODULES,
    extra_yaml: str = "",
) -> Path:
    """Writes an app: host ``app:processes``, ``app:main`` and one ``process.lua`` per
    ``procs`` item (name -> Lua source; each returns ``{ main = ... }``)."""
    root.mkdir(parents=True, exist_ok=True)
    mods = ", ".join(modules)
    lines = ["namespace: app", "entries:", "  - {name: processes, kind: process.host}"]
    for name, source in {"main": main, **(procs or {})}.items():
        (root / f"{name}.lua").write_text(textwrap.dedent(source))
        lines += [
            f"  - name: {name}",
            "    kind: process.lua",
            "    method: main",
            f"    modules: [{mods}]",
            f"    source: file://{name}.lua",
        ]
    text = "\n".join(lines) + "\n" + textwrap.indent(textwrap.dedent(extra_yaml), "  ")
    (root / "_index.yaml").write_text(text)
    return root


def run_actor_app(
    root: Path, *args: Any, virtual: bool = True, timeout: float | None = None
) -> ActorRun:
    """Runs ``app:main`` of the app in ``root`` to completion.

    Args:
        root: The app directory.
        args: Arguments of main (Python values).
        virtual: Run on ``MockClock(autojump_threshold=0)`` (sleeps take no wall time).
        timeout: Seconds before the run is abandoned (default: a virtual day, or one
            real minute without the virtual clock).
    """
    if timeout is None:
        timeout = 86_400.0 if virtual else 60.0
    out = io.StringIO()
    node = Node(load_registry(root), console=Console(out, io.StringIO()))
    times: list[float] = []

    async def main() -> Any:
        times.append(trio.current_time())
        with trio.fail_after(timeout):
            exit = await node.run_entry("app:main", list(args))
        times.append(trio.current_time())
        return exit

    clock = trio.testing.MockClock(autojump_threshold=0) if virtual else None
    exit = trio.run(main, clock=clock)
    value = node.exit_to_python(exit) if exit.ok else None
    return ActorRun(value, exit.error_value, out.getvalue(), node, times[1] - times[0])


def run_main(
    tmp_path: Path,
    main: str,
    procs: dict[str, str] | None = None,
    *args: Any,
    modules: tuple[str, ...] = DEFAULT_MODULES,
    extra_yaml: str = "",
    virtual: bool = True,
) -> ActorRun:
    """Writes and runs an app in one go (see :func:`write_actor_app`)."""
    root = write_actor_app(tmp_path / "app", main, procs, modules=modules,
                           extra_yaml=extra_yaml)
    return run_actor_app(root, *args, virtual=virtual)

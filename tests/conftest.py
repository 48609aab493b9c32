"""Shared fixtures: write a small Lua app to a temporary directory and run it."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from wippy_py.errors import ErrorValue
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry


@dataclass
class RunResult:
    """What a process run produced."""

    value: Any
    error: ErrorValue | None
    stdout: str
    node: Node


def write_app(root: Path, yaml_text: str, files: dict[str, str] | None = None) -> Path:
    """Writes ``_index.yaml`` (dedented) and extra files into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_index.yaml").write_text(textwrap.dedent(yaml_text))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def run_app(app_dir: Path, entry: str, *args: Any, stdin: str = "", **node_options: Any) -> RunResult:
    """Runs ``entry`` on the terminal host of the app in ``app_dir`` to completion."""
    out = io.StringIO()
    node = Node(load_registry(app_dir), console=Console(out, io.StringIO(stdin)), **node_options)

    async def main() -> Any:
        with trio.fail_after(30):
            return await node.run_entry(entry, list(args))

    exit = trio.run(main)
    return RunResult(node.exit_to_python(exit), exit.error_value, out.getvalue(), node)


@pytest.fixture
def lua_app(tmp_path: Path) -> Callable[..., RunResult]:
    """Returns ``run(source, *args, modules=[...], extra_yaml="", **node_options)``.

    ``source`` is the Lua text of ``app:main`` (a process.lua with method ``main``).
    """

    def run(
        source: str,
        *args: Any,
        modules: tuple[str, ...] = ("funcs", "io", "json", "uuid", "ctx", "logger"),
        extra_yaml: str = "",
        files: dict[str, str] | None = None,
        **node_options: Any,
    ) -> RunResult:
        yaml_text = (
            "namespace: app\nentries:\n"
            "  - name: main\n    kind: process.lua\n    method: main\n"
            f"    modules: [{', '.join(modules)}]\n    source: file://main.lua\n"
            + textwrap.indent(textwrap.dedent(extra_yaml), "  ")
        )
        all_files = {"main.lua": source, **(files or {})}
        write_app(tmp_path / "app", yaml_text, all_files)
        return run_app(tmp_path / "app", "app:main", *args, **node_options)

    return run

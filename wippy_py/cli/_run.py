"""``wippy-py run``: boot an app, or run one process on the terminal host."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import trio

from ..errors import WippyError
from ..node import Node
from ..process import Exit, SpawnError
from ..registry import Entry, Registry
from ._common import fail, load_app, setup_logging


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("app_dir", type=click.Path(path_type=Path))
@click.argument("rest", nargs=-1, type=click.UNPROCESSED)
@click.option("-x", "--exec", "exec_entry", metavar="NS:ENTRY",
              help="Run this process.lua entry on the terminal host and exit with its result.")
@click.option("--host", "host", metavar="NS:HOST",
              help="The terminal.host to run on (default: the app's only one).")
@click.option("-v", "--verbose", is_flag=True, help="Show runtime and Lua logs (info level).")
def run(app_dir: Path, rest: tuple[str, ...], exec_entry: str | None, host: str | None,
        verbose: bool) -> None:
    """Boot the app in APP_DIR, or run one of its processes.

    \b
    wippy-py run DIR                 start the services, run until Ctrl+C
    wippy-py run DIR -x ns:entry A B run one process with arguments "A" "B"
    wippy-py run DIR COMMAND A B     run the process whose meta.command.name is COMMAND

    Exit code of a run process: a returned integer is the code; a returned string is
    printed and the code is 0; true is 0, false is 1; an error is printed on stderr
    and the code is 1.
    """
    setup_logging(verbose)
    registry = load_app(app_dir)
    if exec_entry is None and rest:
        exec_entry = _command_entry(registry, rest[0])
        rest = rest[1:]
    node = Node(registry)
    if exec_entry is None:
        _serve(node)
        return
    try:
        exit = trio.run(node.run_entry, exec_entry, list(rest), host)
    except SpawnError as exc:
        fail(f"cannot run {exec_entry}: {exc.error.message}")
    except (ValueError, WippyError) as exc:
        fail(str(exc))
    sys.exit(exit_code(node, exit))


def _command_entry(registry: Registry, command: str) -> str:
    commands: dict[str, Entry] = {}
    for entry in registry.by_kind("process.lua"):
        name = ((entry.meta.get("command") or {}) if isinstance(entry.meta, dict) else {}).get(
            "name"
        )
        if name:
            commands[str(name)] = entry
    if command in commands:
        return str(commands[command].id)
    known = ", ".join(sorted(commands)) or "none (no process.lua has meta.command.name)"
    fail(f"unknown command {command!r}; commands of this app: {known}")


def exit_code(node: Node, exit: Exit) -> int:
    """Applies Wippy's exit-code rules to a finished process (and prints what they say)."""
    if exit.error_value is not None:
        click.echo(f"error: {exit.error_value.message}", err=True)
        return 1
    value: Any = node.exit_to_python(exit)
    if value is True or value is None:
        return 0
    if value is False:
        return 1
    if isinstance(value, int):
        return value & 0xFF if value >= 0 else 1
    if isinstance(value, str):
        click.echo(value)
        return 0
    return 0


def _serve(node: Node) -> None:
    serve = getattr(node, "serve", None)
    if serve is None:
        fail("this build cannot run services yet; use -x ns:entry to run one process")
    try:
        trio.run(serve)
    except KeyboardInterrupt:
        sys.exit(130)

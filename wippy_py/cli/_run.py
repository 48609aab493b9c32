"""``wippy-py run``: boot an app, or run one process on the terminal host."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
import trio
from trio.testing import MockClock

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
@click.option("--embedded", is_flag=True,
              help="Run every temporal.worker on the embedded engine, whatever the address "
                   "of its client.")
@click.option("--clock", type=click.Choice(["real", "virtual"]), default="real",
              show_default=True,
              help="virtual: time jumps ahead whenever every process waits, so timers and "
                   "sleeps (a workflow sleeping 24h) complete at once.")
@click.option("-v", "--verbose", is_flag=True, help="Show runtime and Lua logs (info level).")
def run(app_dir: Path, rest: tuple[str, ...], exec_entry: str | None, host: str | None,
        embedded: bool, clock: str, verbose: bool) -> None:
    """Boot the app in APP_DIR, or run one of its processes.

    \b
    wippy-py run DIR                 start the services, run until Ctrl+C
    wippy-py run DIR -x ns:entry A B run one process with arguments "A" "B"
    wippy-py run DIR COMMAND A B     run the process whose meta.command.name is COMMAND

    Workflows of the app run on its embedded journal; runs left unfinished by an
    earlier run resume at boot, and `wippy-py workflow ...` starts and signals them.

    Exit code of a run process: a returned integer is the code; a returned string is
    printed and the code is 0; true is 0, false is 1; an error is printed on stderr
    and the code is 1.
    """
    setup_logging(verbose)
    registry = load_app(app_dir)
    if exec_entry is None and rest:
        exec_entry = _command_entry(registry, rest[0])
        rest = rest[1:]
    try:
        node = Node(registry, embedded=embedded)
    except WippyError as exc:  # a workflow's module gate, an unreadable journal
        fail(str(exc))
    for worker, reason in node.unavailable_workers.items():
        click.echo(f"warning: workflows of {worker} will not run: {reason}", err=True)
    trio_clock = MockClock(autojump_threshold=0) if clock == "virtual" else None
    if exec_entry is None:
        _serve(node, trio_clock)
        return
    try:
        exit = trio.run(node.run_entry, exec_entry, list(rest), host, clock=trio_clock)
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


def _serve(node: Node, clock: MockClock | None) -> None:
    try:
        signum = trio.run(_serve_until_signalled, node, clock=clock)
    except KeyboardInterrupt:  # a Ctrl+C before the signal handlers were installed
        sys.exit(130)
    sys.exit(128 + signum)


async def _serve_until_signalled(node: Node) -> int:
    """Serves until SIGINT or SIGTERM, then shuts down gracefully (services stop
    dependents-first; workflows stay running in their journal). A second signal during
    the shutdown exits at once. Returns the signal number."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.serve)
            async for signum in signals:
                click.echo(f"{signal.Signals(signum).name}: stopping (send it again to exit "
                           "at once)", err=True)
                for forced in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(forced, _exit_now)
                nursery.cancel_scope.cancel()
                return int(signum)
    return 0


def _exit_now(signum: int, _frame: object) -> None:
    os._exit(128 + signum)

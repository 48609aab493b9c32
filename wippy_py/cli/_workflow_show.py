"""``wippy-py workflow list`` and ``show``: runs and histories as text tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..journal import FAILED, STATUSES, TERMINATED, Record
from ._workflow_common import (
    app_options,
    echo_runs,
    error_text,
    find_run,
    journal_errors,
    journal_for,
    open_app,
    open_journal,
    short,
    table,
    to_json,
    when,
)

VALUE_WIDTH = 48
ALL_STATUSES = (*STATUSES, "canceled", "timed_out")  # the last two: Temporal's


@click.command("list")
@click.option("--status", type=click.Choice(ALL_STATUSES),
              help="Only runs with this status (canceled and timed_out: Temporal only).")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="At most this many runs, newest first (0: all).")
@app_options
@journal_errors
def list_runs(status: str | None, limit: int, app_dir: Path, worker: str | None,
              embedded: bool) -> None:
    """List workflow runs, newest first."""
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        from . import _workflow_temporal

        _workflow_temporal.list_runs(app, remote, status, limit)
        return
    if status not in (None, *STATUSES):
        click.echo(f"no workflow runs with status {status} in the journal (only Temporal "
                   "runs have it)")
        return
    journal = open_journal(app, worker)
    if journal is None:
        click.echo(f"no workflow runs yet ({app.journal_file(worker)} does not exist)")
        return
    with journal:
        rows = journal.runs(status=status, limit=limit or None)
    if not rows:
        which = f" with status {status}" if status else ""
        click.echo(f"no workflow runs{which} in {journal.path}")
        return
    echo_runs(rows, limit, "STEPS")


@click.command("show")
@click.argument("ident", metavar="ID")
@app_options
@journal_errors
def show(ident: str, app_dir: Path, worker: str | None, embedded: bool) -> None:
    """Show a workflow run and its history.

    ID is a workflow ID (its latest run), a run ID, or the start of a run ID.
    """
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        from . import _workflow_temporal

        _workflow_temporal.show(app, remote, ident)
        return
    journal = journal_for(app, worker, ident)
    with journal:
        row = find_run(journal, app, ident)
        history = journal.history(row.run_id)
        runs = [r for r in journal.runs() if r.workflow_id == row.workflow_id]
        pending = journal.inbox_for(row.workflow_id)
    for line in describe_run(row, runs):
        click.echo(line)
    if pending:
        kinds = ", ".join(f"{i.kind} {i.topic}".strip() for i in pending)
        click.echo(f"{'pending':<10} {kinds} (not yet taken by the engine)")
    click.echo("")
    click.echo(f"history ({len(history)} record{'' if len(history) == 1 else 's'})")
    if history:
        for line in history_table(history):
            click.echo("  " + line)


def describe_run(row: Any, runs: list[Any]) -> list[str]:
    """The header of ``show``: IDs, entry, status, times, input and outcome (``row``: a
    journal ``RunRow`` or a Temporal ``RemoteRun``, which has the same fields)."""
    lines = [
        f"{'workflow':<10} {row.workflow_id}",
        f"{'run':<10} {row.run_id}"
        + (f"  ({len(runs)} runs of this workflow; see `workflow list`)" if len(runs) > 1
           else ""),
        f"{'entry':<10} {row.entry} on {row.worker}",
        f"{'status':<10} {row.status}",
        f"{'created':<10} {when(row.created_at)}",
        f"{'updated':<10} {when(row.updated_at)}",
        f"{'input':<10} {to_json(row.input)}",
    ]
    if row.parent_run:
        parent = getattr(row, "parent_workflow", "")
        lines.append(f"{'parent':<10} " + (f"workflow {parent}, " if parent else "")
                     + f"run {row.parent_run}"
                     + (f", step {row.parent_seq}" if row.parent_seq is not None else ""))
    if row.status == "completed":
        lines.append(f"{'result':<10} {to_json(row.result)}")
    elif row.status in (FAILED, TERMINATED, "canceled", "timed_out") or row.error:
        message, stack = error_text(row.error)
        lines.append(f"{'error':<10} {message}")
        lines.extend(f"{'':<10} {text}" for text in stack.splitlines())
    return lines


def history_table(history: list[Record], locations: bool = True) -> list[str]:
    """The history as aligned columns: seq, command/event, kind, target, value, Lua
    location (unless ``locations`` is false: Temporal keeps none) and time."""
    if not locations:
        return table(["EVENT", "TYPE", "KIND", "TARGET", "VALUE", "TIME"],
                     [[str(r.seq), r.type, r.kind, _target(r), _value(r), when(r.at, True)]
                      for r in history], right=(0,))
    rows = [
        [str(r.seq), r.type, r.kind, _target(r), _value(r), r.location or "", when(r.at, True)]
        for r in history
    ]
    return table(["SEQ", "TYPE", "KIND", "TARGET", "VALUE", "AT", "TIME"], rows, right=(0,))


def _target(record: Record) -> str:
    target = short(record.target, 32)
    if record.ref is not None:
        return f"{target} (of {record.ref})" if target else f"of {record.ref}"
    return target


def _value(record: Record) -> str:
    if record.error:
        message, _ = error_text(record.error)
        return short("error: " + message, VALUE_WIDTH)
    value: Any = record.value
    if record.kind in ("timer", "every", "fired") and isinstance(value, (int, float)):
        return f"due {when(float(value), True)}"
    if record.kind == "signal_out" and isinstance(value, dict) and "topic" in value:
        return short(f"{value['topic']}: {to_json(value.get('data'))}", VALUE_WIDTH)
    if record.kind == "signal" and isinstance(value, dict):
        sender = value.get("from") or "?"
        return short(f"{to_json(value.get('data'))} from {sender}", VALUE_WIDTH)
    if record.kind == "cancel" and isinstance(value, dict):
        return short(f"reason {to_json(value.get('reason', ''))}", VALUE_WIDTH)
    if value is None:
        return "-" if record.type == "command" else ""
    return short(to_json(value), VALUE_WIDTH)

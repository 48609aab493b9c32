"""``wippy-py workflow``: start, inspect, signal and stop durable workflows.

For an embedded worker the commands work on the app's journal directly, so they work
whether the app runs or not: what they post (a start, a signal, a cancel, a
termination) is picked up by the running app within a moment, or by the next
``wippy-py run DIR``. For a worker whose client is a Temporal server they talk to
that server (``_workflow_temporal.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from ..backends.local._admin import create_run, post_request
from ..errors import EntryError
from ..journal import COMPLETED, CONTINUED, FAILED, RUNNING, Journal, RunRow
from ..node import check_workflow_modules
from . import _workflow_temporal as on_temporal
from ._common import fail
from ._workflow_common import (
    WorkflowApp,
    app_options,
    error_text,
    find_run,
    journal_errors,
    journal_for,
    open_app,
    open_journal,
    parse_json,
    to_json,
)
from ._workflow_replay import replay
from ._workflow_show import list_runs, show

# Exit codes (README, "Workflows from the command line").
EXIT_REFUSED = 1  # the workflow failed or was terminated; or it is not running any more
EXIT_RUNNING = 3  # `result`: the workflow is still running
POLL = 0.1  # seconds between looks at the journal for `result --wait`

_ENDED = {
    "completed": "has completed",
    "failed": "has failed",
    "terminated": "was terminated",
    "continued": "continued as a new run",
}


@click.group()
def workflow() -> None:
    """Start, inspect, signal and stop durable workflows.

    \b
    Every command takes --app DIR (default: registry) and works on the journal of the
    app's embedded temporal.client, whether the app is running or not. What a command
    posts is picked up by the running app within a moment, else by the next
    `wippy-py run DIR`. When the worker's temporal.client is a Temporal server, the
    commands talk to that server instead (--embedded: use the journal anyway).

    \b
    Exit codes: 0 done; 1 the workflow failed, was terminated (canceled, timed out) or
    is no longer running (or replay found a divergence, or check found problems); 2 bad
    input, unknown ID, an unreadable journal or a Temporal server that cannot be
    reached; 3 `result` of a workflow still running.
    """


workflow.add_command(list_runs)
workflow.add_command(show)
workflow.add_command(replay)


@workflow.command("start")
@click.argument("entry")
@click.option("--id", "workflow_id", metavar="ID",
              help="The workflow ID (default: a new UUID). If a workflow with this ID is "
                   "running, nothing is started.")
@click.option("--input", "input_json", metavar="JSON",
              help="The arguments: a JSON array is the list of positional arguments, any "
                   "other JSON value is the only argument.")
@app_options
@journal_errors
def start(entry: str, workflow_id: str | None, input_json: str | None, app_dir: Path,
          worker: str | None, embedded: bool) -> None:
    """Start the workflow.lua ENTRY (e.g. app:order)."""
    app = open_app(app_dir, embedded)
    worker_id = _start_worker(app, entry, worker)
    data: list[Any] = []
    if input_json is not None:
        value = parse_json(input_json, "--input")
        data = value if isinstance(value, list) else [value]
    if worker_id in app.remote:
        on_temporal.start(app, worker_id, entry, data, workflow_id)
        return
    journal = open_journal(app, worker_id, create=True)
    assert journal is not None
    with journal:
        if workflow_id is not None:
            current = journal.current_run(workflow_id)
            if current is not None and current.status == RUNNING:
                click.echo(f"workflow {workflow_id} is already running (run {current.run_id}, "
                           f"{current.entry}); nothing started")
                return
        row = create_run(journal, app.registry, entry, worker_id, data, workflow_id)
    click.echo(f"started workflow {row.workflow_id}, run {row.run_id}")
    if not app.embedded:
        click.echo(f"note: the app's temporal clients are not embedded: run it with "
                   f"`wippy-py run {app.dir} --embedded` to run this workflow", err=True)
    click.echo(f"the running app picks it up; if none runs, `wippy-py run {app.dir}` will. "
               f"Follow it with {app.hint('show ' + row.workflow_id)}", err=True)


def _start_worker(app: WorkflowApp, entry_id: str, worker: str | None) -> str:
    entry = app.registry.get(entry_id)
    known = ", ".join(app.workflow_entries()) or "none"
    if entry is None:
        fail(f"no entry {entry_id} in {app.dir}; the app's workflows: {known}")
    if entry.kind != "workflow.lua":
        fail(f"{entry_id} is a {entry.kind}, not a workflow.lua, so it cannot be started as "
             f"a workflow; the app's workflows: {known}")
    try:
        check_workflow_modules(entry, [str(m) for m in entry.data.get("modules") or []])
    except EntryError as exc:
        fail(str(exc))
    every = {*app.workers, *app.remote}
    workers = ", ".join(sorted(every))
    if worker is not None:
        if worker not in every:
            fail(f"--worker {worker} is not a temporal.worker of the app in {app.dir}; its "
                 f"workers: {workers}")
        return worker
    meta = entry.meta if isinstance(entry.meta, dict) else {}
    named = ((meta.get("temporal") or {}).get("workflow") or {}).get("worker")
    if named:
        if str(named) not in every:
            fail(f"{entry_id} names the worker {named} (meta.temporal.workflow.worker), "
                 f"which is not a temporal.worker of the app; its workers: {workers}")
        return str(named)
    if len(every) > 1:
        fail(f"{entry_id} names no worker (meta.temporal.workflow.worker) and the app has "
             f"several ({workers}); pick one with --worker")
    return next(iter(every))


def _running_target(journal: Journal, app: WorkflowApp, ident: str, refused: str) -> RunRow:
    """The running run a request for ``ident`` goes to (exits when it is not running)."""
    row = find_run(journal, app, ident)
    current = journal.current_run(row.workflow_id) or row
    if current.status != RUNNING:
        fail(f"workflow {current.workflow_id} {_ENDED.get(current.status, current.status)}; "
             f"{refused}", EXIT_REFUSED)
    return current


def _request(app_dir: Path, worker: str | None, embedded: bool, ident: str, refused: str,
             kind: str, topic: str = "", payload: Any = None) -> Any:
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        reason = str(payload.get("reason", "")) if isinstance(payload, dict) else ""
        return on_temporal.request(app, remote, ident, kind, refused, topic, payload, reason)
    journal = journal_for(app, worker, ident)
    with journal:
        row = _running_target(journal, app, ident, refused)
        post_request(journal, row.workflow_id, kind, topic=topic, payload=payload)
    return row


@workflow.command("signal")
@click.argument("ident", metavar="ID")
@click.argument("topic")
@click.argument("data", metavar="[JSON]", required=False)
@app_options
@journal_errors
def signal(ident: str, topic: str, data: str | None, app_dir: Path, worker: str | None,
           embedded: bool) -> None:
    """Send the running workflow ID a message on TOPIC (payload: JSON, default null).

    The workflow receives it like a process.send message (process.inbox() or
    process.listen(TOPIC)); it is journaled, so it survives restarts.
    """
    payload = parse_json(data, "the signal payload") if data is not None else None
    row = _request(app_dir, worker, embedded, ident,
                   "signals are only delivered to running workflows", "signal", topic, payload)
    click.echo(f"signal {topic} posted to workflow {row.workflow_id} (run {row.run_id})")


@workflow.command("cancel")
@click.argument("ident", metavar="ID")
@click.option("--reason", default="cancelled from the command line", show_default=True,
              help="The reason the workflow sees.")
@app_options
@journal_errors
def cancel(ident: str, reason: str, app_dir: Path, worker: str | None,
           embedded: bool) -> None:
    """Ask the running workflow ID to cancel (a durable CANCEL event it may handle)."""
    row = _request(app_dir, worker, embedded, ident,
                   "cancellations are only delivered to running workflows", "cancel",
                   payload={"reason": reason})
    click.echo(f"cancel posted to workflow {row.workflow_id} (run {row.run_id}); the workflow "
               "decides how to react (see `process.events()`)")


@workflow.command("terminate")
@click.argument("ident", metavar="ID")
@click.option("--reason", default="terminated from the command line", show_default=True,
              help="Recorded as the run's error.")
@app_options
@journal_errors
def terminate(ident: str, reason: str, app_dir: Path, worker: str | None,
              embedded: bool) -> None:
    """Stop the running workflow ID at once (status terminated; its code runs no further)."""
    row = _request(app_dir, worker, embedded, ident, "only running workflows can be terminated",
                   "terminate", payload={"reason": reason})
    click.echo(f"terminate posted to workflow {row.workflow_id} (run {row.run_id})")


@workflow.command("result")
@click.argument("ident", metavar="ID")
@click.option("--wait", is_flag=True, help="Wait until the workflow finishes.")
@click.option("--timeout", type=click.FloatRange(min=0), metavar="SECONDS",
              help="With --wait: give up after this long (exit code 3).")
@app_options
@journal_errors
def result(ident: str, wait: bool, timeout: float | None, app_dir: Path,
           worker: str | None, embedded: bool) -> None:
    """Print the result of workflow ID as JSON.

    \b
    Exit code 0: completed (the result is on stdout);
              1: failed or terminated (the error is on stderr);
              3: still running (without --wait, or when --timeout expired).
    """
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        on_temporal.result(app, remote, ident, wait, timeout)
        return
    journal = journal_for(app, worker, ident)
    with journal:
        row = _follow(journal, find_run(journal, app, ident))
        deadline = None if timeout is None else time.monotonic() + timeout
        while wait and row.status == RUNNING and (deadline is None
                                                  or time.monotonic() < deadline):
            time.sleep(POLL)
            row = _follow(journal, journal.run(row.run_id) or row)
    if row.status == COMPLETED:
        click.echo(to_json(row.result))
        return
    if row.status == RUNNING:
        waited = f" after {timeout:g}s" if wait else ""
        advice = "" if wait else "; add --wait to wait for its result"
        fail(f"workflow {row.workflow_id} is still running{waited} (run {row.run_id}, "
             f"{row.history_length} steps so far){advice}", EXIT_RUNNING)
    message, stack = error_text(row.error)
    verb = "failed" if row.status == FAILED else "was terminated"
    click.echo(f"error: workflow {row.workflow_id} {verb}: {message}", err=True)
    for line in stack.splitlines():
        click.echo(f"  {line}", err=True)
    raise SystemExit(EXIT_REFUSED)


def _follow(journal: Journal, row: RunRow) -> RunRow:
    """A run that continued as new: its workflow's latest run instead."""
    if row.status == CONTINUED:
        latest = journal.current_run(row.workflow_id)
        if latest is not None and latest.run_id != row.run_id:
            return latest
    return row


@workflow.command("check")
@app_options
@journal_errors
def check(app_dir: Path, worker: str | None, embedded: bool) -> None:
    """Check the journal's file and the consistency of its contents.

    A worker on a Temporal server has no journal here: the command then reports
    whether the server answers and how many workers poll its task queue.
    """
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        on_temporal.check(app, remote)
        return
    with Journal(app.journal_file(worker), create=False) as journal:
        problems = journal.check()
        runs = len(journal.runs())
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}")
        click.echo(f"{len(problems)} problem(s) in {journal.path}", err=True)
        raise SystemExit(EXIT_REFUSED)
    click.echo(f"journal OK: {journal.path} ({runs} run{'' if runs == 1 else 's'})")

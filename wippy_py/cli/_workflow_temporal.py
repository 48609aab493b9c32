"""``wippy-py workflow ...`` for workers whose ``temporal.client`` is a Temporal server.

The commands of ``_workflow_cmd.py``, ``_workflow_show.py`` and
``_workflow_replay.py`` hand over to these functions when the worker they address
runs on a Temporal server: the same arguments, output and exit codes, served by the
backend's admin (``backends/temporal/_admin*.py``) instead of the journal. A server
that cannot be reached exits with code 2 and a message naming its address.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ._common import fail
from ._workflow_common import WorkflowApp, echo_runs, error_text, to_json

if TYPE_CHECKING:
    from ..backends.temporal import RemoteRun, TemporalAdmin

EXIT_REFUSED = 1
EXIT_RUNNING = 3
_ENDED_VERB = {"failed": "failed", "terminated": "was terminated", "canceled": "was canceled",
               "timed_out": "timed out"}


@contextlib.contextmanager
def admin_of(app: WorkflowApp, workers: list[str]) -> Iterator[TemporalAdmin]:
    """The admin of the workers' Temporal server; its errors become exits (2: bad
    input or no server, 1: the workflow is not running)."""
    if importlib.util.find_spec("temporalio") is None:
        fail(f"the worker {workers[0]} of the app in {app.dir} runs on a Temporal server and "
             "the Temporal backend is not installed: pip install 'wippy-py[temporal]' (or "
             "add --embedded for an app run with `wippy-py run --embedded`)")
    from ..backends.temporal import (
        AdminError,
        NotRunning,
        ServerUnavailable,
        TemporalAdmin,
        TemporalConfigError,
    )

    try:
        admin = TemporalAdmin(app.registry, workers)
    except TemporalConfigError as exc:
        fail(str(exc))
    try:
        yield admin
    except NotRunning as exc:
        fail(str(exc), EXIT_REFUSED)
    except (AdminError, ServerUnavailable) as exc:
        fail(str(exc))
    finally:
        admin.close()


def start(app: WorkflowApp, worker: str, entry: str, data: list[Any],
          workflow_id: str | None) -> None:
    """``workflow start`` on the worker's task queue."""
    with admin_of(app, [worker]) as admin:
        row, started = admin.run(admin.start(entry, worker, data, workflow_id))
        if not started:
            click.echo(f"workflow {row.workflow_id} is already running (run {row.run_id}, "
                       f"{row.entry}); nothing started")
            return
        pollers = admin.run(admin.pollers(worker))
        queue = admin.workers[worker].task_queue
    click.echo(f"started workflow {row.workflow_id}, run {row.run_id}")
    if pollers:
        click.echo(f"a worker polling task queue {queue} on {admin.address} runs it. "
                   f"Follow it with {app.hint('show ' + row.workflow_id)}", err=True)
    else:
        click.echo(f"no worker polls task queue {queue} on {admin.address} right now: "
                   f"`wippy-py run {app.dir}` will run it. Follow it with "
                   f"{app.hint('show ' + row.workflow_id)}", err=True)


def list_runs(app: WorkflowApp, workers: list[str], status: str | None, limit: int) -> None:
    """``workflow list``: the runs of the app's task queues, newest first."""
    with admin_of(app, workers) as admin:
        rows = admin.run(admin.runs(status, limit or None))
        queues = ", ".join(sorted(admin.queues))
        server = admin.where()
    if not rows:
        which = f" with status {status}" if status else ""
        click.echo(f"no workflow runs{which} on task queue(s) {queues} of {server}")
        return
    echo_runs(rows, limit, "EVENTS", hide_running_update=True)


def show(app: WorkflowApp, workers: list[str], ident: str) -> None:
    """``workflow show``: the run and its history as a table."""
    from ..backends.temporal import history_rows
    from ._workflow_show import describe_run, history_table

    with admin_of(app, workers) as admin:
        row = admin.run(admin.find(ident))
        history = admin.run(admin.history(row))
        server = f"{admin.address}, namespace {admin.client_config.namespace}"
    rows = history_rows(history)
    for line in describe_run(row, [row]):
        click.echo(line)
    click.echo(f"{'server':<10} {server}, task queue {row.task_queue}")
    click.echo("")
    click.echo(f"history ({len(history.events)} events on the server; {len(rows)} shown, "
               "without workflow-task bookkeeping)")
    for line in history_table(rows, locations=False):  # type: ignore[arg-type]
        click.echo("  " + line)


def request(app: WorkflowApp, workers: list[str], ident: str, kind: str, refused: str,
            topic: str = "", payload: Any = None, reason: str = "") -> RemoteRun:
    """``signal``/``cancel``/``terminate`` of the running workflow ``ident``."""
    with admin_of(app, workers) as admin:
        row = admin.run(admin.running(ident, refused))
        if kind == "signal":
            admin.run(admin.signal(row, topic, payload))
        elif kind == "cancel":
            admin.run(admin.cancel(row, reason))
        else:
            admin.run(admin.terminate(row, reason))
    return row


def result(app: WorkflowApp, workers: list[str], ident: str, wait: bool,
           timeout: float | None) -> None:
    """``workflow result``: exit 0 with the result, 1 with the error, 3 while running."""
    with admin_of(app, workers) as admin:
        row = admin.run(admin.latest(admin.run(admin.find(ident))))
        if wait and row.status == "running":
            row = admin.run(admin.wait(row, timeout))
        value, error = (None, None) if row.status == "running" else \
            admin.run(admin.outcome(row))
    if row.status == "completed":
        click.echo(to_json(value))
        return
    if row.status == "running":
        waited = f" after {timeout:g}s" if wait and timeout is not None else ""
        advice = "" if wait else "; add --wait to wait for its result"
        fail(f"workflow {row.workflow_id} is still running{waited} (run {row.run_id}, "
             f"{row.history_length} events so far){advice}", EXIT_RUNNING)
    message, stack = error_text(error)
    click.echo(f"error: workflow {row.workflow_id} "
               f"{_ENDED_VERB.get(row.status, row.status)}: {message}", err=True)
    for line in stack.splitlines():
        click.echo(f"  {line}", err=True)
    raise SystemExit(EXIT_REFUSED)


def replay(app: WorkflowApp, workers: list[str], ident: str) -> None:
    """``workflow replay``: the run's history against the current code (Replayer)."""
    from ..backends.temporal import replay_run

    with admin_of(app, workers) as admin:
        row = admin.run(admin.find(ident))
        entry = admin.catalog.entry_of_type(row.type_name)
        found = app.registry.get(entry) if entry is not None else None
        if found is None or found.kind != "workflow.lua":
            fail(f"the run's workflow type {row.type_name} is no longer a workflow.lua of "
                 f"the app {app.dir}, so there is no current code to replay it against")
        history = admin.run(admin.history(row))
        verdict = replay_run(admin, row, history)
    if verdict.divergence:
        click.echo(verdict.divergence)
        raise SystemExit(EXIT_REFUSED)
    click.echo(f"replayed {verdict.events} events of workflow {row.workflow_id} "
               f"(run {row.run_id}) against the current {row.entry}: no divergence")


def check(app: WorkflowApp, workers: list[str]) -> None:
    """``workflow check``: there is no journal; reports the server and its pollers."""
    with admin_of(app, workers) as admin:
        started = time.monotonic()
        polling = {w: admin.run(admin.pollers(w)) for w in workers}
        took = time.monotonic() - started
        server = admin.where()
    click.echo(f"no journal to check: the workflows of {', '.join(workers)} are kept by "
               f"{server}, which keeps their histories itself; `wippy-py workflow replay ID` "
               "checks a run against the current code")
    for worker, count in polling.items():
        queue = admin.workers[worker].task_queue
        state = (f"{count} worker{'s' if count != 1 else ''} polling" if count
                 else f"no worker polling (`wippy-py run {app.dir}` serves it)")
        click.echo(f"server reachable ({took * 1000:.0f} ms); {worker}: task queue {queue}, "
                   f"{state}")

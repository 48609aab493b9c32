"""``wippy-py workflow replay``: re-run a run's history against the current code.

Only the dispatcher runs (not the engines: no other run is resumed, nothing is
polled or committed); the run is rebuilt in verify-only mode, which matches every
command the current code issues against the journal and stops when the history is
exhausted. The journal's connection is closed without a commit, so nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import trio

from ..errors import WippyError
from ..journal import COMPLETED, FAILED, Record, RunRow
from ..node import Node
from ..process import Exit
from ..workflow._replay import describe
from ._common import fail
from ._workflow_common import (
    app_options,
    error_text,
    find_run,
    journal_errors,
    journal_for,
    open_app,
)

if TYPE_CHECKING:
    from ..backends.local._run import WorkflowRun

EXIT_DIVERGED = 1


@dataclass
class Verdict:
    """What replaying a run found."""

    records: int
    divergence: str = ""


@click.command("replay")
@click.argument("ident", metavar="ID")
@app_options
@journal_errors
def replay(ident: str, app_dir: Path, worker: str | None, embedded: bool) -> None:
    """Replay the history of workflow ID against the current code of its entry.

    Reports the first step where the code now does something else than what the
    journal recorded (exit code 1), or that it matches (exit code 0). Nothing is
    executed for real and nothing is written to the journal. On a Temporal server, the
    run's history is fetched and replayed with Temporal's Replayer.
    """
    app = open_app(app_dir, embedded)
    remote = app.server_workers(worker)
    if remote is not None:
        from . import _workflow_temporal

        _workflow_temporal.replay(app, remote, ident)
        return
    journal = journal_for(app, worker, ident)
    with journal:
        row = find_run(journal, app, ident)
    entry = app.registry.get(row.entry)
    if entry is None or entry.kind != "workflow.lua":
        fail(f"the run's entry {row.entry} is no longer a workflow.lua of the app {app.dir}, "
             "so there is no current code to replay it against")
    try:
        verdict = verify(Node(app.registry, embedded=True), row, journal.path)
    except WippyError as exc:
        fail(f"cannot replay workflow {row.workflow_id}: {exc}")
    if verdict.divergence:
        click.echo(verdict.divergence)
        raise SystemExit(EXIT_DIVERGED)
    click.echo(f"replayed {verdict.records} records of workflow {row.workflow_id} "
               f"(run {row.run_id}) against the current {row.entry}: no divergence")


def verify(node: Node, row: RunRow, journal_file: Path) -> Verdict:
    """Replays ``row`` on ``node`` (whose engines are not started) and judges it."""
    engine = next((e for e in node.engines
                   if _same_file(e.journal.path, journal_file) and e.serves(row.worker)), None)
    if engine is None:
        fail(f"the run's worker {row.worker} is not a temporal.worker of the app any more")
    try:
        history = engine.journal.history(row.run_id)
        source = str(node.registry.require(row.entry, "workflow.lua").data.get("source") or "")

        async def main() -> tuple[Exit, WorkflowRun] | WippyError:
            async with trio.open_nursery() as nursery:
                await nursery.start(node.scheduler.run)
                try:
                    run = engine.resume(row, history, verify_only=True, source=source)
                except WippyError as exc:  # the current code does not load
                    nursery.cancel_scope.cancel()
                    return exc
                done = trio.Event()
                run.proc.add_exit_callback(lambda _p, _e: done.set())
                if run.proc.exit is None:
                    await done.wait()
                nursery.cancel_scope.cancel()
            assert run.proc.exit is not None
            return run.proc.exit, run

        outcome = trio.run(main)
        if isinstance(outcome, WippyError):
            raise outcome
        exit, run = outcome
    finally:
        for each in node.engines:
            each.journal.close()  # drops whatever the replay buffered: nothing is written
    return _judge(row, history, exit, run, engine.verify_outcome)


def _judge(row: RunRow, history: list[Record], exit: Exit, run: WorkflowRun,
           outcome: str | None) -> Verdict:
    verdict = Verdict(len(history))
    replay = run.replay
    if run.failure is not None:
        verdict.divergence = run.failure.message
    elif outcome == "ok":
        # The history ran out while the code went on: fine for a run still in flight,
        # a divergence for one that ended there.
        if row.status in (COMPLETED, FAILED):
            if run.beyond is not None:
                kind, target, where = run.beyond
                goes_on = f"issues {describe(kind, target)}" + (f" at {where}" if where else "")
            else:
                goes_on = "waits for an event"
            verdict.divergence = (
                f"workflow {row.workflow_id} (run {row.run_id}) diverged from its journal at "
                f"step {len(history)}: the run {row.status} there, but the code now {goes_on}.")
    elif replay is not None and not replay.live:
        nxt = history[replay.position]
        what = describe(nxt.kind, nxt.target) if nxt.type == "command" else f"the event {nxt.kind}"
        ended = "failed" if exit.error_value is not None else "returned"
        verdict.divergence = (
            f"workflow {row.workflow_id} (run {row.run_id}) diverged from its journal at step "
            f"{replay.position}: the code now {ended} there"
            + (f" ({exit.error_value.message})" if exit.error_value is not None else "")
            + f", but the journal holds {what}"
            + (f" at {nxt.location}" if nxt.location else "") + " next.")
    elif exit.error_value is not None:
        recorded, _ = error_text(row.error) if row.status == FAILED else ("", "")
        if row.status != FAILED or not recorded.startswith(exit.error_value.message):
            verdict.divergence = (
                f"workflow {row.workflow_id} (run {row.run_id}): replaying its {len(history)} "
                f"records ended in an error the run did not have: {exit.error_value.message}")
    return verdict


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


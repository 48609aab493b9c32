"""`wippy-py workflow replay`: a run's history against the current code of its entry.

Replay must never write to the journal and never resume other runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from workflow_cli_harness import (
    ORDER,
    boot_until_finished,
    journal_dump,
    started_ids,
    status_of,
    wf,
    write_workflow_app,
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_workflow_app(tmp_path / "app")


@pytest.fixture
def order(app: Path) -> str:
    """A completed order workflow (6 records); a waiter stays running beside it."""
    wid, _ = started_ids(wf(app, "start", "app:order", "--id", "o-1",
                            "--input", '{"amount": 9}'))
    boot_until_finished(app, wid)
    started_ids(wf(app, "start", "app:waiter", "--id", "bystander"))
    return wid


def test_unchanged_code_replays_without_divergence(app: Path, order: str) -> None:
    before = journal_dump(app)
    result = wf(app, "replay", order)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("replayed 6 records of workflow o-1")
    assert result.stdout.rstrip().endswith("no divergence")
    assert journal_dump(app) == before
    assert status_of(app, "bystander") == "running"  # not resumed, no history added


def test_a_running_workflow_replays_up_to_where_it_waits(app: Path, order: str) -> None:
    before = journal_dump(app)
    result = wf(app, "replay", "bystander")
    assert result.exit_code == 0, result.output
    assert "replayed 0 records" in result.stdout and "no divergence" in result.stdout
    assert journal_dump(app) == before


def test_another_activity_is_reported_with_step_and_lua_line(app: Path, order: str) -> None:
    (app / "order.lua").write_text(ORDER.replace('funcs.call("app:check", charged.id)',
                                                 'funcs.call("app:charge", charged)'))
    before = journal_dump(app)
    result = wf(app, "replay", order)
    assert result.exit_code == 1
    out = result.stdout
    assert "workflow o-1" in out and "diverged from its journal at step 4" in out
    assert "funcs.call(app:charge)" in out and "funcs.call(app:check)" in out
    assert re.search(r"at order\.lua:6, but the journal holds", out)
    assert journal_dump(app) == before
    assert status_of(app, order) == "completed"


def test_code_that_now_returns_early_is_reported(app: Path, order: str) -> None:
    (app / "order.lua").write_text(ORDER.replace(
        '  time.sleep("10ms")\n', '  if charged then return "early" end\n  time.sleep("10ms")\n'))
    result = wf(app, "replay", order)
    assert result.exit_code == 1
    assert "at step 2: the code now returned there" in result.stdout
    assert "a durable timer of 10ms at order.lua:5" in result.stdout


def test_code_that_now_goes_on_past_a_finished_run_is_reported(app: Path, order: str) -> None:
    (app / "order.lua").write_text(ORDER.replace(
        "  return {id = charged.id, status = status}",
        '  funcs.call("app:check", "extra")\n  return {id = charged.id, status = status}'))
    result = wf(app, "replay", order)
    assert result.exit_code == 1
    assert ("diverged from its journal at step 6: the run completed there, but the code now "
            "issues funcs.call(app:check) at order.lua:7") in result.stdout


def test_a_failed_run_replays_to_the_same_error(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:broken", "--input", '"x"'))
    boot_until_finished(app, wid)
    assert status_of(app, wid) == "failed"
    result = wf(app, "replay", wid)
    assert result.exit_code == 0, result.output
    assert "no divergence" in result.stdout


def test_current_code_that_does_not_load_is_reported(app: Path, order: str) -> None:
    (app / "order.lua").write_text("local function main(\n")
    result = wf(app, "replay", order)
    assert result.exit_code == 2
    assert "cannot replay workflow o-1" in result.stderr and "order.lua" in result.stderr
    assert "Traceback" not in result.output


def test_replay_of_an_entry_that_is_gone(app: Path, order: str) -> None:
    text = (app / "_index.yaml").read_text()
    (app / "_index.yaml").write_text(text.replace("  - name: order\n", "  - name: order2\n"))
    result = wf(app, "replay", order)
    assert result.exit_code == 2
    assert "app:order is no longer a workflow.lua" in result.stderr

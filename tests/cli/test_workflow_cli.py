"""`wippy-py workflow`: start, list, show, signal, cancel, terminate, result, check.

The CLI runs in-process on a real journal file; the app that picks up what it posts
is booted in-process here (test_workflow_serve.py uses real `wippy-py run` processes).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from workflow_cli_harness import (
    boot_until_finished,
    journal_file,
    started_ids,
    status_of,
    wf,
    write_workflow_app,
)

from wippy_py.journal import Journal, Record, RunRow


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_workflow_app(tmp_path / "app")


def finished(app: Path, entry: str, *args: str) -> str:
    """Starts ENTRY, boots the app until it finishes, returns the workflow ID."""
    wid, _ = started_ids(wf(app, "start", entry, *args))
    boot_until_finished(app, wid)
    return wid


# ---------------------------------------------------------------- start


def test_start_creates_a_running_run_and_a_start_item_in_one_commit(app: Path) -> None:
    result = wf(app, "start", "app:order", "--id", "order-1", "--input", '{"amount": 42}')
    wid, run_id = started_ids(result)
    assert wid == "order-1" and re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert "wippy-py run" in result.stderr  # says who will pick it up
    with Journal(journal_file(app), create=False) as journal:
        row = journal.current_run("order-1")
        assert row is not None
        assert (row.run_id, row.entry, row.worker, row.status, row.input) == (
            run_id, "app:order", "app:worker", "running", [{"amount": 42}])
        assert journal.script(row.script_hash) == (app / "order.lua").read_text()
        [item] = journal.inbox_for("order-1")
        assert item.kind == "start"


def test_started_workflow_runs_at_the_next_boot(app: Path) -> None:
    wid = finished(app, "app:order", "--id", "order-1", "--input", '{"amount": 42}')
    result = wf(app, "result", wid)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"id": "tx-42", "status": "ok:tx-42"}
    with Journal(journal_file(app), create=False) as journal:
        assert journal.inbox_for(wid) == []


def test_start_with_the_id_of_a_running_workflow_uses_it(app: Path) -> None:
    _, run_id = started_ids(wf(app, "start", "app:waiter", "--id", "w"))
    again = wf(app, "start", "app:waiter", "--id", "w")
    assert again.exit_code == 0
    assert "already running" in again.stdout and run_id in again.stdout
    with Journal(journal_file(app), create=False) as journal:
        assert len(journal.runs()) == 1
        assert len(journal.inbox_for("w")) == 1


def test_start_with_the_id_of_a_finished_workflow_starts_a_new_run(app: Path) -> None:
    wid = finished(app, "app:echo", "--id", "e")
    _, second = started_ids(wf(app, "start", "app:echo", "--id", "e"))
    with Journal(journal_file(app), create=False) as journal:
        runs = journal.runs()
        assert len(runs) == 2 and runs[0].run_id == second
        assert journal.current_run(wid).status == "running"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], {"n": 0}),
        (["--input", '[1, "two", {"x": true}]'], {"n": 3, "args": [1, "two", {"x": True}]}),
        (["--input", '"solo"'], {"n": 1, "args": ["solo"]}),
        (["--input", '{"a": [1, 2]}'], {"n": 1, "args": [{"a": [1, 2]}]}),
    ],
    ids=["none", "array-is-positional", "string-is-one", "object-is-one"],
)
def test_input_json(app: Path, given: list[str], expected: dict) -> None:
    wid = finished(app, "app:echo", *given)
    result = wf(app, "result", wid)
    assert result.exit_code == 0, result.output
    value = json.loads(result.stdout)
    if expected["n"] == 0:
        assert value["n"] == 0
    else:
        assert value == expected


def test_bad_input_json_points_at_the_position(app: Path) -> None:
    result = wf(app, "start", "app:echo", "--input", '{"amount": 4x}')
    assert result.exit_code == 2
    assert "--input is not valid JSON" in result.stderr
    assert "line 1, column 13" in result.stderr
    assert '{"amount": 4x}\n' + " " * 4 + " " * 12 + "^" in result.stderr
    assert "Traceback" not in result.output
    assert not journal_file(app).exists()


def test_start_refuses_what_is_not_a_workflow(app: Path) -> None:
    result = wf(app, "start", "app:charge")
    assert result.exit_code == 2
    assert "app:charge is a function.lua, not a workflow.lua" in result.stderr
    assert "app:order" in result.stderr  # lists the workflows that exist
    missing = wf(app, "start", "app:nope")
    assert missing.exit_code == 2
    assert "no entry app:nope" in missing.stderr and "app:waiter" in missing.stderr


def test_app_without_a_worker_is_explained(tmp_path: Path) -> None:
    (tmp_path / "_index.yaml").write_text(
        "namespace: app\nentries:\n  - name: m\n    kind: process.lua\n    method: main\n"
        "    source: 'return {main = function() end}'\n")
    result = wf(tmp_path, "list")
    assert result.exit_code == 2
    assert "declares no temporal.worker" in result.stderr and "address: embedded" in result.stderr


def test_several_journals_need_a_worker(app: Path) -> None:
    text = (app / "_index.yaml").read_text()
    (app / "_index.yaml").write_text(text + (
        "  - name: client2\n    kind: temporal.client\n    address: embedded\n"
        "    journal: other.db\n"
        "  - name: worker2\n    kind: temporal.worker\n    client: app:client2\n"
        "    task_queue: q2\n"))
    result = wf(app, "list")
    assert result.exit_code == 2
    assert "2 journals" in result.stderr and "--worker" in result.stderr
    assert "app:worker2" in result.stderr and str(app / "other.db") in result.stderr
    assert wf(app, "list", "--worker", "app:worker2").exit_code == 0
    bad = wf(app, "list", "--worker", "app:charge")
    assert bad.exit_code == 2 and "not a temporal.worker" in bad.stderr
    # start picks the journal of the workflow's own worker
    wid, _ = started_ids(wf(app, "start", "app:echo"))
    shown = wf(app, "show", wid, "--worker", "app:worker")
    assert shown.exit_code == 0 and "app:echo" in shown.stdout


# ---------------------------------------------------------------- list, show


def test_list_shows_a_table_and_filters(app: Path) -> None:
    assert "no workflow runs yet" in wf(app, "list").stdout
    done = finished(app, "app:echo", "--id", "done-1")
    started_ids(wf(app, "start", "app:waiter", "--id", "waiting-1"))
    result = wf(app, "list")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["WORKFLOW", "ID", "RUN", "ENTRY", "STATUS", "CREATED", "UPDATED",
                              "STEPS"]
    assert rows[0].split()[:4][0] == "waiting-1" and "running" in rows[0]
    assert rows[1].startswith(done) and "completed" in rows[1] and "app:echo" in rows[1]
    only = wf(app, "list", "--status", "completed").stdout
    assert "done-1" in only and "waiting-1" not in only
    assert len(wf(app, "list", "--limit", "1").stdout.splitlines()) == 2
    assert "no workflow runs with status failed" in wf(app, "list", "--status", "failed").stdout
    assert wf(app, "list", "--status", "bogus").exit_code == 2


def test_show_prints_the_run_and_its_history(app: Path) -> None:
    wid = finished(app, "app:order", "--id", "o", "--input", '{"amount": 7}')
    result = wf(app, "show", wid)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"^status +completed$", out, re.M)
    assert re.search(r"^entry +app:order on app:worker$", out, re.M)
    assert '[{"amount": 7}]' in out and '"status": "ok:tx-7"' in out
    history = out.split("history (", 1)[1]
    assert history.startswith("6 records)")
    lines = history.splitlines()[1:]
    assert lines[0].split()[:2] == ["SEQ", "TYPE"]
    first = lines[1].split()
    assert first[:4] == ["0", "command", "call", "app:charge"]
    assert "order.lua:4" in lines[1]
    assert re.search(r"\d\d:\d\d:\d\d\.\d{3}$", lines[1])
    assert "timer" in lines[3] and "10ms" in lines[3] and "due " in lines[3]
    assert "fired" in lines[4]
    # a run ID and a run-ID prefix name the same run
    run_id = re.search(r"^run +([0-9a-f]{32})", out, re.M).group(1)  # type: ignore[union-attr]
    assert wf(app, "show", run_id).stdout == out
    assert wf(app, "show", run_id[:8]).stdout == out


def test_show_a_failed_run_has_the_error_and_lua_traceback(app: Path) -> None:
    wid = finished(app, "app:broken", "--input", '"now"')
    result = wf(app, "show", wid)
    assert result.exit_code == 0
    assert re.search(r"^status +failed$", result.stdout, re.M)
    assert re.search(r"^error +broken\.lua:2: kaput now", result.stdout, re.M)
    assert "traceback" in result.stdout and "broken.lua:5" in result.stdout
    res = wf(app, "result", wid)
    assert res.exit_code == 1
    assert f"workflow {wid} failed: broken.lua:2: kaput now" in res.stderr
    assert "broken.lua:5" in res.stderr


def test_unknown_ids_are_named(app: Path) -> None:
    for command in (["show"], ["result"], ["signal", "topic"], ["cancel"], ["terminate"],
                    ["replay"]):
        before = wf(app, command[0], "ghost", *command[1:])
        assert before.exit_code == 2, command
        assert "no workflow ghost" in before.stderr and "no workflow has run" in before.stderr
    started_ids(wf(app, "start", "app:waiter"))
    for command in (["show"], ["result"], ["signal", "topic"], ["cancel"], ["terminate"],
                    ["replay"]):
        result = wf(app, command[0], "ghost", *command[1:])
        assert result.exit_code == 2, command
        assert "no workflow or run ghost" in result.stderr
        assert "wippy-py workflow list" in result.stderr
        assert "Traceback" not in result.output


# ------------------------------------------------- signal, cancel, terminate


def test_signal_posted_while_no_app_runs_is_delivered_at_boot(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:waiter", "--input", '"ann"'))
    posted = wf(app, "signal", wid, "greet", '{"n": 1}')
    assert posted.exit_code == 0 and "signal greet posted" in posted.stdout
    boot_until_finished(app, wid)
    result = wf(app, "result", wid)
    assert json.loads(result.stdout) == {"hello": "ann", "topic": "greet", "got": {"n": 1}}
    shown = wf(app, "show", wid).stdout
    assert re.search(r"signal +greet +\{\"n\": 1\} from cli", shown)


def test_signal_to_a_finished_workflow_is_refused(app: Path) -> None:
    wid = finished(app, "app:echo")
    result = wf(app, "signal", wid, "topic", "1")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: workflow {wid} has completed; signals are only delivered to running workflows")
    for command in ("cancel", "terminate"):
        refused = wf(app, command, wid)
        assert refused.exit_code == 1 and "has completed" in refused.stderr


def test_signal_with_bad_json_names_the_position(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:waiter"))
    result = wf(app, "signal", wid, "t", "[1, 2,")
    assert result.exit_code == 2
    assert "the signal payload is not valid JSON" in result.stderr
    assert "column 7" in result.stderr
    with Journal(journal_file(app), create=False) as journal:
        assert [i.kind for i in journal.inbox_for(wid)] == ["start"]


def test_cancel_is_a_durable_event_the_workflow_sees(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:cancellable"))
    posted = wf(app, "cancel", wid, "--reason", "customer left")
    assert posted.exit_code == 0 and "cancel posted" in posted.stdout
    boot_until_finished(app, wid)
    result = wf(app, "result", wid)
    assert json.loads(result.stdout) == {"kind": "pid.cancel", "reason": "customer left"}
    assert re.search(r"event +cancel", wf(app, "show", wid).stdout)


def test_terminate_while_no_app_runs_is_applied_at_boot(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:waiter"))
    assert wf(app, "terminate", wid).exit_code == 0
    boot_until_finished(app, wid)
    assert status_of(app, wid) == "terminated"
    result = wf(app, "result", wid)
    assert result.exit_code == 1
    assert f"workflow {wid} was terminated" in result.stderr


# ---------------------------------------------------------------- result


def test_result_of_a_running_workflow_exits_3(app: Path) -> None:
    wid, _ = started_ids(wf(app, "start", "app:waiter"))
    result = wf(app, "result", wid)
    assert result.exit_code == 3
    assert "still running" in result.stderr and "--wait" in result.stderr
    waited = wf(app, "result", wid, "--wait", "--timeout", "0.3")
    assert waited.exit_code == 3
    assert "still running after 0.3s" in waited.stderr


# ------------------------------------------------------ check, bad journals


def test_check_a_sound_journal(app: Path) -> None:
    finished(app, "app:order", "--input", '{"amount": 1}')
    result = wf(app, "check")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"journal OK: {journal_file(app).resolve()} (1 run)"


def test_check_reports_problems(app: Path) -> None:
    _, run_id = started_ids(wf(app, "start", "app:waiter"))
    with sqlite3.connect(journal_file(app)) as raw:
        raw.execute("DELETE FROM scripts")
    raw.close()
    result = wf(app, "check")
    assert result.exit_code == 1
    assert "problem:" in result.stdout and run_id in result.stdout
    assert "1 problem(s)" in result.stderr


def test_check_without_a_journal(app: Path) -> None:
    result = wf(app, "check")
    assert result.exit_code == 2
    assert f"no journal at {journal_file(app).resolve()}" in result.stderr


def _fill(app: Path) -> None:
    with Journal(journal_file(app)) as journal:
        for i in range(20):
            journal.create_run(RunRow(f"r-{i}", f"wf-{i}", "app:order", "app:worker"))
            for seq in range(40):
                journal.append(f"r-{i}", Record(seq, "command", "call", "app:charge",
                                                value="x" * 40))
        journal.commit()


def _truncate(app: Path) -> None:
    _fill(app)
    path = journal_file(app)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _garbage(app: Path) -> None:
    journal_file(app).parent.mkdir(parents=True)
    journal_file(app).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)


def _newer(app: Path) -> None:
    _fill(app)
    with sqlite3.connect(journal_file(app)) as raw:
        raw.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
    raw.close()


@pytest.mark.parametrize(
    ("damage", "words"),
    [(_truncate, "truncated"), (_garbage, "damaged"), (_newer, "newer wippy-py")],
    ids=["truncated", "corrupt", "newer-schema"],
)
@pytest.mark.parametrize(
    "command",
    [["list"], ["show", "wf-1"], ["start", "app:echo"], ["signal", "wf-1", "t"], ["check"],
     ["result", "wf-1"], ["replay", "wf-1"]],
    ids=lambda c: c[0],
)
def test_a_bad_journal_is_reported_without_traceback(
    app: Path, damage, words: str, command: list[str]
) -> None:
    damage(app)
    before = journal_file(app).read_bytes()
    result = wf(app, *command)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert str(journal_file(app).resolve()) in result.stderr and words in result.stderr
    assert "Traceback" not in result.output
    assert journal_file(app).read_bytes() == before


def test_help_of_every_workflow_command() -> None:
    from click.testing import CliRunner

    from wippy_py.cli._main import cli

    for command in ("start", "list", "show", "signal", "cancel", "terminate", "result",
                    "replay", "check"):
        result = CliRunner().invoke(cli, ["workflow", command, "--help"])
        assert result.exit_code == 0 and "--app" in result.stdout, command
    top = CliRunner().invoke(cli, ["workflow", "--help"])
    assert "Exit codes" in top.stdout

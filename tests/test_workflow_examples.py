"""The seed workflows run end to end on the embedded engine, on a virtual clock.

Each example (``examples/order-processor``, ``saga``, ``approval``, ``fraud-review``
and their copies in the default app ``registry/workflows``) is copied to a temporary
directory, so its journal (``.wippy/journal.db``) is written there; its starter runs
on a :class:`Node` under ``trio.testing.MockClock`` (a 24h sleep passes at once
through the durable timer path). Every test checks the outcome and the journal, and
replays each finished run against the journal to show the code is deterministic.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from wippy_py.errors import ErrorValue
from wippy_py.journal import Journal, Record, RunRow
from wippy_py.node import Node
from wippy_py.process import Console
from wippy_py.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DAY = 86400.0
MONTH = 30 * DAY


# --------------------------------------------------------------------- helpers
def copy_app(name: str, tmp_path: Path) -> Path:
    """A copy of an example (or of ``registry``) without any journal."""
    source = ROOT / name if name == "registry" else EXAMPLES / name
    target = tmp_path / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".wippy"))
    return target


@dataclass
class Ran:
    """A starter run: what it printed and returned, and the app's journal."""

    app: Path
    stdout: str
    value: Any
    error: ErrorValue | None

    def journal(self) -> Journal:
        return Journal(self.app / ".wippy" / "journal.db", create=False)

    def run_of(self, workflow_id: str) -> RunRow:
        with self.journal() as journal:
            row = journal.current_run(workflow_id)
        assert row is not None, f"no run of {workflow_id}"
        return row

    def history(self, workflow_id: str) -> list[Record]:
        with self.journal() as journal:
            row = journal.current_run(workflow_id)
            assert row is not None, f"no run of {workflow_id}"
            assert journal.check() == []
            return journal.history(row.run_id)


def start(app: Path, entry: str, *args: str, virtual_seconds: float = MONTH) -> Ran:
    """Runs ``entry`` of ``app`` on a fresh node, at most ``virtual_seconds`` long."""
    out = io.StringIO()
    node = Node(load_registry(app), console=Console(out, io.StringIO()))

    async def main() -> Any:
        with trio.move_on_after(virtual_seconds):
            return await node.run_entry(entry, list(args))
        return None

    exit = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    for engine in node.engines:
        engine.journal.close()
    if exit is None:
        return Ran(app, out.getvalue(), None, None)
    return Ran(app, out.getvalue(), node.exit_to_python(exit), exit.error_value)


def steps(history: list[Record]) -> list[tuple[str, str]]:
    """The history as (kind, target) pairs; events that complete a command name it."""
    return [(r.kind, r.target) for r in history]


def calls(history: list[Record]) -> list[str]:
    """The activities a run called, in order."""
    return [r.target for r in history if r.kind == "call"]


def completed(history: list[Record], target: str) -> Any:
    """The recorded result of the (single) call of ``target``."""
    (call,) = [r for r in history if r.kind == "call" and r.target == target]
    (event,) = [r for r in history if r.kind == "completed" and r.ref == call.seq]
    assert event.error is None, event.error
    return event.value


def assert_replays(app: Path, workflow_id: str) -> None:
    """Replays the run's history against the app's current code: it must match to the
    end and, when the run finished, finish the same way."""
    node = Node(load_registry(app), console=Console(io.StringIO(), io.StringIO()))
    (engine,) = node.engines
    row = engine.journal.current_run(workflow_id)
    assert row is not None
    history = engine.journal.history(row.run_id)
    source = str(node.registry.require(row.entry, "workflow.lua").data.get("source") or "")

    async def main() -> Any:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.scheduler.run)
            run = engine.resume(row, history, verify_only=True, source=source)
            done = trio.Event()
            run.proc.add_exit_callback(lambda _p, _e: done.set())
            if run.proc.exit is None:
                await done.wait()
            nursery.cancel_scope.cancel()
        return run

    try:
        run = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    finally:
        engine.journal.close()  # nothing was committed: the replay wrote nothing
    assert run.failure is None, run.failure.message
    exit = run.proc.exit
    assert exit is not None
    if row.status == "running":
        assert engine.verify_outcome == "ok"  # matched up to where the run waits
        return
    # a finished run: the code must end where the history ends, the same way
    assert engine.verify_outcome is None, "the history ran out but the code goes on"
    assert run.replay is None or run.replay.live, (
        f"the code ended at step {run.replay.position} of {len(history)}")
    if row.status == "completed":
        assert exit.error_value is None
        assert node.exit_to_python(exit) == row.result
    else:
        assert row.status == "failed" and row.error is not None
        assert exit.error_value is not None
        assert exit.error_value.message == row.error["message"]


# ------------------------------------------------------------ order processor
ORDER_ID = "order-A-1001"


def test_order_processor_charges_waits_a_day_and_checks(tmp_path: Path) -> None:
    ran = start(copy_app("order-processor", tmp_path), "app:main")
    assert ran.error is None and ran.value == 0
    assert ran.stdout.splitlines() == [
        "workflow {app:temporal_worker|order-A-1001} started: charge, wait 24h, check the charge",
        "charge ch_A-1001_4242: succeeded",
    ]
    history = ran.history(ORDER_ID)
    assert [(r.type, r.kind, r.target) for r in history] == [
        ("command", "call", "app.api:charge_card"),
        ("event", "completed", "app.api:charge_card"),
        ("command", "timer", "24h0m0s"),
        ("event", "fired", ""),
        ("command", "call", "app.api:check_status"),
        ("event", "completed", "app.api:check_status"),
    ]
    timer, fired = history[2], history[3]
    assert fired.ref == timer.seq and fired.value == timer.value
    assert timer.value - timer.at == pytest.approx(DAY, abs=1)  # due a day later
    assert fired.at >= timer.value  # and fired (on the virtual clock) when due
    assert completed(history, "app.api:check_status") == "succeeded"
    row = ran.run_of(ORDER_ID)
    assert row.status == "completed"
    assert row.result == {"charge": "ch_A-1001_4242", "status": "succeeded", "refunded": False}
    assert_replays(ran.app, ORDER_ID)


def test_order_processor_refunds_a_charge_that_failed(tmp_path: Path) -> None:
    ran = start(copy_app("order-processor", tmp_path), "app:main", "4000000000000002")
    assert ran.value == 0
    assert ran.stdout.splitlines()[-1] == "charge ch_A-1001_0002: failed (refunded)"
    history = ran.history(ORDER_ID)
    assert steps(history) == [
        ("call", "app.api:charge_card"), ("completed", "app.api:charge_card"),
        ("timer", "24h0m0s"), ("fired", ""),
        ("call", "app.api:check_status"), ("completed", "app.api:check_status"),
        ("call", "app.api:refund"), ("completed", "app.api:refund"),
    ]
    assert completed(history, "app.api:check_status") == "failed"
    assert completed(history, "app.api:refund") == {
        "id": "re_ch_A-1001_0002", "charge": "ch_A-1001_0002", "status": "refunded"}
    assert ran.run_of(ORDER_ID).result["refunded"] is True
    assert_replays(ran.app, ORDER_ID)


def test_order_processor_stopped_during_the_day_resumes_and_charges_once(
    tmp_path: Path,
) -> None:
    app = copy_app("order-processor", tmp_path)
    first = start(app, "app:main", virtual_seconds=3600)  # stopped an hour into the wait
    assert first.value is None
    assert first.run_of(ORDER_ID).status == "running"
    assert steps(first.history(ORDER_ID)) == [
        ("call", "app.api:charge_card"), ("completed", "app.api:charge_card"),
        ("timer", "24h0m0s"),
    ]
    assert_replays(app, ORDER_ID)  # the history so far replays (and stops where it ends)

    second = start(app, "app:main")  # the starter attaches to the run in flight
    assert second.value == 0
    assert second.stdout.splitlines()[-1] == "charge ch_A-1001_4242: succeeded"
    with second.journal() as journal:
        assert [(r.workflow_id, r.status) for r in journal.runs()] == [(ORDER_ID, "completed")]
    history = second.history(ORDER_ID)
    assert calls(history) == ["app.api:charge_card", "app.api:check_status"]  # charged once
    assert history[2].value == first.history(ORDER_ID)[2].value  # the same due time


# ------------------------------------------------------------------------ saga
SAGA_CASES = {
    "ok": (["app.inventory:reserve", "app.payments:charge", "app.shipping:create"], None),
    "out-of-stock": (["app.inventory:reserve"], "out of stock: lamp (wanted 5, 3 available)"),
    "card-declined": (
        ["app.inventory:reserve", "app.payments:charge", "app.inventory:release"],
        "card declined: 899.00 is over the limit of 500",
    ),
    "no-shipping": (
        ["app.inventory:reserve", "app.payments:charge", "app.shipping:create",
         "app.payments:refund", "app.inventory:release"],
        "no carrier ships to AQ",
    ),
}


@pytest.mark.parametrize("scenario", list(SAGA_CASES))
def test_saga_compensates_the_steps_done_before_a_failure(
    tmp_path: Path, scenario: str
) -> None:
    expected_calls, failure = SAGA_CASES[scenario]
    ran = start(copy_app("saga", tmp_path), "app:main", scenario)
    workflow_id = f"saga-{scenario}"
    history = ran.history(workflow_id)
    assert calls(history) == expected_calls
    # every call completed, in order: call, completed, call, completed, ...
    assert [r.kind for r in history] == ["call", "completed"] * len(expected_calls)
    row = ran.run_of(workflow_id)
    if failure is None:
        assert ran.value == 0 and row.status == "completed"
        assert ran.stdout.splitlines()[-1] == (
            "order placed: reservation res-book-12, payment pay-3700, shipment ship-S-ok-DE (DHL)")
        assert row.result["shipping"] == {"id": "ship-S-ok-DE", "carrier": "DHL"}
    else:
        assert ran.value == 1 and row.status == "failed"
        assert row.error is not None and row.error["message"] == failure
        assert ran.stdout.splitlines()[-1] == f"saga failed: {failure}"
    # the compensations name what the earlier steps produced
    if "app.inventory:release" in expected_calls:
        reserved = completed(history, "app.inventory:reserve")["id"]
        assert completed(history, "app.inventory:release") == {"id": reserved, "released": True}
    if "app.payments:refund" in expected_calls:
        paid = completed(history, "app.payments:charge")["id"]
        assert completed(history, "app.payments:refund") == {"id": paid, "refunded": True}
    assert_replays(ran.app, workflow_id)


# -------------------------------------------------------------------- approval
APPROVAL_ID = "approval-A-2001"


@pytest.mark.parametrize(("decision", "branch", "line"), [
    ("approve", "app.orders:fulfill", "order A-2001 approved and fulfilled by finance-lead"),
    ("reject", "app.notifications:send_rejection",
     "order A-2001 rejected (requester notified) by finance-lead"),
], ids=["approve", "reject"])
def test_approval_takes_the_decision_from_its_inbox(
    tmp_path: Path, decision: str, branch: str, line: str
) -> None:
    ran = start(copy_app("approval", tmp_path), "app:main", decision)
    assert ran.value == 0
    assert ran.stdout.splitlines()[-1] == line
    history = ran.history(APPROVAL_ID)
    assert calls(history) == ["app.approvals:submit", branch]
    (signal,) = [r for r in history if r.kind == "signal"]
    assert signal.type == "event" and signal.target == "decision"
    assert signal.value["data"] == {"approved": decision == "approve", "by": "finance-lead"}
    assert signal.value["from"].startswith("{app:terminal|")
    branch_call = next(r for r in history if r.target == branch)
    assert signal.seq < branch_call.seq  # the branch follows the decision
    assert ran.run_of(APPROVAL_ID).result == {
        "order_id": "A-2001", "approved": decision == "approve", "decided_by": "finance-lead"}
    assert_replays(ran.app, APPROVAL_ID)


def test_approval_waits_days_for_a_signal(tmp_path: Path) -> None:
    """No decision yet: the run waits (its journal ends with the submission); a
    signal three days later lets it go on."""
    app = copy_app("approval", tmp_path)
    node = Node(load_registry(app), console=Console(io.StringIO(), io.StringIO()))
    (engine,) = node.engines
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.scheduler.run)
            await nursery.start(engine.run)
            run = engine.start("app.workflows:approval", "app:temporal_worker",
                               [{"order_id": "B-7", "amount": 80, "requester": "bo"}],
                               workflow_id="approval-B-7")
            ended = trio.Event()
            run.proc.add_exit_callback(lambda _p, _e: ended.set())
            await trio.sleep(3 * DAY)
            seen["waiting"] = [(r.kind, r.target) for r in engine.journal.history(run.run_id)]
            seen["alive"] = run.proc.alive
            engine.signal("approval-B-7", "decision", {"approved": True, "by": "cfo"}, "test")
            await ended.wait()
            engine.stop()
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    engine.journal.close()
    assert seen["alive"] is True
    assert seen["waiting"] == [("call", "app.approvals:submit"),
                               ("completed", "app.approvals:submit")]
    ran = Ran(app, "", None, None)
    assert ran.run_of("approval-B-7").result == {
        "order_id": "B-7", "approved": True, "decided_by": "cfo"}
    history = ran.history("approval-B-7")
    assert steps(history)[2:] == [("signal", "decision"), ("call", "app.orders:fulfill"),
                                  ("completed", "app.orders:fulfill")]
    assert history[2].at - history[1].at >= 3 * DAY
    assert_replays(app, "approval-B-7")


# ---------------------------------------------------------------- fraud review
RESERVE, PAY = "app.fulfillment:reserve_inventory", "app.fulfillment:process_payment"
NOTIFY, REFUND = "app.fulfillment:notify_fraud_team", "app.fulfillment:refund_payment"
FINISH = ["app.fulfillment:deduct_inventory", "app.fulfillment:send_order_confirmation_email",
          "app.fulfillment:send_follow_up_email"]
FRAUD_CASES: dict[str, tuple[list[str], str, str | None]] = {
    "ok": ([RESERVE, PAY, *FINISH], "订单 F-3001-ok 处理成功。", None),
    "approve": ([RESERVE, PAY, NOTIFY, *FINISH], "订单 F-3001-approve 处理成功。", None),
    "reject": ([RESERVE, PAY, NOTIFY, REFUND], "订单 F-3001-reject 处理失败。", "欺诈审核被拒绝"),
    "timeout": ([RESERVE, PAY, NOTIFY, REFUND], "订单 F-3001-timeout 处理失败。", "欺诈审核超时"),
    "flaky": ([RESERVE, PAY, *FINISH], "订单 F-3001-flaky 处理成功。", None),
}


@pytest.mark.parametrize("scenario", list(FRAUD_CASES))
def test_fraud_review(tmp_path: Path, scenario: str) -> None:
    expected_calls, message, failure = FRAUD_CASES[scenario]
    ran = start(copy_app("fraud-review", tmp_path), "app:main", scenario)
    workflow_id = f"order-F-3001-{scenario}"
    assert ran.value == 0, ran.stdout
    assert ran.stdout.splitlines()[-1] == message
    history = ran.history(workflow_id)
    assert calls(history) == expected_calls
    row = ran.run_of(workflow_id)
    assert row.status == "completed" and row.result == message

    payment = completed(history, PAY)
    assert payment["transaction_id"] == f"txn-F-3001-{scenario}"
    review = NOTIFY in expected_calls
    assert payment["status"] == ("REQUIRES_REVIEW" if review else "APPROVED")
    # the flaky gateway fails twice: the retry policy (10s, then 20s) gets attempt 3
    assert payment["attempt"] == (3 if scenario == "flaky" else 1)
    if scenario == "flaky":
        pay_call = next(r for r in history if r.kind == "call" and r.target == PAY)
        pay_done = next(r for r in history if r.kind == "completed" and r.ref == pay_call.seq)
        assert pay_done.at - pay_call.at == pytest.approx(30, abs=1)

    signals = [r for r in history if r.kind == "signal"]
    timers = {r.seq: r for r in history if r.kind == "timer"}
    fired = {r.ref: r for r in history if r.kind == "fired"}
    if review:
        (review_timer,) = [t for t in timers.values() if t.target == "2h0m0s"]
        assert review_timer.value - review_timer.at == pytest.approx(7200, abs=1)
    if scenario in ("approve", "reject"):
        (signal,) = signals
        assert signal.target == "fraudReviewApproved"
        assert signal.value["data"] is (scenario == "approve")
    else:
        assert signals == []
    if scenario == "timeout":  # the virtual clock reached the 2h timer: it won the race
        assert review_timer.seq in fired
        fired_at = fired[review_timer.seq]
        assert fired_at.at - review_timer.at >= 7200
        refund_call = next(r for r in history if r.kind == "call" and r.target == REFUND)
        assert fired_at.seq < refund_call.seq
    if failure is None:
        (day,) = [t for t in timers.values() if t.target == "24h0m0s"]
        assert day.seq in fired
        follow_up = next(r for r in history if r.kind == "call" and r.target == FINISH[-1])
        assert fired[day.seq].seq < follow_up.seq  # the follow-up waits a day
        assert [r for r in history if r.kind == "attrs"] == []
    else:
        assert completed(history, REFUND) == {
            "transaction_id": f"txn-F-3001-{scenario}", "refunded": True}
        (memo,) = [r for r in history if r.kind == "attrs"]
        assert memo.value == {"memo": {"failure": failure}}
    assert_replays(ran.app, workflow_id)


# ----------------------------------------------------------------- default app
def test_default_app_holds_the_example_sources() -> None:
    """registry/workflows runs the same Lua as the examples (no drift)."""
    pairs: dict[str, list[tuple[str, str]]] = {
        "order-processor": [("order_processor.lua", "order_processor.lua"),
                            ("api.lua", "api.lua"), ("start_order.lua", "start_order.lua")],
        "saga": [(name, name) for name in ("order_saga.lua", "inventory.lua", "payments.lua",
                                           "shipping.lua", "start_saga.lua")],
        "approval": [("approval.lua", "approval.lua"),
                     ("start_approval.lua", "start_approval.lua"),
                     ("activities.lua", "approval_activities.lua")],
        "fraud-review": [(name, name) for name in ("order_processing.lua", "fulfillment.lua",
                                                   "start_fraud_review.lua")],
    }
    for example, files in pairs.items():
        for ours, theirs in files:
            example_text = (EXAMPLES / example / ours).read_text()
            assert (ROOT / "registry" / "workflows" / theirs).read_text() == example_text, \
                f"registry/workflows/{theirs} differs from examples/{example}/{ours}"


@pytest.mark.parametrize(("entry", "args", "workflow_id", "last_line"), [
    ("app:order", ["4000000000000002"], ORDER_ID, "charge ch_A-1001_0002: failed (refunded)"),
    ("app:saga", ["no-shipping"], "saga-no-shipping", "saga failed: no carrier ships to AQ"),
    ("app:approval", ["approve"], APPROVAL_ID,
     "order A-2001 approved and fulfilled by finance-lead"),
    ("app:fraud_review", ["timeout"], "order-F-3001-timeout", "订单 F-3001-timeout 处理失败。"),
], ids=["order", "saga", "approval", "fraud-review"])
def test_default_app_runs_the_seed_workflows(
    tmp_path: Path, entry: str, args: list[str], workflow_id: str, last_line: str
) -> None:
    ran = start(copy_app("registry", tmp_path), entry, *args)
    assert ran.stdout.splitlines()[-1] == last_line
    assert ran.run_of(workflow_id).status in ("completed", "failed")
    assert ran.history(workflow_id)
    assert_replays(ran.app, workflow_id)


def test_default_app_demo_still_runs(tmp_path: Path) -> None:
    ran = start(copy_app("registry", tmp_path), "app:demo")
    assert ran.value == 0 and "Invoice" in ran.stdout


# ------------------------------------------------------------------------- CLI
def wippy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wippy_py", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


@pytest.mark.parametrize(("example", "args", "last_line", "code"), [
    ("order-processor", ["order"], "charge ch_A-1001_4242: succeeded", 0),
    ("saga", ["saga", "card-declined"], "saga failed: card declined: 899.00 is over the limit "
                                        "of 500", 1),
    ("approval", ["approval", "reject"],
     "order A-2001 rejected (requester notified) by finance-lead", 0),
    ("fraud-review", ["order", "approve"], "订单 F-3001-approve 处理成功。", 0),
    ("fraud-review", ["order", "timeout"], "订单 F-3001-timeout 处理失败。", 0),
], ids=["order-processor", "saga", "approval", "fraud-review-approve", "fraud-review-timeout"])
def test_examples_run_from_the_command_line(
    tmp_path: Path, example: str, args: list[str], last_line: str, code: int
) -> None:
    app = copy_app(example, tmp_path)
    result = wippy("run", str(app), "--clock", "virtual", *args)
    assert result.returncode == code, result.stderr
    assert result.stdout.splitlines()[-1] == last_line
    assert (app / ".wippy" / "journal.db").exists()
    if example == "saga":
        assert "compensation: stock released" in result.stderr

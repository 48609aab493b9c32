"""One behaviour, two engines: the seed workflows on the embedded engine and on Temporal.

Every scenario runs twice, parametrised over the engine (``engines.py``): the seed's
starter runs on a fresh node, then the test reads what the engine recorded (the
journal, or the Temporal history) in engine-neutral form and asserts the same
observable results on both: what the starter printed and returned, the activities
called and their results, the signals, the number of durable timers, the memo, and
how the run ended. The restart scenarios stop the node in the middle of a workflow
(it waits on a durable timer) and start a fresh one, which must finish the run
without repeating a step.

Long waits: the embedded engine runs the seeds as written on a virtual clock. The
Temporal dev server has no time skipping, so on Temporal the copy's 24h waits and
the 10 s retry interval are shortened to a second or two; the fraud review keeps its
2h timer when a reviewer answers (the starter signals at once, long before it could
fire) and shortens it when the scenario is the timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engines import Engine, Observed, TemporalEngine

DAY_WAIT = {"order_processor.lua": {'time.sleep("24h")': 'time.sleep("1s")'}}


# ------------------------------------------------------------ order processor
ORDER_ID = "order-A-1001"
ORDER_STARTED = ("workflow {app:temporal_worker|order-A-1001} started: charge, wait 24h, "
                 "check the charge")


@pytest.mark.parametrize(("card", "status", "line"), [
    ("4242424242424242", "succeeded", "charge ch_A-1001_4242: succeeded"),
    ("4000000000000002", "failed", "charge ch_A-1001_0002: failed (refunded)"),
], ids=["settles", "refunded"])
def test_order_processor(engine: Engine, tmp_path: Path, card: str, status: str,
                         line: str) -> None:
    app = engine.prepare("order-processor", tmp_path, DAY_WAIT)
    started = engine.start(app, "app:main", card, workflow_id=ORDER_ID)
    assert started.stdout == [ORDER_STARTED, line]
    assert started.value == 0
    seen = engine.observe(app, ORDER_ID)
    charge = f"ch_A-1001_{card[-4:]}"
    refunded = status == "failed"
    assert seen.status == "completed"
    assert seen.result == {"charge": charge, "status": status, "refunded": refunded}
    assert seen.calls == ["app.api:charge_card", "app.api:check_status",
                          *(["app.api:refund"] if refunded else [])]
    assert seen.result_of("app.api:charge_card")["id"] == charge
    assert seen.result_of("app.api:check_status") == status
    assert seen.timers == 1 and seen.signals == [] and seen.memo == {}


def test_order_processor_survives_a_restart_during_its_wait(engine: Engine,
                                                            tmp_path: Path) -> None:
    # On Temporal the wait is long enough for the first node to stop before it ends.
    app = engine.prepare("order-processor", tmp_path, {
        "order_processor.lua": {'time.sleep("24h")': 'time.sleep("3s")'}})
    first = engine.start(app, "app:main", workflow_id=ORDER_ID, stop_midway=True)
    assert first.stdout == [ORDER_STARTED] and first.value is None
    waiting = engine.observe(app, ORDER_ID)
    assert waiting.status == "running"
    assert waiting.calls == ["app.api:charge_card"] and waiting.timers == 1

    # A fresh node: the starter attaches to the run in flight (same workflow ID).
    second = engine.start(app, "app:main", workflow_id=ORDER_ID)
    assert second.stdout == [ORDER_STARTED, "charge ch_A-1001_4242: succeeded"]
    assert second.value == 0
    seen = engine.observe(app, ORDER_ID)
    assert seen.status == "completed"
    assert seen.calls == ["app.api:charge_card", "app.api:check_status"]  # charged once
    assert seen.timers == 1  # the same timer, not a new day of waiting
    if isinstance(engine, TemporalEngine):  # the second worker rebuilt the run by replay
        assert engine.identities(ORDER_ID)[0] == "node-1"
        assert engine.identities(ORDER_ID)[-1] == "node-2"


# ------------------------------------------------------------------------ saga
RESERVE, RELEASE = "app.inventory:reserve", "app.inventory:release"
CHARGE, REFUND = "app.payments:charge", "app.payments:refund"
SHIP = "app.shipping:create"
SAGA_CASES = {
    "ok": ([RESERVE, CHARGE, SHIP], None),
    "out-of-stock": ([RESERVE], "out of stock: lamp (wanted 5, 3 available)"),
    "card-declined": ([RESERVE, CHARGE, RELEASE],
                      "card declined: 899.00 is over the limit of 500"),
    "no-shipping": ([RESERVE, CHARGE, SHIP, REFUND, RELEASE], "no carrier ships to AQ"),
}


@pytest.mark.parametrize("scenario", list(SAGA_CASES))
def test_saga(engine: Engine, tmp_path: Path, scenario: str) -> None:
    expected_calls, failure = SAGA_CASES[scenario]
    app = engine.prepare("saga", tmp_path)
    workflow_id = f"saga-{scenario}"
    started = engine.start(app, "app:main", scenario, workflow_id=workflow_id)
    assert started.stdout[0] == (f"workflow {{app:temporal_worker|{workflow_id}}} started "
                                 f"(scenario {scenario})")
    seen = engine.observe(app, workflow_id)
    assert seen.calls == expected_calls
    if failure is None:
        assert started.value == 0 and seen.status == "completed"
        assert started.stdout[1:] == [
            "order placed: reservation res-book-12, payment pay-3700, shipment ship-S-ok-DE (DHL)"]
        assert seen.result["shipping"] == {"id": "ship-S-ok-DE", "carrier": "DHL"}
    else:
        assert started.value == 1 and seen.status == "failed"
        assert seen.error == failure
        assert started.stdout[1:] == [f"saga failed: {failure}"]
    # the compensations name what the earlier steps produced
    if RELEASE in expected_calls:
        reserved = seen.result_of(RESERVE)["id"]
        assert seen.result_of(RELEASE) == {"id": reserved, "released": True}
    if REFUND in expected_calls:
        paid = seen.result_of(CHARGE)["id"]
        assert seen.result_of(REFUND) == {"id": paid, "refunded": True}
    assert seen.timers == 0 and seen.signals == []


# -------------------------------------------------------------------- approval
APPROVAL_ID = "approval-A-2001"


@pytest.mark.parametrize(("decision", "branch", "line"), [
    ("approve", "app.orders:fulfill", "order A-2001 approved and fulfilled by finance-lead"),
    ("reject", "app.notifications:send_rejection",
     "order A-2001 rejected (requester notified) by finance-lead"),
], ids=["approve", "reject"])
def test_approval_by_signal_through_the_inbox(engine: Engine, tmp_path: Path, decision: str,
                                              branch: str, line: str) -> None:
    app = engine.prepare("approval", tmp_path)
    started = engine.start(app, "app:main", decision, workflow_id=APPROVAL_ID)
    assert started.value == 0
    assert started.stdout == [
        "workflow {app:temporal_worker|approval-A-2001} started: it submits the request, "
        "then waits for the decision",
        f"decision sent: {decision}",
        line,
    ]
    seen = engine.observe(app, APPROVAL_ID)
    assert seen.status == "completed"
    assert seen.calls == ["app.approvals:submit", branch]
    assert seen.signals == [("decision", {"approved": decision == "approve",
                                          "by": "finance-lead"})]
    assert seen.result == {"order_id": "A-2001", "approved": decision == "approve",
                           "decided_by": "finance-lead"}


# ---------------------------------------------------------------- fraud review
RESERVE_STOCK, PAY = "app.fulfillment:reserve_inventory", "app.fulfillment:process_payment"
NOTIFY, REFUND_PAYMENT = "app.fulfillment:notify_fraud_team", "app.fulfillment:refund_payment"
FINISH = ["app.fulfillment:deduct_inventory", "app.fulfillment:send_order_confirmation_email",
          "app.fulfillment:send_follow_up_email"]
# scenario: calls, durable timers started, the reviewer's signal, failure in the memo
FRAUD_CASES: dict[str, tuple[list[str], int, bool | None, str | None]] = {
    "ok": ([RESERVE_STOCK, PAY, *FINISH], 1, None, None),
    "approve": ([RESERVE_STOCK, PAY, NOTIFY, *FINISH], 2, True, None),
    "reject": ([RESERVE_STOCK, PAY, NOTIFY, REFUND_PAYMENT], 1, False, "欺诈审核被拒绝"),
    "timeout": ([RESERVE_STOCK, PAY, NOTIFY, REFUND_PAYMENT], 1, None, "欺诈审核超时"),
    "flaky": ([RESERVE_STOCK, PAY, *FINISH], 1, None, None),
}


def fraud_waits(review: str) -> dict[str, dict[str, str]]:
    """The fraud review's waits on Temporal: a second for the day and the retry
    interval; the 2h review timer becomes ``review`` (kept when a reviewer answers)."""
    swaps = {'time.sleep("24h")': 'time.sleep("1s")',
             'initial_interval = "10s"': 'initial_interval = "1s"'}
    if review != "2h":
        swaps['time.after("2h")'] = f'time.after("{review}")'
    return {"order_processing.lua": swaps}


@pytest.mark.parametrize("scenario", list(FRAUD_CASES))
def test_fraud_review_races_the_reviewer_against_a_timer(engine: Engine, tmp_path: Path,
                                                         scenario: str) -> None:
    failure = FRAUD_CASES[scenario][3]
    app = engine.prepare("fraud-review", tmp_path,
                         fraud_waits("2s" if scenario == "timeout" else "2h"))
    workflow_id = f"order-F-3001-{scenario}"
    started = engine.start(app, "app:main", scenario, workflow_id=workflow_id)
    message = f"订单 F-3001-{scenario} 处理{'失败' if failure else '成功'}。"
    assert started.value == 0
    assert started.stdout[0] == (f"workflow {{app:temporal_worker|{workflow_id}}} started "
                                 f"(scenario {scenario})")
    assert started.stdout[-1] == message
    assert_fraud_review(engine.observe(app, workflow_id), scenario, message)


def assert_fraud_review(seen: Observed, scenario: str, message: str) -> None:
    """The engine-neutral record of a finished fraud review."""
    expected_calls, timers, review, failure = FRAUD_CASES[scenario]
    assert seen.status == "completed" and seen.result == message
    assert seen.calls == expected_calls
    assert seen.timers == timers
    payment = seen.result_of(PAY)
    assert payment["transaction_id"] == f"txn-F-3001-{scenario}"
    assert payment["status"] == ("REQUIRES_REVIEW" if NOTIFY in expected_calls else "APPROVED")
    # the flaky gateway fails twice: the retry policy gets attempt 3 (ctx.attempt)
    assert payment["attempt"] == (3 if scenario == "flaky" else 1)
    assert seen.signals == ([] if review is None else [("fraudReviewApproved", review)])
    if failure is None:
        assert seen.memo == {}
    else:
        assert seen.result_of(REFUND_PAYMENT) == {
            "transaction_id": f"txn-F-3001-{scenario}", "refunded": True}
        assert seen.memo == {"failure": failure}


def test_fraud_review_survives_a_restart_while_the_review_is_pending(
    engine: Engine, tmp_path: Path
) -> None:
    # Nobody reviews: the node stops while the 2h race is on, a fresh node picks the
    # run up and the timer wins (on Temporal 5 s: the first node is gone by then).
    app = engine.prepare("fraud-review", tmp_path, fraud_waits("5s"))
    workflow_id = "order-F-3001-timeout"
    first = engine.start(app, "app:main", "timeout", workflow_id=workflow_id,
                         stop_midway=True)
    assert first.value is None and len(first.stdout) == 1
    waiting = engine.observe(app, workflow_id)
    assert waiting.status == "running"
    assert waiting.calls == [RESERVE_STOCK, PAY, NOTIFY] and waiting.timers == 1

    second = engine.start(app, "app:main", "timeout", workflow_id=workflow_id)
    assert second.value == 0
    assert second.stdout[-1] == "订单 F-3001-timeout 处理失败。"
    assert_fraud_review(engine.observe(app, workflow_id), "timeout",
                        "订单 F-3001-timeout 处理失败。")
    if isinstance(engine, TemporalEngine):
        assert engine.identities(workflow_id)[-1] == "node-2"

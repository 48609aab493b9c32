"""The pure pieces of wippy_py.workflow: argument hashes, the replay cursor, options,
the per-run random generator."""

from __future__ import annotations

import re

import pytest

from wippy_py.errors import NondeterminismError
from wippy_py.journal import Record
from wippy_py.workflow import (
    ActivityOptions,
    LuaRandom,
    OptionsError,
    Replay,
    RetryPolicy,
    StartOptions,
    args_hash,
)


def test_equal_tables_hash_alike_whatever_their_key_order() -> None:
    a = {"b": 1, "a": [1, 2, {"y": 2, "x": 1}], 3: "three"}
    b = {3: "three", "a": [1, 2, {"x": 1, "y": 2}], "b": 1}
    assert args_hash(a) == args_hash(b)
    assert args_hash([a]) != args_hash([{**a, "b": 2}])
    assert args_hash([1, 2]) != args_hash([2, 1])
    assert args_hash([1]) != args_hash([1.5])


def _history() -> list[Record]:
    return [
        Record(0, "command", "call", "app:charge", "h1", location="order.lua:4"),
        Record(1, "event", "completed", "app:charge", value={"id": 1}, ref=0),
        Record(2, "command", "timer", "24h0m0s", "", value=100.0, location="order.lua:5"),
    ]


def test_replay_serves_the_history_in_order_then_goes_live() -> None:
    replay = Replay("wf-1", "r-1", _history())
    assert replay.match("call", "app:charge", "h1", "order.lua:4") is not None
    event = replay.next_event()
    assert event is not None and event.value == {"id": 1}
    timer = replay.match("timer", "24h0m0s", "", "order.lua:5")
    assert timer is not None and timer.value == 100.0
    assert replay.live
    assert replay.match("call", "app:status", "h2", "order.lua:6") is None
    assert replay.next_event() is None


def test_another_target_or_other_arguments_are_a_divergence() -> None:
    with pytest.raises(NondeterminismError, match=(
            r"workflow wf-1 \(run r-1\) diverged from its journal at step 0: the code now "
            r"issues funcs.call\(app:refund\) \[args h1\] at order.lua:9, but the journal holds "
            r"funcs.call\(app:charge\) \[args h1\] at order.lua:4")):
        Replay("wf-1", "r-1", _history()).match("call", "app:refund", "h1", "order.lua:9")
    with pytest.raises(NondeterminismError, match=r"\[args h9\].*\[args h1\]"):
        Replay("wf-1", "r-1", _history()).match("call", "app:charge", "h9", "order.lua:4")


def test_code_that_waits_where_the_history_has_a_command_is_a_divergence() -> None:
    replay = Replay("wf-1", "r-1", _history())
    with pytest.raises(NondeterminismError, match="the code is waiting"):
        replay.next_event()


def test_a_command_where_the_history_has_an_event_is_a_divergence() -> None:
    replay = Replay("wf-1", "r-1", _history())
    replay.match("call", "app:charge", "h1", "")
    with pytest.raises(NondeterminismError, match="the event completed"):
        replay.match("uuid", "v4", "", "order.lua:5")


def test_retry_policy_backoff_and_decisions() -> None:
    policy = RetryPolicy.from_table({"initial_interval": "1s", "backoff_coefficient": 3,
                                     "maximum_interval": 5000, "maximum_attempts": 4,
                                     "non_retryable_error_types": ["Invalid"]})
    assert [policy.delay(n) for n in (1, 2, 3)] == [1.0, 3.0, 5.0]
    assert policy.should_retry(1, "Unavailable", None)
    assert policy.should_retry(1, "", True)
    assert not policy.should_retry(1, "", None)  # a plain Lua error is final
    assert not policy.should_retry(1, "Invalid", True)
    assert not policy.should_retry(4, "Unavailable", True)
    assert RetryPolicy().should_retry(1000, "Timeout", True)  # 0 attempts = unlimited


@pytest.mark.parametrize(("options", "message"), [
    ({"activity.start_to_close_timeout": "soon"}, "activity.start_to_close_timeout"),
    ({"activity.start_to_close_timeout": -5}, "cannot be negative"),
    ({"activity.retry_policy": {"maximum_attempts": 1.5}}, "maximum_attempts"),
    ({"activity.retry_policy": {"backoff_coefficient": 0.5}}, "backoff_coefficient"),
    ({"activity.retry_policy": {"initial": 1}}, "unknown field"),
    ({"activity.retry_policy": "fast"}, r"expected a table"),
])
def test_bad_activity_options_name_the_key(options: dict[str, object], message: str) -> None:
    with pytest.raises(OptionsError, match=re.escape(message)):
        ActivityOptions.from_options(options)  # the message names the offending key


def test_activity_options_defaults_and_values() -> None:
    assert ActivityOptions.from_options(None).start_to_close == 600.0
    options = ActivityOptions.from_options({"activity.start_to_close_timeout": 1500,
                                            "activity.schedule_to_close_timeout": "1m",
                                            "timeout": 5})
    assert (options.start_to_close, options.schedule_to_close) == (1.5, 60.0)


def test_start_options() -> None:
    assert StartOptions.from_options(None, "order-1").workflow_id == "order-1"
    named = StartOptions.from_options({"temporal.workflow.id": "x",
                                       "temporal.workflow.id_conflict_policy": "fail"})
    assert (named.workflow_id, named.conflict_policy) == ("x", "fail")
    with pytest.raises(OptionsError, match="id_conflict_policy"):
        StartOptions.from_options({"temporal.workflow.id_conflict_policy": "merge"})
    with pytest.raises(OptionsError, match=r"temporal\.workflow\.id: expected"):
        StartOptions.from_options({"temporal.workflow.id": 7})


def test_lua_random_follows_lua_semantics_and_is_seeded_per_run() -> None:
    a, b, other = LuaRandom("run-1"), LuaRandom("run-1"), LuaRandom("run-2")
    draws = [a.draw(1, 6) for _ in range(50)]
    assert draws == [b.draw(1, 6) for _ in range(50)]
    assert draws != [other.draw(1, 6) for _ in range(50)]
    assert set(draws) <= set(range(1, 7))
    assert 0.0 <= a.draw() < 1.0
    assert 1 <= a.draw(3) <= 3
    with pytest.raises(ValueError, match="interval is empty"):
        a.draw(5, 1)
    with pytest.raises(ValueError, match="no integer representation"):
        a.draw(1.5)

"""The Temporal-only keys of activity and start options, as SDK keyword arguments.

``wippy_py.workflow`` reads what both engines share (``activity.start_to_close_timeout``,
``activity.schedule_to_close_timeout``, ``activity.retry_policy``,
``temporal.workflow.id``, ``.id_conflict_policy``); the keys below only mean something
on Temporal and are read here. Each reader returns keyword arguments for the SDK call
and raises :class:`~wippy_py.workflow.OptionsError` naming the key of a bad value.

Activity keys (``funcs.new():with_options{...}``): ``activity.task_queue``,
``activity.heartbeat_timeout``, ``activity.schedule_to_start_timeout``,
``activity.id``, ``activity.wait_for_cancellation``, ``activity.summary``,
``activity.priority``. Accepted and ignored: ``activity.disable_eager_execution``
(the Python SDK decides eager execution per worker) and ``activity.versioning_intent``.

Start keys (``process.with_options{...}``): ``temporal.workflow.task_queue``,
``.execution_timeout``, ``.run_timeout``, ``.task_timeout``, ``.id_reuse_policy``,
``.execution_error_when_already_started``, ``.retry_policy{...}``,
``.cron_schedule``, ``.memo``, ``.enable_eager_start`` and ``.start_delay``
(starts from actors), ``.parent_close_policy`` and ``.wait_for_cancellation``
(child workflows), ``.namespace`` (only the client's own). Refused with an error:
``.search_attributes`` (typed keys must be registered on the server first).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import temporalio.common
from temporalio import workflow

from ...workflow import OptionsError, RetryPolicy
from ...workflow._options import seconds

CONTEXT_MEMO = "wippy.context"  # memo key: the ctx values of process.with_context
ACTIVITY_IGNORED = ("activity.disable_eager_execution", "activity.versioning_intent")
_REUSE = {
    "allow_duplicate": temporalio.common.WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    "allow_duplicate_failed_only":
        temporalio.common.WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    "reject_duplicate": temporalio.common.WorkflowIDReusePolicy.REJECT_DUPLICATE,
}
_PARENT_CLOSE = {
    "terminate": workflow.ParentClosePolicy.TERMINATE,
    "abandon": workflow.ParentClosePolicy.ABANDON,
    "request_cancel": workflow.ParentClosePolicy.REQUEST_CANCEL,
}
_TIMEOUTS = ("execution_timeout", "run_timeout", "task_timeout")


def _duration(options: dict[str, Any], key: str) -> timedelta | None:
    if options.get(key) is None:
        return None
    return timedelta(seconds=seconds(options[key], key))


def _text(options: dict[str, Any], key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise OptionsError(f"option {key}: expected a non-empty string")
    return value


def _flag(options: dict[str, Any], key: str) -> bool | None:
    value = options.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise OptionsError(f"option {key}: expected true or false")


def _choice(options: dict[str, Any], key: str, choices: dict[str, Any]) -> Any:
    value = options.get(key)
    if value is None:
        return None
    if value not in choices:
        raise OptionsError(f"option {key}: {value!r} is not one of {', '.join(choices)}")
    return choices[value]


def temporal_retry_policy(policy: RetryPolicy) -> temporalio.common.RetryPolicy:
    """Wippy's retry policy as Temporal's (0 attempts = unlimited in both)."""
    return temporalio.common.RetryPolicy(
        initial_interval=timedelta(seconds=policy.initial_interval),
        backoff_coefficient=policy.backoff_coefficient,
        maximum_interval=(timedelta(seconds=policy.maximum_interval)
                          if policy.maximum_interval else None),
        maximum_attempts=policy.maximum_attempts,
        non_retryable_error_types=list(policy.non_retryable_error_types) or None,
    )


def activity_options(options: Any) -> dict[str, Any]:
    """Keyword arguments of ``workflow.start_activity`` from the Temporal-only
    ``activity.*`` keys of an executor's options (a Python dict or None)."""
    if not isinstance(options, dict):
        return {}
    kwargs: dict[str, Any] = {}
    queue = _text(options, "activity.task_queue")
    if queue is not None:
        kwargs["task_queue"] = queue
    for key, name in (("activity.heartbeat_timeout", "heartbeat_timeout"),
                      ("activity.schedule_to_start_timeout", "schedule_to_start_timeout")):
        value = _duration(options, key)
        if value is not None:
            kwargs[name] = value
    activity_id = _text(options, "activity.id")
    if activity_id is not None:
        kwargs["activity_id"] = activity_id
    wait = _flag(options, "activity.wait_for_cancellation")
    if wait is not None:
        kwargs["cancellation_type"] = (workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                                       if wait else workflow.ActivityCancellationType.TRY_CANCEL)
    summary = _text(options, "activity.summary")
    if summary is not None:
        kwargs["summary"] = summary
    priority = options.get("activity.priority")
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            raise OptionsError("option activity.priority: expected an integer >= 1")
        kwargs["priority"] = temporalio.common.Priority(priority_key=priority)
    return kwargs


def start_options(options: Any, *, child: bool, namespace: str) -> dict[str, Any]:
    """Keyword arguments of ``Client.start_workflow`` (``child=False``) or
    ``workflow.start_child_workflow`` (``child=True``) from the ``temporal.workflow.*``
    keys of spawn options (a Python dict or None); the ID and the conflict policy are
    read by :class:`~wippy_py.workflow.StartOptions`. A ``memo`` is returned under
    ``memo`` for the caller to merge with its own keys."""
    if not isinstance(options, dict):
        return {}
    full = options

    def key(name: str) -> str:
        return "temporal.workflow." + name

    kwargs: dict[str, Any] = {}
    queue = _text(full, key("task_queue"))
    if queue is not None:
        kwargs["task_queue"] = queue
    for name in _TIMEOUTS:
        value = _duration(full, key(name))
        if value is not None:
            kwargs[name] = value
    reuse = _choice(full, key("id_reuse_policy"), _REUSE)
    if reuse is not None:
        kwargs["id_reuse_policy"] = reuse
    if full.get(key("retry_policy")) is not None:
        kwargs["retry_policy"] = temporal_retry_policy(
            RetryPolicy.from_table(full[key("retry_policy")], key("retry_policy")))
    cron = _text(full, key("cron_schedule"))
    if cron is not None:
        kwargs["cron_schedule"] = cron
    memo = full.get(key("memo"))
    if memo is not None:
        if not isinstance(memo, dict) or not all(isinstance(k, str) for k in memo):
            raise OptionsError(f"option {key('memo')}: expected a table with string keys")
        kwargs["memo"] = memo
    if full.get(key("search_attributes")):
        raise OptionsError(f"option {key('search_attributes')}: search attributes are not "
                           "supported on the Temporal backend yet (use temporal.workflow.memo)")
    space = _text(full, key("namespace"))
    if space is not None and space != namespace:
        raise OptionsError(f"option {key('namespace')}: {space!r} is not the namespace of the "
                           f"worker's client ({namespace!r}); use a temporal.worker whose "
                           "client is in that namespace")
    _flag(full, key("execution_error_when_already_started"))  # read by the caller
    if child:
        policy = _choice(full, key("parent_close_policy"), _PARENT_CLOSE)
        if policy is not None:
            kwargs["parent_close_policy"] = policy
        wait = _flag(full, key("wait_for_cancellation"))
        if wait is not None:
            kwargs["cancellation_type"] = (
                workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED if wait
                else workflow.ChildWorkflowCancellationType.TRY_CANCEL)
    else:
        if _flag(full, key("enable_eager_start")):
            kwargs["request_eager_start"] = True
        delay = _duration(full, key("start_delay"))
        if delay is not None:
            kwargs["start_delay"] = delay
    return kwargs

"""Activity and start options of workflows, read from the tables Lua code passes.

Activity options come from ``funcs.new():with_options{...}`` with Wippy's keys
(``activity.start_to_close_timeout``, ``activity.retry_policy{...}``, ...); start options
from ``process.with_options{...}`` (``temporal.workflow.id``, ...). Durations are Go
duration strings (``"10s"``) or milliseconds as numbers, like Wippy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..durations import SECOND, DurationError, parse_duration
from ..errors import RATE_LIMITED, TIMEOUT, UNAVAILABLE

DEFAULT_START_TO_CLOSE = 600.0  # seconds (Wippy: 10m)
# Kinds that are transient by nature: retried unless the error says otherwise.
TRANSIENT_KINDS = frozenset({TIMEOUT, UNAVAILABLE, RATE_LIMITED})
USE_EXISTING, FAIL, TERMINATE_EXISTING = "use_existing", "fail", "terminate_existing"
CONFLICT_POLICIES = (USE_EXISTING, FAIL, TERMINATE_EXISTING)


class OptionsError(ValueError):
    """An option has a wrong type or value; the message names the key."""


def seconds(value: Any, key: str) -> float:
    """A duration option in seconds: a Go duration string or milliseconds.

    Raises:
        OptionsError: neither a duration string nor a non-negative number.
    """
    if isinstance(value, bool):
        raise OptionsError(f"option {key}: expected a duration like \"10s\" or milliseconds")
    if isinstance(value, int | float):
        if value < 0:
            raise OptionsError(f"option {key}: a duration cannot be negative ({value})")
        return float(value) / 1000.0
    if isinstance(value, str | bytes):
        text = value.decode() if isinstance(value, bytes) else value
        try:
            ns = parse_duration(text)
        except DurationError as exc:
            raise OptionsError(f"option {key}: {exc}") from exc
        if ns < 0:
            raise OptionsError(f"option {key}: a duration cannot be negative ({text})")
        return ns / SECOND
    raise OptionsError(f"option {key}: expected a duration like \"10s\" or milliseconds, "
                       f"got {type(value).__name__}")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often a failed activity is tried again (Temporal's model).

    Attributes:
        initial_interval: Seconds before the first retry.
        backoff_coefficient: Growth of the interval per attempt.
        maximum_interval: Cap on the interval (default 100 × initial).
        maximum_attempts: Attempts in total; 0 means unlimited.
        non_retryable_error_types: Error kinds never retried.
    """

    initial_interval: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval: float | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: tuple[str, ...] = ()

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        cap = self.maximum_interval or self.initial_interval * 100
        return float(min(cap, self.initial_interval * self.backoff_coefficient ** (attempt - 1)))

    def should_retry(self, attempt: int, kind: str, retryable: bool | None) -> bool:
        """True when failed attempt ``attempt`` with this error is tried again.

        An error is retried when it says so (``retryable = true``), or says nothing and
        has a transient kind (Timeout, Unavailable, RateLimited). A Lua runtime error or
        a plain ``return nil, "message"`` is not retried, as in Wippy.
        """
        if self.maximum_attempts and attempt >= self.maximum_attempts:
            return False
        if kind in self.non_retryable_error_types:
            return False
        if retryable is None:
            return kind in TRANSIENT_KINDS
        return retryable

    @classmethod
    def from_table(cls, table: Any, key: str = "activity.retry_policy") -> RetryPolicy:
        """Reads a ``retry_policy`` table (Python dict converted from Lua).

        Raises:
            OptionsError: an unknown key or a value of the wrong type.
        """
        if table is None:
            return cls()
        if not isinstance(table, dict):
            raise OptionsError(f"option {key}: expected a table")
        known = {"initial_interval", "backoff_coefficient", "maximum_interval",
                 "maximum_attempts", "non_retryable_error_types"}
        unknown = sorted(str(k) for k in table if k not in known)
        if unknown:
            raise OptionsError(f"option {key}: unknown field(s) {', '.join(unknown)} "
                               f"(known: {', '.join(sorted(known))})")
        kwargs: dict[str, Any] = {}
        if "initial_interval" in table:
            kwargs["initial_interval"] = seconds(table["initial_interval"],
                                                 f"{key}.initial_interval")
        if "maximum_interval" in table:
            kwargs["maximum_interval"] = seconds(table["maximum_interval"],
                                                 f"{key}.maximum_interval")
        if "backoff_coefficient" in table:
            coefficient = table["backoff_coefficient"]
            if isinstance(coefficient, bool) or not isinstance(coefficient, int | float) \
                    or coefficient < 1:
                raise OptionsError(f"option {key}.backoff_coefficient: expected a number >= 1")
            kwargs["backoff_coefficient"] = float(coefficient)
        if "maximum_attempts" in table:
            attempts = table["maximum_attempts"]
            if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
                raise OptionsError(f"option {key}.maximum_attempts: expected an integer >= 0")
            kwargs["maximum_attempts"] = attempts
        if "non_retryable_error_types" in table:
            kinds = table["non_retryable_error_types"]
            if isinstance(kinds, dict):  # a Lua array converted with holes
                kinds = list(kinds.values())
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                raise OptionsError(
                    f"option {key}.non_retryable_error_types: expected a list of error kinds")
            kwargs["non_retryable_error_types"] = tuple(kinds)
        return cls(**kwargs)


@dataclass(frozen=True)
class ActivityOptions:
    """How an activity (a ``funcs.call`` inside a workflow) is run.

    Attributes:
        start_to_close: Seconds one attempt may take before it fails with Timeout.
        schedule_to_close: Seconds all attempts together may take (None: no limit).
        retry: The retry policy.
    """

    start_to_close: float = DEFAULT_START_TO_CLOSE
    schedule_to_close: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_options(cls, options: Any) -> ActivityOptions:
        """Reads the ``activity.*`` keys of an executor's options (a Python dict).

        Other keys (``timeout`` of plain calls, Temporal-only ``activity.*`` keys such
        as ``activity.task_queue``) are accepted and ignored.

        Raises:
            OptionsError: a known key has a wrong value.
        """
        if not options:
            return _DEFAULT_ACTIVITY  # frozen: one shared instance (calls are hot)
        if not isinstance(options, dict):
            raise OptionsError("executor options must be a table")
        kwargs: dict[str, Any] = {}
        if "activity.start_to_close_timeout" in options:
            kwargs["start_to_close"] = seconds(options["activity.start_to_close_timeout"],
                                               "activity.start_to_close_timeout")
        if "activity.schedule_to_close_timeout" in options:
            kwargs["schedule_to_close"] = seconds(options["activity.schedule_to_close_timeout"],
                                                  "activity.schedule_to_close_timeout")
        if "activity.retry_policy" in options:
            kwargs["retry"] = RetryPolicy.from_table(options["activity.retry_policy"])
        return cls(**kwargs)


_DEFAULT_ACTIVITY = ActivityOptions()


@dataclass(frozen=True)
class StartOptions:
    """How a workflow is started (``process.with_options{...}``, ``with_name``).

    Attributes:
        workflow_id: The explicit workflow ID, or None for a generated one.
        conflict_policy: What a start with the ID of a running workflow does:
            ``use_existing`` (default for explicit IDs), ``fail`` or
            ``terminate_existing``.
    """

    workflow_id: str | None = None
    conflict_policy: str = USE_EXISTING

    @classmethod
    def from_options(cls, options: Any, name: str | None = None) -> StartOptions:
        """Reads ``temporal.workflow.id`` / ``.id_conflict_policy`` (and ``with_name``).

        Raises:
            OptionsError: a wrong type or an unknown conflict policy.
        """
        options = options or {}
        if not isinstance(options, dict):
            raise OptionsError("spawn options must be a table")
        workflow_id = options.get("temporal.workflow.id", name)
        if workflow_id is not None and (not isinstance(workflow_id, str) or not workflow_id):
            raise OptionsError("option temporal.workflow.id: expected a non-empty string")
        policy = options.get("temporal.workflow.id_conflict_policy", USE_EXISTING)
        if policy not in CONFLICT_POLICIES:
            raise OptionsError(f"option temporal.workflow.id_conflict_policy: {policy!r} is not "
                               f"one of {', '.join(CONFLICT_POLICIES)}")
        return cls(workflow_id=workflow_id, conflict_policy=policy)

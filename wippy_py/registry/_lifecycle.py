"""The ``lifecycle`` block shared by services, hosts and workers, parsed into typed values.

Defaults are Wippy's (``api/supervisor/config.go``): no auto start, ``startup: required``,
10 s start and stop timeouts, 5 s stable threshold, and a restart policy of 1 s initial
delay, 90 s maximum, factor 2, jitter 0.1, unlimited attempts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wippy_py.durations import SECOND

from ._checks import (
    Report,
    check_bool,
    check_choice,
    check_duration,
    check_int,
    check_known_keys,
    check_map,
    check_number,
    check_str_list,
    describe,
)
from ._ids import EntryId

STARTUP_MODES = ("required", "optional")

_LIFECYCLE_KEYS = frozenset(
    {
        "auto_start",
        "startup",
        "start_timeout",
        "stop_timeout",
        "stable_threshold",
        "requires",
        "depends_on",
        "restart",
        "security",
    }
)
_RESTART_KEYS = frozenset(
    {"initial_delay", "max_delay", "backoff_factor", "jitter", "max_attempts"}
)


@dataclass(frozen=True)
class RestartPolicy:
    """How a supervised entry is restarted after a failure.

    Attributes:
        initial_delay: First delay, in nanoseconds.
        max_delay: Upper bound of the delay, in nanoseconds.
        backoff_factor: Multiplier applied to the delay after each restart (>= 1).
        jitter: Random spread applied to each delay, as a fraction (0.1 = ±10%).
        max_attempts: Restarts allowed before giving up; 0 means no limit.
    """

    initial_delay: int = 1 * SECOND
    max_delay: int = 90 * SECOND
    backoff_factor: float = 2.0
    jitter: float = 0.1
    max_attempts: int = 0


@dataclass(frozen=True)
class Lifecycle:
    """The typed view of an entry's ``lifecycle`` block, with Wippy's defaults.

    Attributes:
        auto_start: Start the entry when the node boots.
        startup: ``"required"`` (a failure to start stops the boot) or ``"optional"``.
        start_timeout: Nanoseconds allowed for starting.
        stop_timeout: Nanoseconds allowed for stopping.
        stable_threshold: Nanoseconds of uptime after which a run counts as stable.
        requires: Entries that must be running first: ``requires`` then ``depends_on``
            (the legacy alias), resolved to full IDs, without duplicates.
        restart: The restart policy.
        security: The raw ``security`` block (actor, groups, policies), if any.
    """

    auto_start: bool = False
    startup: str = "required"
    start_timeout: int = 10 * SECOND
    stop_timeout: int = 10 * SECOND
    stable_threshold: int = 5 * SECOND
    requires: tuple[EntryId, ...] = ()
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    security: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def parse_lifecycle(value: Any, namespace: str, report: Report) -> Lifecycle:
    """Validates a ``lifecycle`` value and returns its typed view.

    Invalid fields are reported and replaced by their defaults, so a caller always gets
    a usable value.

    Args:
        value: The raw ``lifecycle`` value (``None`` when absent).
        namespace: The entry's namespace, given to relative IDs in ``requires``.
        report: ``report(field, message)`` for each problem; fields are
            ``lifecycle.<key>``.

    Returns:
        The parsed lifecycle.
    """
    if value is None:
        return Lifecycle()
    if not isinstance(value, dict):
        report("lifecycle", f"'lifecycle' must be a mapping, got {describe(value)}")
        return Lifecycle()
    prefix = "lifecycle"
    check_known_keys(value, _LIFECYCLE_KEYS, report, prefix)
    defaults = Lifecycle()
    auto_start = check_bool(value, "auto_start", report, prefix)
    startup = check_choice(value, "startup", STARTUP_MODES, report, prefix)
    start_timeout = check_duration(value, "start_timeout", report, prefix)
    stop_timeout = check_duration(value, "stop_timeout", report, prefix)
    stable = check_duration(value, "stable_threshold", report, prefix)
    security = check_map(value, "security", report, prefix)
    return Lifecycle(
        auto_start=defaults.auto_start if auto_start is None else auto_start,
        startup=startup or defaults.startup,
        start_timeout=defaults.start_timeout if start_timeout is None else start_timeout,
        stop_timeout=defaults.stop_timeout if stop_timeout is None else stop_timeout,
        stable_threshold=defaults.stable_threshold if stable is None else stable,
        requires=_requires(value, namespace, report),
        restart=_restart(value.get("restart"), report),
        security=security or {},
    )


def _requires(block: dict[Any, Any], namespace: str, report: Report) -> tuple[EntryId, ...]:
    found: list[EntryId] = []
    for key in ("requires", "depends_on"):
        items = check_str_list(block, key, report, "lifecycle")
        for index, text in enumerate(items or ()):
            try:
                target = EntryId.parse(text, default_ns=namespace)
            except ValueError as exc:
                report(f"lifecycle.{key}[{index}]", str(exc))
                continue
            if target not in found:
                found.append(target)
    return tuple(found)


def _restart(value: Any, report: Report) -> RestartPolicy:
    defaults = RestartPolicy()
    if value is None:
        return defaults
    prefix = "lifecycle.restart"
    if not isinstance(value, dict):
        report(prefix, f"'{prefix}' must be a mapping, got {describe(value)}")
        return defaults
    check_known_keys(value, _RESTART_KEYS, report, prefix)
    initial = check_duration(value, "initial_delay", report, prefix)
    maximum = check_duration(value, "max_delay", report, prefix)
    factor = check_number(value, "backoff_factor", report, prefix, minimum=1.0)
    jitter = check_number(value, "jitter", report, prefix, minimum=0.0, maximum=1.0)
    attempts = check_int(value, "max_attempts", report, prefix, minimum=0)
    policy = RestartPolicy(
        initial_delay=defaults.initial_delay if initial is None else initial,
        max_delay=defaults.max_delay if maximum is None else maximum,
        backoff_factor=defaults.backoff_factor if factor is None else factor,
        jitter=defaults.jitter if jitter is None else jitter,
        max_attempts=defaults.max_attempts if attempts is None else attempts,
    )
    if policy.max_delay < policy.initial_delay and maximum is not None:
        report(f"{prefix}.max_delay", f"'{prefix}.max_delay' is shorter than the initial delay")
    return policy

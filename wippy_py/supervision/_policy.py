"""Restart policy arithmetic: Wippy's documented exponential backoff.

Wippy's docs describe ``initial_delay * backoff_factor^n`` capped at ``max_delay``,
±``jitter``; its June 2026 code always waits ``initial_delay`` (it builds a fresh
calculator per retry). We follow the docs, as DESIGN.md asks.

The attempt counter counts the starts of the current failure series: the first start
is attempt 1. After a failure a retry is allowed while ``max_attempts == 0 or attempt <
max_attempts``, so ``max_attempts: N`` means N starts in total. A run that lasted at
least ``stable_threshold`` resets the counter to 1 before that check.
"""

from __future__ import annotations

import random

from ..durations import SECOND
from ..registry import RestartPolicy


def may_retry(policy: RestartPolicy, attempt: int) -> bool:
    """Tells whether a service that failed on start number ``attempt`` may start again."""
    return policy.max_attempts == 0 or attempt < policy.max_attempts


def base_delay(policy: RestartPolicy, attempt: int) -> float:
    """The delay in seconds after a failure of start number ``attempt``, before jitter:
    ``min(initial_delay * backoff_factor^(attempt-1), max_delay)``."""
    initial = policy.initial_delay / SECOND
    cap = max(policy.max_delay, policy.initial_delay) / SECOND
    exponent = max(attempt - 1, 0)
    # Past ~1000 doublings the float overflows; the cap has long been reached anyway.
    if exponent > 1000 or initial * policy.backoff_factor ** exponent > cap:
        return cap
    return float(initial * policy.backoff_factor ** exponent)


def backoff_delay(policy: RestartPolicy, attempt: int, rng: random.Random) -> float:
    """The delay in seconds before the next start, with ±``jitter`` applied.

    Args:
        policy: The service's restart policy.
        attempt: The number of the start that just failed (1 for the first start).
        rng: The random source of the jitter (seeded in tests).
    """
    delay = base_delay(policy, attempt)
    if policy.jitter > 0:
        delay *= 1.0 + rng.uniform(-policy.jitter, policy.jitter)
    return max(delay, 0.0)

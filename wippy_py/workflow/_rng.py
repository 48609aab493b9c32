"""``math.random`` for workflows: Lua's semantics on a generator seeded per run.

Lua's own generator is shared by every process of the runtime and seeded from the
clock, so a replayed workflow would draw other numbers. Each run gets a generator
seeded from its run ID instead: the same numbers on every replay, different runs
draw different sequences, and nothing needs journaling.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any


class LuaRandom:
    """A deterministic ``math.random`` (``random()``, ``random(m)``, ``random(m, n)``)."""

    __slots__ = ("_random", "_seed_text")

    def __init__(self, seed_text: str) -> None:
        self._seed_text = seed_text
        # Created on the first draw: a Mersenne Twister state is ~5 KB, more than a
        # waiting workflow should cost when it never calls math.random.
        self._random: random.Random | None = None

    def _generator(self) -> random.Random:
        if self._random is None:
            digest = hashlib.blake2b(self._seed_text.encode(), digest_size=8).digest()
            self._random = random.Random(int.from_bytes(digest, "big"))
        return self._random

    def draw(self, low: Any = None, high: Any = None) -> float | int:
        """Returns a float in [0, 1) with no bounds, else an integer in [low, high].

        Raises:
            ValueError: non-integer bounds or an empty interval (Lua's messages).
        """
        if low is None and high is None:
            return self._generator().random()
        if high is None:
            low, high = 1, low
        if not _integral(low) or not _integral(high):
            raise ValueError("bad argument to 'random' (number has no integer representation)")
        low_i, high_i = int(low), int(high)
        if low_i > high_i:
            raise ValueError("bad argument to 'random' (interval is empty)")
        return self._generator().randint(low_i, high_i)


def _integral(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()

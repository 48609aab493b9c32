"""Python core of Wippy's ``uuid`` host module.

Functions here work on plain Python values (see the host value model: ``str`` is a UTF-8
Lua string, ``bytes`` a non-UTF-8 one) and either return the result or raise
``ValueError`` with a readable message; the Lua binder turns that into ``nil, err``.

This module holds the generators (``v1``, ``v3``, ``v4``, ``v5``, ``v7``) and re-exports
the parsing, inspection and formatting functions from :mod:`wippy_py.host._uuid_text`,
which also lists the accepted input forms. Every id produced is lowercase.

Generators take injectable sources (clock, randomness, monotonic state) so that durable
workflows can make them deterministic. Without them they use the system clock,
``os.urandom`` and one process-wide :class:`ClockState` per version.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable

from wippy_py.host._uuid_text import (
    GREGORIAN_OFFSET,
    format_uuid,
    lua_type,
    parse,
    require,
    stamp,
    validate,
    variant,
    version,
)

__all__ = [
    "NAMESPACES",
    "ClockState",
    "format_uuid",
    "parse",
    "v1",
    "v3",
    "v4",
    "v5",
    "v7",
    "validate",
    "variant",
    "version",
]

NAMESPACES: dict[str, bytes] = {
    "dns": bytes.fromhex("6ba7b8109dad11d180b400c04fd430c8"),
    "url": bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8"),
    "oid": bytes.fromhex("6ba7b8129dad11d180b400c04fd430c8"),
    "x500": bytes.fromhex("6ba7b8149dad11d180b400c04fd430c8"),
}
"""Well-known RFC 4122 namespaces accepted by name (case-insensitively) by v3/v5."""


class ClockState:
    """Monotonic state carried between successive time-based generations.

    ``v1`` uses ``last`` (the last 100-ns timestamp) and ``clock_seq``; ``v7`` uses
    ``last`` (the last Unix millisecond) and ``counter`` (the 12-bit ``rand_a`` counter).
    The module keeps one process-wide instance per version; pass a fresh instance to
    get a reproducible sequence from injected sources.
    """

    def __init__(self) -> None:
        """Create an empty state (no id generated yet)."""
        self.lock = threading.Lock()
        self.last = -1
        self.counter = 0
        self.clock_seq: int | None = None


_V1_STATE = ClockState()
_V7_STATE = ClockState()
_node_lock = threading.Lock()
_default_node: int | None = None


def _rand(rand_bytes: Callable[[int], bytes], n: int) -> bytes:
    data = rand_bytes(n)
    if not isinstance(data, bytes | bytearray) or len(data) != n:
        raise ValueError(f"random source returned invalid data (expected {n} bytes)")
    return bytes(data)


def v1(
    now_ns: Callable[[], int] | None = None,
    node: int | bytes | None = None,
    clock_seq: int | None = None,
    state: ClockState | None = None,
) -> str:
    """Generate a time-based (version 1) UUID.

    Args:
        now_ns: Clock returning Unix time in nanoseconds; defaults to ``time.time_ns``.
        node: 48-bit node id as an int or 6 bytes; defaults to a random per-process node
            with the multicast bit set (RFC 4122 section 4.5), never a real MAC address.
        clock_seq: 14-bit clock sequence; defaults to a random value kept in ``state``.
        state: Monotonic state; defaults to the process-wide v1 state. A timestamp not
            after the previous one is bumped so ids from one state never repeat.

    Returns:
        The lowercase standard-form UUID string.

    Raises:
        ValueError: If an injected value is out of range.
    """
    ns = time.time_ns() if now_ns is None else int(now_ns())
    ts = ns // 100 + GREGORIAN_OFFSET
    if not 0 <= ts < 1 << 60:
        raise ValueError("v1: timestamp out of range")
    if clock_seq is not None and not 0 <= clock_seq <= 0x3FFF:
        raise ValueError("v1: clock_seq must be in 0..16383")
    node_id = _node_id(node)
    st = state if state is not None else _V1_STATE
    with st.lock:
        if st.clock_seq is None:
            st.clock_seq = int.from_bytes(os.urandom(2), "big") & 0x3FFF
        ts = max(ts, st.last + 1)
        st.last = ts
        seq = st.clock_seq if clock_seq is None else clock_seq
    time_hi = (ts >> 48) & 0x0FFF
    raw = (
        (ts & 0xFFFFFFFF).to_bytes(4, "big")
        + ((ts >> 32) & 0xFFFF).to_bytes(2, "big")
        + time_hi.to_bytes(2, "big")
        + seq.to_bytes(2, "big")
        + node_id.to_bytes(6, "big")
    )
    return stamp(raw, 1)


def _node_id(node: int | bytes | None) -> int:
    global _default_node
    if node is None:
        with _node_lock:
            if _default_node is None:
                _default_node = int.from_bytes(os.urandom(6), "big") | (1 << 40)
            return _default_node
    if isinstance(node, bytes | bytearray):
        if len(node) != 6:
            raise ValueError("v1: node must be 6 bytes")
        return int.from_bytes(node, "big")
    if isinstance(node, bool) or not isinstance(node, int) or not 0 <= node < 1 << 48:
        raise ValueError("v1: node must be a 48-bit integer")
    return node


def v4(rand_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """Generate a random (version 4) UUID.

    Args:
        rand_bytes: Source of random bytes, called once with 16.

    Returns:
        The lowercase standard-form UUID string.
    """
    return stamp(_rand(rand_bytes, 16), 4)


def v7(
    now_ms: Callable[[], int] | None = None,
    rand_bytes: Callable[[int], bytes] = os.urandom,
    state: ClockState | None = None,
) -> str:
    """Generate a time-ordered (version 7, RFC 9562) UUID.

    Layout: 48-bit Unix milliseconds, version 7, a 12-bit counter in ``rand_a`` (seeded
    randomly below 2048 each new millisecond, incremented within one), variant ``10`` and
    62 random bits. Ids from one state sort strictly increasing: if the clock stalls or
    goes backwards the previous millisecond is reused with the counter incremented, and a
    counter overflow borrows the next millisecond.

    Args:
        now_ms: Clock returning Unix time in milliseconds; defaults to the system clock.
        rand_bytes: Source of random bytes, called once with 10.
        state: Monotonic state; defaults to the process-wide v7 state.

    Returns:
        The lowercase standard-form UUID string.

    Raises:
        ValueError: If the clock is outside the 48-bit range.
    """
    ms = time.time_ns() // 1_000_000 if now_ms is None else int(now_ms())
    if not 0 <= ms < 1 << 48:
        raise ValueError("v7: timestamp out of range")
    rnd = _rand(rand_bytes, 10)
    seed = int.from_bytes(rnd[:2], "big") & 0x7FF
    st = state if state is not None else _V7_STATE
    with st.lock:
        if ms > st.last:
            counter = seed
        else:
            ms, counter = st.last, st.counter + 1
            if counter > 0xFFF:
                ms, counter = ms + 1, seed
        st.last, st.counter = ms, counter
    raw = ms.to_bytes(6, "big") + counter.to_bytes(2, "big") + rnd[2:]
    return stamp(raw, 7)


def _name_bytes(name: object) -> bytes:
    if isinstance(name, bytes):
        return name
    if isinstance(name, str):
        return name.encode("utf-8", "surrogateescape")
    raise ValueError(f"invalid name: expected string, got {lua_type(name)}")


def _namespace(namespace: object) -> bytes:
    if isinstance(namespace, str) and namespace.lower() in NAMESPACES:
        return NAMESPACES[namespace.lower()]
    return require(namespace, "namespace UUID")


def v3(namespace: str, name: str | bytes) -> str:
    """Generate a name-based (version 3, MD5) UUID.

    Args:
        namespace: A UUID string in any accepted form, or one of the well-known names
            ``"dns"``, ``"url"``, ``"oid"``, ``"x500"`` (case-insensitive).
        name: The name; ``str`` is hashed as UTF-8, ``bytes`` as is.

    Returns:
        The lowercase standard-form UUID string (deterministic).

    Raises:
        ValueError: If the namespace is not a UUID or the name is not a string.
    """
    ns, data = _namespace(namespace), _name_bytes(name)
    return stamp(hashlib.md5(ns + data, usedforsecurity=False).digest(), 3)


def v5(namespace: str, name: str | bytes) -> str:
    """Generate a name-based (version 5, SHA-1) UUID.

    Args:
        namespace: A UUID string in any accepted form, or one of the well-known names
            ``"dns"``, ``"url"``, ``"oid"``, ``"x500"`` (case-insensitive).
        name: The name; ``str`` is hashed as UTF-8, ``bytes`` as is.

    Returns:
        The lowercase standard-form UUID string (deterministic).

    Raises:
        ValueError: If the namespace is not a UUID or the name is not a string.
    """
    ns, data = _namespace(namespace), _name_bytes(name)
    return stamp(hashlib.sha1(ns + data, usedforsecurity=False).digest()[:16], 5)

"""Python core of Wippy's ``uuid`` host module.

Functions here work on plain Python values (see the host value model: ``str`` is a UTF-8
Lua string, ``bytes`` a non-UTF-8 one) and either return the result or raise
``ValueError`` with a readable message; the Lua binder turns that into ``nil, err``.

Accepted input forms for an id: standard (``8-4-4-4-12`` hex), simple (32 hex digits),
braced (``{...}``) and ``urn:uuid:...``; hex digits and the ``urn:uuid:`` prefix are
case-insensitive. Every id produced is lowercase.

Generators take injectable sources (clock, randomness, monotonic state) so that durable
workflows can make them deterministic. Without them they use the system clock,
``os.urandom`` and one process-wide :class:`ClockState` per version.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

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

_STD_RE = re.compile(
    r"([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})"
)
_SIMPLE_RE = re.compile(r"[0-9a-fA-F]{32}")

# 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch.
_GREGORIAN_OFFSET = 0x01B21DD213814000

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


def _lua_type(value: object) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | bytes):
        return "string"
    if isinstance(value, list | dict):
        return "table"
    return type(value).__name__


def _parse(value: object) -> bytes | None:
    """Return the 16 raw bytes of ``value`` or None when it is not a UUID string."""
    if not isinstance(value, str):
        return None
    s = value
    if s[:9].lower() == "urn:uuid:":
        s = s[9:]
    elif s.startswith("{") and s.endswith("}"):
        s = s[1:-1]
    if len(s) == 36:
        m = _STD_RE.fullmatch(s)
        if m is None:
            return None
        s = "".join(m.groups())
    elif _SIMPLE_RE.fullmatch(s) is None:
        return None
    return bytes.fromhex(s)


def _require(value: object, what: str = "UUID") -> bytes:
    if isinstance(value, bytes):
        raise ValueError(f"invalid {what} format: not valid UTF-8")
    if not isinstance(value, str):
        raise ValueError(f"invalid {what}: expected string, got {_lua_type(value)}")
    raw = _parse(value)
    if raw is None:
        shown = value if len(value) <= 64 else value[:61] + "..."
        raise ValueError(f"invalid {what} format: {shown!r}")
    return raw


def _standard(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _stamp(raw: bytes | bytearray, ver: int) -> str:
    """Set the version nibble and the RFC 4122 variant bits, then format."""
    b = bytearray(raw)
    b[6] = (b[6] & 0x0F) | (ver << 4)
    b[8] = (b[8] & 0x3F) | 0x80
    return _standard(bytes(b))


def _rand(rand_bytes: Callable[[int], bytes], n: int) -> bytes:
    data = rand_bytes(n)
    if not isinstance(data, bytes | bytearray) or len(data) != n:
        raise ValueError(f"random source returned invalid data (expected {n} bytes)")
    return bytes(data)


def _variant(raw: bytes) -> str:
    b = raw[8]
    if b & 0xC0 == 0x80:
        return "RFC4122"
    if b & 0xE0 == 0xC0:
        return "Microsoft"
    if b & 0xE0 == 0xE0:
        return "Future"
    # 0xxx: reserved for NCS backward compatibility (google/uuid calls it "Reserved").
    return "Reserved"


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
    ts = ns // 100 + _GREGORIAN_OFFSET
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
    return _stamp(raw, 1)


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
    return _stamp(_rand(rand_bytes, 16), 4)


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
    return _stamp(raw, 7)


def _name_bytes(name: object) -> bytes:
    if isinstance(name, bytes):
        return name
    if isinstance(name, str):
        return name.encode("utf-8", "surrogateescape")
    raise ValueError(f"invalid name: expected string, got {_lua_type(name)}")


def _namespace(namespace: object) -> bytes:
    if isinstance(namespace, str) and namespace.lower() in NAMESPACES:
        return NAMESPACES[namespace.lower()]
    return _require(namespace, "namespace UUID")


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
    return _stamp(hashlib.md5(ns + data, usedforsecurity=False).digest(), 3)


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
    return _stamp(hashlib.sha1(ns + data, usedforsecurity=False).digest()[:16], 5)


def validate(value: object) -> bool:
    """Tell whether ``value`` is a UUID string in an accepted form; never raises.

    Args:
        value: Any host value; non-strings give False.

    Returns:
        True for a well-formed UUID string.
    """
    return _parse(value) is not None


def version(uuid: str) -> int:
    """Return the version nibble of a UUID (0 for the nil UUID).

    Args:
        uuid: A UUID string in any accepted form.

    Returns:
        The version number (0-15).

    Raises:
        ValueError: If ``uuid`` is not a valid UUID string.
    """
    return _require(uuid)[6] >> 4


def variant(uuid: str) -> str:
    """Return the variant of a UUID.

    Args:
        uuid: A UUID string in any accepted form.

    Returns:
        ``"RFC4122"`` (bits ``10x``), ``"Microsoft"`` (``110``), ``"Future"`` (``111``)
        or ``"Reserved"`` (``0xx``, NCS backward compatibility), as Go's google/uuid.

    Raises:
        ValueError: If ``uuid`` is not a valid UUID string.
    """
    return _variant(_require(uuid))


def parse(uuid: str) -> dict[str, Any]:
    """Decompose a UUID into its fields.

    Args:
        uuid: A UUID string in any accepted form.

    Returns:
        ``{"version": int, "variant": str}`` plus, for versions 1 and 7,
        ``"timestamp"`` (Unix seconds as a float: milliseconds / 1000 for v7, from the
        100-ns Gregorian-epoch count for v1) and, for version 1, ``"node"``
        (``"aa:bb:cc:dd:ee:ff"``).

    Raises:
        ValueError: If ``uuid`` is not a valid UUID string.
    """
    raw = _require(uuid)
    ver = raw[6] >> 4
    out: dict[str, Any] = {"version": ver, "variant": _variant(raw)}
    if ver == 1:
        ts = (
            ((raw[6] & 0x0F) << 56)
            | (raw[7] << 48)
            | (int.from_bytes(raw[4:6], "big") << 32)
            | int.from_bytes(raw[0:4], "big")
        )
        out["timestamp"] = (ts - _GREGORIAN_OFFSET) / 10_000_000
        out["node"] = ":".join(f"{x:02x}" for x in raw[10:16])
    elif ver == 7:
        out["timestamp"] = int.from_bytes(raw[:6], "big") / 1000
    return out


def format_uuid(uuid: str, fmt: str | None = "standard") -> str:
    """Re-format a UUID (exported to Lua as ``uuid.format``).

    Args:
        uuid: A UUID string in any accepted form.
        fmt: ``"standard"`` (default, also for None), ``"simple"`` (32 hex digits) or
            ``"urn"`` (``urn:uuid:...``); case-insensitive.

    Returns:
        The lowercase UUID in the requested form.

    Raises:
        ValueError: If ``uuid`` is invalid or ``fmt`` is unknown.
    """
    raw = _require(uuid)
    kind = "standard" if fmt is None else fmt
    if not isinstance(kind, str):
        raise ValueError(f"invalid format: expected string, got {_lua_type(kind)}")
    kind = kind.lower()
    if kind == "standard":
        return _standard(raw)
    if kind == "simple":
        return raw.hex()
    if kind == "urn":
        return "urn:uuid:" + _standard(raw)
    raise ValueError(f"unknown format {fmt!r} (expected 'standard', 'simple' or 'urn')")

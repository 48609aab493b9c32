"""Reading and writing UUID text for :mod:`wippy_py.host._uuid`.

Accepted input forms for an id: standard (``8-4-4-4-12`` hex), simple (32 hex digits),
braced (``{...}``) and ``urn:uuid:...``; hex digits and the ``urn:uuid:`` prefix are
case-insensitive. Every id produced is lowercase.

This module holds the parser and formatter that the generators share (:func:`require`,
:func:`stamp`) and the public inspection functions (:func:`validate`, :func:`version`,
:func:`variant`, :func:`parse`, :func:`format_uuid`), which ``_uuid`` re-exports. Errors
are ``ValueError`` with a readable message.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "GREGORIAN_OFFSET",
    "format_uuid",
    "lua_type",
    "parse",
    "require",
    "stamp",
    "validate",
    "variant",
    "version",
]

_STD_RE = re.compile(
    r"([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})"
)
_SIMPLE_RE = re.compile(r"[0-9a-fA-F]{32}")

# 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch.
GREGORIAN_OFFSET = 0x01B21DD213814000


def lua_type(value: object) -> str:
    """Return the Lua type name of a host value, for error messages."""
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


def require(value: object, what: str = "UUID") -> bytes:
    """Return the 16 raw bytes of a UUID string in any accepted form.

    Args:
        value: The host value to read.
        what: What the value is, for the error message.

    Raises:
        ValueError: If ``value`` is not a string or not a well-formed UUID.
    """
    if isinstance(value, bytes):
        raise ValueError(f"invalid {what} format: not valid UTF-8")
    if not isinstance(value, str):
        raise ValueError(f"invalid {what}: expected string, got {lua_type(value)}")
    raw = _parse(value)
    if raw is None:
        shown = value if len(value) <= 64 else value[:61] + "..."
        raise ValueError(f"invalid {what} format: {shown!r}")
    return raw


def _standard(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stamp(raw: bytes | bytearray, ver: int) -> str:
    """Set the version nibble and the RFC 4122 variant bits, then format in standard form."""
    b = bytearray(raw)
    b[6] = (b[6] & 0x0F) | (ver << 4)
    b[8] = (b[8] & 0x3F) | 0x80
    return _standard(bytes(b))


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
    return require(uuid)[6] >> 4


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
    return _variant(require(uuid))


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
    raw = require(uuid)
    ver = raw[6] >> 4
    out: dict[str, Any] = {"version": ver, "variant": _variant(raw)}
    if ver == 1:
        ts = (
            ((raw[6] & 0x0F) << 56)
            | (raw[7] << 48)
            | (int.from_bytes(raw[4:6], "big") << 32)
            | int.from_bytes(raw[0:4], "big")
        )
        out["timestamp"] = (ts - GREGORIAN_OFFSET) / 10_000_000
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
    raw = require(uuid)
    kind = "standard" if fmt is None else fmt
    if not isinstance(kind, str):
        raise ValueError(f"invalid format: expected string, got {lua_type(kind)}")
    kind = kind.lower()
    if kind == "standard":
        return _standard(raw)
    if kind == "simple":
        return raw.hex()
    if kind == "urn":
        return "urn:uuid:" + _standard(raw)
    raise ValueError(f"unknown format {fmt!r} (expected 'standard', 'simple' or 'urn')")

"""Python core of Wippy's ``json`` host module.

Functions operate on host values (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``
for a non-UTF-8 Lua string, ``list`` for a sequence or empty table, ``dict`` for any other
table) and return the result or raise ``ValueError``; the Lua binder turns that into
``nil, err``.

``encode`` follows Go's ``encoding/json`` (Wippy is written in Go): compact output, sorted
object keys, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, invalid UTF-8 replaced by
``\\ufffd`` byte by byte, and floats formatted like Go's float64 encoder.

This module holds the encoder and the decoder. The JSON Schema validator lives in
:mod:`wippy_py.host._jsonschema`; :func:`validate` and :func:`validate_string` here
forward to it.
"""

from __future__ import annotations

import json as _std
import math
import re
from decimal import Decimal
from typing import Any

__all__ = ["MAX_DEPTH", "decode", "encode", "validate", "validate_string"]

MAX_DEPTH = 128
"""Deepest table nesting ``encode`` accepts (a top-level table is depth 1)."""

_MIXED = "cannot encode a table with mixed or sparse keys"
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_ESCAPE_RE = re.compile('[\\x00-\\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_ESCAPES = {c: "\\" + e for c, e in zip('"\\\b\f\n\r\t', '"\\bfnrt', strict=True)}
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESC_RE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKEN_RE = re.compile(
    r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?'
)


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    if c in _ESCAPES:
        return _ESCAPES[c]
    if "\ud800" <= c <= "\udfff":  # a lone surrogate stands for an invalid UTF-8 byte
        return "\\ufffd"
    return f"\\u{ord(c):04x}"


def quote(s: str | bytes) -> str:
    """Quote a string as a JSON string literal, escaping like Go (bytes: invalid UTF-8)."""
    if isinstance(s, bytes):
        s = s.decode("utf-8", "surrogateescape")
    return '"' + _ESCAPE_RE.sub(_escape_char, s) + '"'


def format_float(f: float) -> str:
    """Format a float64 as Go's ``encoding/json`` does; raises ``ValueError`` for NaN/Inf."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"cannot encode {f} (NaN and Inf are not valid JSON)")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    tup = Decimal(repr(abs(f))).as_tuple()
    digits = "".join(map(str, tup.digits))
    stripped = digits.rstrip("0")
    exp = int(tup.exponent) + len(digits) - len(stripped)
    digits = stripped  # value == int(digits) * 10**exp, shortest round-trip digits
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        e10 = exp + len(digits) - 1
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e-{-e10}" if e10 < 0 else f"{sign}{mant}e+{e10:02d}"
    if exp >= 0:
        return sign + digits + "0" * exp
    point = len(digits) + exp
    if point > 0:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return f"{sign}0.{'0' * -point}{digits}"


def _key_bytes(item: tuple[str | bytes, Any]) -> bytes:
    k = item[0]
    return k if isinstance(k, bytes) else k.encode("utf-8", "surrogateescape")


def _encode(v: object, out: list[str], depth: int) -> None:
    if v is None:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(format_float(v))
    elif isinstance(v, str | bytes):
        out.append(quote(v))
    elif isinstance(v, list | tuple | dict):
        if depth >= MAX_DEPTH:
            raise ValueError(f"cannot encode a table nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict) and v:
            keys = list(v)
            if all(isinstance(k, str | bytes) for k in keys):
                out.append("{")
                for i, (k, item) in enumerate(sorted(v.items(), key=_key_bytes)):
                    out.append("," if i else "")
                    out.append(quote(k) + ":")
                    _encode(item, out, depth + 1)
                out.append("}")
                return
            if not all(type(k) is int for k in keys) or set(keys) != set(range(1, len(v) + 1)):
                raise ValueError(_MIXED)
            v = [v[i] for i in range(1, len(v) + 1)]
        out.append("[")
        for i, item in enumerate(v):
            out.append("," if i else "")
            _encode(item, out, depth + 1)
        out.append("]")
    else:
        raise ValueError(f"cannot encode a value of type {type(v).__name__}")


def encode(value: object) -> str:
    """Encode a host value as compact JSON, like Go's ``json.Marshal``.

    ``None`` is ``null``; lists and empty tables are arrays; dicts with only string keys
    are objects with sorted keys (a dict whose keys are exactly ``1..n`` is an array).

    Args:
        value: The value to encode.

    Returns:
        The JSON text.

    Raises:
        ValueError: For NaN/Inf, a table with mixed or sparse keys, nesting deeper
            than :data:`MAX_DEPTH`, or a value with no JSON form (e.g. a function).
    """
    out: list[str] = []
    _encode(value, out, 0)
    return "".join(out)


class _BadToken(Exception):
    def __init__(self, token: str, reason: str) -> None:
        super().__init__(token)
        self.token, self.reason = token, reason


def _parse_float(s: str) -> float:
    f = float(s)
    if math.isinf(f):
        raise _BadToken(s, f"number {s} is out of range")
    return f


def _parse_int(s: str) -> int | float:
    if len(s) <= 20:
        n = int(s)
        if _INT64_MIN <= n <= _INT64_MAX:
            return n
    return _parse_float(s)


def _parse_constant(s: str) -> Any:
    raise _BadToken(s, f"invalid token {s}")


_DECODER = _std.JSONDecoder(
    parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
)


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line} column {pos - text.rfind(chr(10), 0, pos)}"


def _fix_surrogates(v: Any) -> Any:
    if isinstance(v, str):
        return _SURROGATE_RE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_fix_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_fix_surrogates(k): _fix_surrogates(x) for k, x in v.items()}
    return v


def decode(text: str | bytes) -> Any:
    """Decode JSON text into host values.

    Arrays become lists, objects dicts, integers without fraction or exponent that fit
    in int64 become ``int`` and every other number ``float``. Invalid UTF-8 and lone
    surrogate escapes become U+FFFD, as in Go.

    Args:
        text: The JSON text, as ``str`` or UTF-8 ``bytes``.

    Returns:
        The decoded value.

    Raises:
        ValueError: If the text is not valid JSON; the message names line and column.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "surrogateescape")
    elif not isinstance(text, str):
        raise ValueError(f"invalid JSON input: expected string, got {type(text).__name__}")
    try:
        value = _DECODER.decode(text)
        if _SURROGATE_RE.search(text) or _SURROGATE_ESC_RE.search(text):
            value = _fix_surrogates(value)
        return value
    except _std.JSONDecodeError as e:
        raise ValueError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except _BadToken as e:
        pos = next((m.start() for m in _TOKEN_RE.finditer(text) if m.group() == e.token), 0)
        raise ValueError(f"invalid JSON at {_where(text, pos)}: {e.reason}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nesting too deep") from None


def validate(schema: object, value: object) -> bool:
    """Validate a host value against a JSON Schema (pragmatic draft-07 subset).

    Forwards to :func:`wippy_py.host._jsonschema.validate`, which lists the supported
    keywords.

    Args:
        schema: The schema as a table (dict), a boolean, or JSON text.
        value: The value to check.

    Returns:
        True when the value is valid.

    Raises:
        ValueError: Naming the JSON path of the first violation, or describing why the
            schema itself is invalid.
    """
    from wippy_py.host import _jsonschema  # imported here: the validator imports this module

    return _jsonschema.validate(schema, value)


def validate_string(schema: object, json_text: str | bytes) -> bool:
    """Decode JSON text and validate it (see :func:`validate`).

    Forwards to :func:`wippy_py.host._jsonschema.validate_string`.

    Args:
        schema: The schema as a table (dict), a boolean, or JSON text.
        json_text: The JSON document to check.

    Returns:
        True when the document is valid JSON and satisfies the schema.

    Raises:
        ValueError: If the schema is invalid, the text is not JSON, or a violation.
    """
    from wippy_py.host import _jsonschema  # imported here: the validator imports this module

    return _jsonschema.validate_string(schema, json_text)

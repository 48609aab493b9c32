"""Python core of Wippy's ``json`` host module.

Functions operate on host values (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``
for a non-UTF-8 Lua string, ``list`` for a sequence or empty table, ``dict`` for any other
table) and return the result or raise ``ValueError``; the Lua binder turns that into
``nil, err``.

``encode`` follows Go's ``encoding/json`` (Wippy is written in Go): compact output, sorted
object keys, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, invalid UTF-8 replaced by
``\\ufffd`` byte by byte, and floats formatted like Go's float64 encoder.
"""

from __future__ import annotations

import functools
import json as _std
import math
import operator
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
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
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_CHECK_DEPTH = 200


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    if c in _ESCAPES:
        return _ESCAPES[c]
    if "\ud800" <= c <= "\udfff":  # a lone surrogate stands for an invalid UTF-8 byte
        return "\\ufffd"
    return f"\\u{ord(c):04x}"


def _quote(s: str | bytes) -> str:
    if isinstance(s, bytes):
        s = s.decode("utf-8", "surrogateescape")
    return '"' + _ESCAPE_RE.sub(_escape_char, s) + '"'


def _format_float(f: float) -> str:
    """Format a float64 as Go's ``encoding/json`` does."""
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
        out.append(_format_float(v))
    elif isinstance(v, str | bytes):
        out.append(_quote(v))
    elif isinstance(v, list | tuple | dict):
        if depth >= MAX_DEPTH:
            raise ValueError(f"cannot encode a table nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict) and v:
            keys = list(v)
            if all(isinstance(k, str | bytes) for k in keys):
                out.append("{")
                for i, (k, item) in enumerate(sorted(v.items(), key=_key_bytes)):
                    out.append("," if i else "")
                    out.append(_quote(k) + ":")
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


class _SchemaError(ValueError):
    """The schema itself is malformed (never swallowed by anyOf/oneOf/not)."""


class _Violation(ValueError):
    """The value does not satisfy the schema."""


def _json_type(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str | bytes):
        return "string"
    return "object" if isinstance(v, dict) else "array" if isinstance(v, list) else "unknown"


def _is_type(v: object, t: object) -> bool:
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t in ("number", "integer"):
        if isinstance(v, bool) or not isinstance(v, int | float):
            return False
        return t == "number" or isinstance(v, int) or (math.isfinite(v) and v.is_integer())
    if t == "string":
        return isinstance(v, str | bytes)
    if t == "array":
        return isinstance(v, list)
    if t == "object":  # an empty Lua table arrives as [] and is also an empty object
        return isinstance(v, dict) or v == []
    raise _SchemaError(f"invalid schema: unknown type {t!r}")


def _text(v: str | bytes) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def _equal(a: object, b: object) -> bool:
    """JSON equality: 1 == 1.0, true != 1, and an empty table equals [] and {}."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str | bytes) and isinstance(b, str | bytes):
        return _text(a) == _text(b)
    if isinstance(a, list | dict) and isinstance(b, list | dict) and not a and not b:
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a is None and b is None


def _show(v: object) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v) if isinstance(v, int) else _format_float(v)
    try:
        return encode(v)
    except ValueError:
        return repr(v)


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _IDENT_RE.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{_quote(key) if isinstance(key, str | bytes) else _show(key)}]"


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise _SchemaError(f"invalid schema: bad pattern {pattern!r}: {e}") from None


def _num(s: dict[str, Any], key: str) -> int | float | None:
    n = s.get(key)
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int | float):
        raise _SchemaError(f"invalid schema: {key} must be a number")
    return n


def _resolve(root: Any, ref: object) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise _SchemaError(f"invalid schema: only local $ref is supported, got {ref!r}")
    node = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _SchemaError(f"invalid schema: unresolvable $ref {ref!r}")
    return node


_BOUNDS: tuple[tuple[str, str, Callable[[Any, Any], bool]], ...] = (
    ("minimum", ">=", operator.ge),
    ("maximum", "<=", operator.le),
    ("exclusiveMinimum", ">", operator.gt),
    ("exclusiveMaximum", "<", operator.lt),
)


def _limit(s: dict[str, Any], key: str, n: int, path: str, what: str) -> None:
    lo, hi = _num(s, "min" + key), _num(s, "max" + key)
    if lo is not None and n < lo:
        raise _Violation(f"{path}: {what} {n} is less than min{key} {_show(lo)}")
    if hi is not None and n > hi:
        raise _Violation(f"{path}: {what} {n} is greater than max{key} {_show(hi)}")


def _check_number(s: dict[str, Any], v: int | float, path: str) -> None:
    for key, op, ok in _BOUNDS:
        bound = _num(s, key)
        if bound is not None and not ok(v, bound):
            raise _Violation(f"{path}: must be {op} {_show(bound)}, got {_show(v)}")
    step = _num(s, "multipleOf")
    if step is not None:
        if step <= 0:
            raise _SchemaError("invalid schema: multipleOf must be > 0")
        try:
            is_multiple = Decimal(repr(v)) % Decimal(repr(step)) == 0
        except InvalidOperation:
            is_multiple = (v / step).is_integer()
        if not is_multiple:
            raise _Violation(f"{path}: {_show(v)} is not a multiple of {_show(step)}")


def _check_string(s: dict[str, Any], v: str, path: str) -> None:
    _limit(s, "Length", len(v), path, "string length")
    pattern = s.get("pattern")
    if pattern is not None and not _regex(str(pattern)).search(v):
        raise _Violation(f"{path}: string does not match pattern {pattern!r}")


def _check_array(s: dict[str, Any], v: list[Any], path: str, root: Any, d: int) -> None:
    _limit(s, "Items", len(v), path, "item count")
    if s.get("uniqueItems") is True:
        for i in range(len(v)):
            if any(_equal(v[i], v[j]) for j in range(i)):
                raise _Violation(f"{_child(path, i)}: duplicate item (uniqueItems)")
    items = s.get("items", True)
    if isinstance(items, list) and items:  # tuple form
        extra = s.get("additionalItems", True)
        for i, item in enumerate(v):
            _check(items[i] if i < len(items) else extra, item, _child(path, i), root, d)
    else:
        for i, item in enumerate(v):
            _check(items, item, _child(path, i), root, d)


def _check_object(s: dict[str, Any], v: dict[Any, Any], path: str, root: Any, d: int) -> None:
    for name in s.get("required") or []:
        if not isinstance(name, str):
            raise _SchemaError("invalid schema: required must list property names")
        if name not in v:
            raise _Violation(f"{path}: missing required property {_quote(str(name))}")
    _limit(s, "Properties", len(v), path, "property count")
    props, patterns = s.get("properties") or {}, s.get("patternProperties") or {}
    if not isinstance(props, dict) or not isinstance(patterns, dict):
        raise _SchemaError("invalid schema: properties must be an object")
    for name, sub in props.items():
        if name in v:
            _check(sub, v[name], _child(path, name), root, d)
    extra = s.get("additionalProperties", True)
    for key in sorted(v, key=lambda k: _text(k) if isinstance(k, str | bytes) else str(k)):
        name = _text(key) if isinstance(key, str | bytes) else str(key)
        hits = [sub for pat, sub in patterns.items() if _regex(pat).search(name)]
        for sub in hits:
            _check(sub, v[key], _child(path, key), root, d)
        if key in props or hits:
            continue
        if extra is False:
            raise _Violation(f"{path}: additional property {_quote(name)} is not allowed")
        _check(extra, v[key], _child(path, key), root, d)


def _matches(schema: Any, v: Any, path: str, root: Any, d: int) -> bool:
    try:
        _check(schema, v, path, root, d)
    except _Violation:
        return False
    return True


def _check(schema: Any, v: Any, path: str, root: Any, depth: int) -> None:
    d = depth + 1
    if d > _MAX_CHECK_DEPTH:
        raise _SchemaError("schema or value nesting too deep (or $ref recursion)")
    if schema is True or schema == []:
        return
    if schema is False:
        raise _Violation(f"{path}: no value is allowed here (schema is false)")
    if not isinstance(schema, dict):
        raise _SchemaError(f"invalid schema at {path}: expected object or boolean")
    if "$ref" in schema:  # draft-07: keywords beside $ref are ignored
        _check(_resolve(root, schema["$ref"]), v, path, root, d)
        return
    if "type" in schema:
        types = schema["type"]
        names = [types] if isinstance(types, str) else list(types or [])
        if not any(_is_type(v, t) for t in names):
            raise _Violation(
                f"{path}: expected {' or '.join(map(str, names))}, got {_json_type(v)}"
            )
    if "enum" in schema and not any(_equal(v, e) for e in schema["enum"] or []):
        raise _Violation(f"{path}: value must be one of {_show(schema['enum'])}")
    if "const" in schema and not _equal(v, schema["const"]):
        raise _Violation(f"{path}: value must equal {_show(schema['const'])}")
    if isinstance(v, int | float) and not isinstance(v, bool):
        _check_number(schema, v, path)
    elif isinstance(v, str | bytes):
        _check_string(schema, _text(v), path)
    elif isinstance(v, list):
        _check_array(schema, v, path, root, d)
    if isinstance(v, dict) or v == []:
        _check_object(schema, v if isinstance(v, dict) else {}, path, root, d)
    for sub in schema.get("allOf") or []:
        _check(sub, v, path, root, d)
    if "anyOf" in schema and not any(_matches(s, v, path, root, d) for s in schema["anyOf"]):
        raise _Violation(f"{path}: value does not match any schema in anyOf")
    if "oneOf" in schema:
        n = sum(_matches(s, v, path, root, d) for s in schema["oneOf"] or [])
        if n != 1:
            raise _Violation(f"{path}: value matches {n} schemas in oneOf (expected exactly 1)")
    if "not" in schema and _matches(schema["not"], v, path, root, d):
        raise _Violation(f"{path}: value must not match the schema in not")


def _load_schema(schema: object) -> Any:
    if isinstance(schema, str | bytes):
        try:
            schema = decode(schema)
        except ValueError as e:
            raise ValueError(f"invalid schema: {e}") from None
    if schema == []:
        return {}
    if not isinstance(schema, dict | bool):
        raise ValueError("invalid schema: expected a table, a boolean or a JSON string")
    return schema


def validate(schema: object, value: object) -> bool:
    """Validate a host value against a JSON Schema (pragmatic draft-07 subset).

    Supported: type (incl. "integer" and type lists), enum, const, properties, required,
    additionalProperties, patternProperties, min/maxProperties, items (schema or tuple)
    with additionalItems, min/maxItems, uniqueItems, min/maxLength, pattern,
    minimum/maximum, exclusiveMinimum/Maximum (draft-07 numbers), multipleOf,
    allOf/anyOf/oneOf/not and local ``$ref`` (``#/definitions/...``). Other keywords
    (e.g. format, if/then/else) are ignored. An empty list (an empty Lua table) counts
    as both an empty array and an empty object.

    Args:
        schema: The schema as a table (dict), a boolean, or JSON text.
        value: The value to check.

    Returns:
        True when the value is valid.

    Raises:
        ValueError: Naming the JSON path (``$``, ``.name``, ``[0]``-based indices) of
            the first violation, e.g. ``"$.items[2].name: expected string, got number"``,
            or describing why the schema itself is invalid.
    """
    root = _load_schema(schema)
    try:
        _check(root, value, "$", root, 0)
    except RecursionError:
        raise ValueError("schema or value nesting too deep") from None
    return True


def validate_string(schema: object, json_text: str | bytes) -> bool:
    """Decode JSON text and validate it (see :func:`validate`).

    Args:
        schema: The schema as a table (dict), a boolean, or JSON text.
        json_text: The JSON document to check.

    Returns:
        True when the document is valid JSON and satisfies the schema.

    Raises:
        ValueError: If the schema is invalid, the text is not JSON, or a violation.
    """
    root = _load_schema(schema)
    return validate(root, decode(json_text))

"""JSON Schema validation for Wippy's ``json`` host module (a pragmatic draft-07 subset).

Values are host values as in :mod:`wippy_py.host._json` (an empty Lua table arrives as
``[]`` and counts as both an empty array and an empty object). A violation raises
``ValueError`` naming the JSON path of the first failing value; a malformed schema raises
``ValueError`` too, and is never mistaken for a failed branch of ``anyOf``/``oneOf``/``not``.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from wippy_py.host._json import decode, encode, format_float, quote

__all__ = ["validate", "validate_string"]

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_CHECK_DEPTH = 200


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
        return str(v) if isinstance(v, int) else format_float(v)
    try:
        return encode(v)
    except ValueError:
        return repr(v)


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _IDENT_RE.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{quote(key) if isinstance(key, str | bytes) else _show(key)}]"


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
            raise _Violation(f"{path}: missing required property {quote(str(name))}")
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
            raise _Violation(f"{path}: additional property {quote(name)} is not allowed")
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

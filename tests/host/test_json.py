"""Tests for the Python core of the ``json`` host module."""

from __future__ import annotations

import json as std_json
import math
import random
import re
from typing import Any

import pytest

from wippy_py.host._json import MAX_DEPTH, decode, encode, validate, validate_string

# ----------------------------------------------------------------------------- encode


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-42, "-42"),
        (9223372036854775807, "9223372036854775807"),
        (-9223372036854775808, "-9223372036854775808"),
        ("", '""'),
        ("hi", '"hi"'),
        ([], "[]"),
        ({}, "[]"),
        ([1, "a", None, True], '[1,"a",null,true]'),
        ({"a": 1}, '{"a":1}'),
        ({"a": [], "b": {"c": [1, 2]}}, '{"a":[],"b":{"c":[1,2]}}'),
        ((1, 2), "[1,2]"),
    ],
)
def test_encode_basic(value, expected):
    assert encode(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1"),
        (-1.0, "-1"),
        (0.0, "0"),
        (-0.0, "-0"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (-2.25, "-2.25"),
        (100.0, "100"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (-1e21, "-1e+21"),
        (1e300, "1e+300"),
        (1e-6, "0.000001"),
        (1.5e-6, "0.0000015"),
        (1e-7, "1e-7"),
        (1.2345e-7, "1.2345e-7"),
        (1e-10, "1e-10"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (123456789.125, "123456789.125"),
        (0.30000000000000004, "0.30000000000000004"),
        (2.0**53, "9007199254740992"),
        (3.14159, "3.14159"),
    ],
)
def test_encode_floats_like_go(value, expected):
    assert encode(value) == expected


def test_encode_floats_round_trip_exactly():
    rng = random.Random(1234)
    for _ in range(2000):
        f = rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)
        assert float(encode(f)) == f


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1, math.nan], {"x": math.inf}])
def test_encode_rejects_nan_inf(value):
    with pytest.raises(ValueError, match="NaN and Inf"):
        encode(value)


def test_encode_int_float_preserved():
    assert encode([1, 1.0, 1.25, 2**40]) == "[1,1,1.25,1099511627776]"
    assert decode(encode({"i": 3, "f": 3.5})) == {"i": 3, "f": 3.5}


def test_encode_object_keys_sorted_and_compact():
    value = {"zeta": 1, "alpha": {"y": 2, "b": 3}, "Mid": [1, {"k2": 0, "k1": 0}], "é": 0}
    assert encode(value) == '{"Mid":[1,{"k1":0,"k2":0}],"alpha":{"b":3,"y":2},"zeta":1,"é":0}'
    shuffled = dict(reversed(list(value.items())))
    assert encode(shuffled) == encode(value)


def test_encode_sorts_keys_by_utf8_bytes():
    keys = ["b", "a", "\u00e9", "\U0001f600", "\uffff", "A", "aa", ""]
    out = encode(dict.fromkeys(keys, 0))
    order = list(decode(out))  # dicts keep insertion (= output) order
    assert order == sorted(keys, key=lambda k: k.encode())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'),
        ("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"'),
        ("\x7f", '"\x7f"'),
        ("<a href='x'>&</a>", "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\""),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ("héllo 日本 😀", '"héllo 日本 😀"'),
        ("/", '"/"'),
    ],
)
def test_encode_string_escaping_like_go(text, expected):
    assert encode(text) == expected
    assert decode(encode(text)) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff", '"\\ufffd"'),
        (b"a\xffb", '"a\\ufffdb"'),
        (b"\xe2\x82", '"\\ufffd\\ufffd"'),  # Go replaces byte by byte
        (b"\xed\xa0\x80", '"\\ufffd\\ufffd\\ufffd"'),  # UTF-8 encoded surrogate
        (b"ok \xc3\xa9 \xc3", '"ok é \\ufffd"'),
        (b"<\xff>", '"\\u003c\\ufffd\\u003e"'),
    ],
)
def test_encode_bytes_replace_invalid_utf8(raw, expected):
    assert encode(raw) == expected
    assert encode({raw: raw}) == "{" + expected + ":" + expected + "}"


def test_encode_lone_surrogate_in_str_becomes_replacement():
    assert encode("a\udcffb") == '"a\\ufffdb"'


def test_encode_sequential_int_keyed_dict_is_array():
    assert encode({1: "a", 2: "b", 3: "c"}) == '["a","b","c"]'
    assert encode({2: "b", 1: "a"}) == '["a","b"]'


@pytest.mark.parametrize(
    "value",
    [
        {1: "a", 3: "b"},
        {1: "a", "x": 2},
        {0: "a"},
        {2: "a"},
        {1.5: "a"},
        {True: "a"},
        {"a": {1: "x", 5: "y"}},
        [{1: "a", "b": 2}],
    ],
)
def test_encode_mixed_or_sparse_keys(value):
    with pytest.raises(ValueError, match=r"^cannot encode a table with mixed or sparse keys$"):
        encode(value)


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_encode_depth_limit():
    assert encode(_nested(MAX_DEPTH)).count("[") + encode(_nested(MAX_DEPTH)).count("{") == 128
    with pytest.raises(ValueError, match="nested deeper than 128"):
        encode(_nested(MAX_DEPTH + 1))


def test_encode_cycle_hits_depth_limit():
    cyc: list[Any] = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="nested deeper"):
        encode(cyc)


@pytest.mark.parametrize("value", [object(), {"f": print}, {1, 2}, 1j])
def test_encode_unsupported_values(value):
    with pytest.raises(ValueError, match="cannot encode a value of type"):
        encode(value)


# ----------------------------------------------------------------------------- decode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("-7", -7),
        ("1.0", 1.0),
        ("1.5", 1.5),
        ("1e2", 100.0),
        ("1E-2", 0.01),
        ("9223372036854775807", 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ('"s"', "s"),
        ("[]", []),
        ("{}", {}),
        (' \t\n\r[1, "a", null]\n', [1, "a", None]),
        ('{"a": {"b": [1, 2.5, {"c": false}]}}', {"a": {"b": [1, 2.5, {"c": False}]}}),
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_decode_values(text, expected):
    result = decode(text)
    assert result == expected
    assert type(result) is type(expected)


def test_decode_int_float_types():
    out = decode("[1, 1.0, 1e0, -3, 2.5e3]")
    assert [type(x) for x in out] == [int, float, float, int, float]


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809", "1" * 30])
def test_decode_integers_beyond_int64_become_float(text):
    result = decode(text)
    assert isinstance(result, float)
    assert result == float(text)


def test_decode_huge_integer_digits():
    assert decode("1" * 300) == float("1" * 300)
    with pytest.raises(ValueError, match="out of range"):
        decode("1" * 400)


def test_decode_unicode_and_escapes():
    assert decode('"h\\u00e9llo \\ud83d\\ude00 日本"') == "héllo 😀 日本"
    assert decode('"\\u003c\\n\\t\\/\\\\"') == "<\n\t/\\"
    assert decode('"\\ud800"') == "\ufffd"  # lone surrogate escape, as Go
    assert decode('["\\udc00x", {"\\ud800": 1}]') == ["\ufffdx", {"\ufffd": 1}]


def test_decode_bytes_input():
    assert decode(b'{"a": [1, "\xc3\xa9"]}') == {"a": [1, "é"]}
    assert decode(bytearray(b"[true]")) == [True]
    assert decode(b'"a\xffb"') == "a\ufffdb"
    assert decode(b'"\xe2\x82"') == "\ufffd\ufffd"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("", 1, 1),
        ("   ", 1, 4),
        ("[1,", 1, 4),
        ("[1,]", 1, 4),
        ('{"a":1}x', 1, 8),
        ("{'a': 1}", 1, 2),
        ('{\n  "a": 1,\n  "b": tru\n}', 3, 8),
        ("[\n1,\n2\n3]", 4, 1),
        ("[1, 2] [3]", 1, 8),
        ('"unterminated', 1, 1),
        ('"ctrl\x01"', 1, 6),
        ("01", 1, 2),
        ("[NaN]", 1, 2),
        ("\n\n  [1, -Infinity]", 3, 7),
        ("Infinity", 1, 1),
        ('{"n": "NaN", "x": NaN}', 1, 19),
        ("[1, 1e999]", 1, 5),
        ('["1e999", \n -1e999]', 2, 2),
        ("\ufeff[1]", 1, 1),
    ],
)
def test_decode_errors_name_line_and_column(text, line, column):
    with pytest.raises(ValueError, match=rf"^invalid JSON at line {line} column {column}: "):
        decode(text)


@pytest.mark.parametrize("value", [None, 1, [], {"a": 1}])
def test_decode_rejects_non_string_input(value):
    with pytest.raises(ValueError, match="expected string"):
        decode(value)


def test_decode_very_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ValueError, match="invalid JSON"):
        decode("[" * 100_000 + "]" * 100_000)


def test_round_trips():
    values: list[Any] = [
        None,
        [1, 2.5, "x", [], [[[]]], {"a": None}],
        {"name": "wippy", "tags": ["a", "b"], "n": -3, "f": 0.125, "u": "日本 <&>"},
        {"nested": _nested(100)},
        "\x00\u2028\U0001f600",
    ]
    for value in values:
        text = encode(value)
        assert decode(text) == value
        assert encode(decode(text)) == text
        assert std_json.loads(text) == value  # valid for another parser too


def test_encode_matches_stdlib_compact_sorted_for_plain_data():
    value = {"b": [1, 2, {"z": None, "a": True}], "a": "plain text", "c": -12}
    assert encode(value) == std_json.dumps(value, sort_keys=True, separators=(",", ":"))


# ----------------------------------------------------------------------------- validate

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 10},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}


def _fails(schema: Any, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        validate(schema, value)


def test_validate_valid_documents():
    assert validate(PERSON, {"name": "Ann"}) is True
    assert validate(PERSON, {"name": "Bob", "age": 30, "email": "b@x.org", "tags": ["a"]})
    assert validate(PERSON, {"name": "Bob", "tags": []})
    assert validate(PERSON, {"name": "Bob", "age": 30.0})  # integral float is an integer


def test_validate_error_paths():
    doc = {"name": "A", "items": [{"name": "x"}, {"name": "y"}, {"name": 5}]}
    _fails(PERSON, doc, "$.items[2].name: expected string, got number")
    _fails(PERSON, {}, '$: missing required property "name"')
    _fails(PERSON, [], '$: missing required property "name"')
    _fails(PERSON, {"name": "A", "extra": 1}, '$: additional property "extra" is not allowed')
    _fails(PERSON, {"name": "A", "age": -1}, "$.age: must be >= 0, got -1")
    _fails(PERSON, {"name": "A", "age": 1.5}, "$.age: expected integer, got number")
    _fails(PERSON, {"name": "A", "age": True}, "$.age: expected integer, got boolean")
    _fails(PERSON, {"name": ""}, "$.name: string length 0 is less than minLength 1")
    _fails(PERSON, {"name": "x" * 11}, "$.name: string length 11 is greater than maxLength 10")
    _fails(PERSON, {"name": "A", "email": "nope"}, "$.email: string does not match pattern")
    _fails(PERSON, {"name": "A", "tags": ["a", 1]}, "$.tags[1]: expected string, got number")
    _fails(PERSON, {"name": "A", "tags": list("abcd")}, "$.tags: item count 4 is greater")
    _fails(PERSON, "x", "$: expected object, got string")
    _fails(PERSON, [1], "$: expected object, got array")
    _fails(PERSON, None, "$: expected object, got null")


def test_validate_path_quoting_for_odd_keys():
    schema = {"properties": {"a b": {"type": "string"}, "ok_1": {"properties": {"é": False}}}}
    _fails(schema, {"a b": 1}, '$["a b"]: expected string')
    _fails(schema, {"ok_1": {"é": 1}}, '$.ok_1["é"]: no value is allowed here')


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        ("null", [None], [0, False, "", []]),
        ("boolean", [True, False], [0, 1, None, "true"]),
        ("integer", [0, -5, 2**62, 3.0], [1.5, True, "1", None, math.inf]),
        ("number", [0, 1.5, -2, math.inf], [True, "1", None]),
        ("string", ["", "x", b"\xff"], [1, None, []]),
        ("array", [[], [1, "a"]], [{}, {"a": 1}, "x", None]),
        ("object", [{}, {"a": 1}, []], [[1], "x", None, 1]),
        (["string", "null"], ["a", None], [1, []]),
    ],
)
def test_validate_types(type_, good, bad):
    for v in good:
        assert validate({"type": type_}, v)
    for v in bad:
        with pytest.raises(ValueError, match=r"^\$: expected "):
            validate({"type": type_}, v)


def test_validate_empty_table_is_array_and_object():
    assert validate({"type": "array", "maxItems": 0}, [])
    assert validate({"type": "object", "properties": {"a": {"type": "string"}}}, [])
    assert validate({"type": ["array", "object"]}, [])
    _fails({"type": "array", "minItems": 1}, [], "$: item count 0 is less than minItems 1")


def test_validate_numbers():
    schema = {"exclusiveMinimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.5}
    assert validate(schema, 0.5)
    assert validate(schema, 9.5)
    _fails(schema, 0, "$: must be > 0, got 0")
    _fails(schema, 10, "$: must be < 10, got 10")
    _fails(schema, 1.25, "$: 1.25 is not a multiple of 0.5")
    assert validate({"multipleOf": 0.1}, 0.3)
    assert validate({"multipleOf": 3}, 9)
    _fails({"maximum": 1.5}, 2, "$: must be <= 1.5, got 2")
    _fails({"minimum": 2}, 1.5, "$: must be >= 2, got 1.5")
    assert validate({"minimum": 5}, "not a number")  # numeric keywords ignore other types


def test_validate_enum_and_const():
    assert validate({"enum": ["a", 1, None, [1, 2], {"k": True}]}, 1.0)
    assert validate({"enum": ["a", 1, None, [1, 2], {"k": True}]}, {"k": True})
    assert validate({"enum": [[1, 2]]}, [1, 2])
    _fails({"enum": ["a", "b"]}, "c", '$: value must be one of ["a","b"]')
    _fails({"enum": [1]}, True, "$: value must be one of [1]")
    _fails({"enum": [True]}, 1, "$: value must be one of [true]")
    assert validate({"const": {}}, [])
    assert validate({"const": "x"}, b"x")
    _fails({"const": 5}, 6, "$: value must equal 5")
    _fails({"const": [1, 2]}, [2, 1], "$: value must equal [1,2]")
    _fails({"const": {"a": 1}}, {"a": 1, "b": 2}, '$: value must equal {"a":1}')


def test_validate_combinators():
    any_of = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert validate(any_of, "x") and validate(any_of, 3)
    _fails(any_of, 1.5, "$: value does not match any schema in anyOf")
    one_of = {"oneOf": [{"type": "integer"}, {"minimum": 0}]}
    assert validate(one_of, -3) and validate(one_of, 0.5)
    _fails(one_of, 3, "$: value matches 2 schemas in oneOf (expected exactly 1)")
    _fails(one_of, -0.5, "$: value matches 0 schemas in oneOf")
    all_of = {"allOf": [{"type": "string"}, {"maxLength": 2}]}
    assert validate(all_of, "ab")
    _fails(all_of, "abc", "$: string length 3 is greater than maxLength 2")
    not_ = {"not": {"type": "null"}}
    assert validate(not_, 0)
    _fails(not_, None, "$: value must not match the schema in not")


def test_validate_additional_and_pattern_properties():
    schema = {
        "properties": {"id": {"type": "integer"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": {"type": "boolean"},
    }
    assert validate(schema, {"id": 1, "x-a": "s", "flag": True})
    _fails(schema, {"x-a": 1}, '$["x-a"]: expected string, got number')
    _fails(schema, {"flag": "yes"}, "$.flag: expected boolean, got string")
    assert validate({"additionalProperties": True}, {"a": 1})
    _fails({"minProperties": 2}, {"a": 1}, "$: property count 1 is less than minProperties 2")


def test_validate_array_keywords():
    assert validate({"uniqueItems": True}, [1, "1", [1], {"a": 1}, True])
    _fails({"uniqueItems": True}, [1, 2, 1.0], "$[2]: duplicate item (uniqueItems)")
    tuple_schema = {"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": False}
    assert validate(tuple_schema, ["a", 1])
    _fails(tuple_schema, ["a", 1, None], "$[2]: no value is allowed here")
    _fails(tuple_schema, [1], "$[0]: expected string")
    assert validate({"items": {}}, [1, "x"])
    assert validate({"items": []}, [1, "x"])  # an empty Lua table as schema means {}


def test_validate_refs():
    schema = {
        "definitions": {
            "node": {
                "type": "object",
                "properties": {"next": {"$ref": "#/definitions/node"}, "v": {"type": "integer"}},
            }
        },
        "$ref": "#/definitions/node",
    }
    assert validate(schema, {"v": 1, "next": {"v": 2, "next": {"v": 3}}})
    _fails(schema, {"v": 1, "next": {"v": "2"}}, "$.next.v: expected integer, got string")
    with pytest.raises(ValueError, match="unresolvable \\$ref"):
        validate({"$ref": "#/definitions/missing"}, 1)
    with pytest.raises(ValueError, match="only local \\$ref"):
        validate({"$ref": "http://example.com/s.json"}, 1)
    with pytest.raises(ValueError, match="too deep"):
        validate({"$ref": "#"}, 1)


def test_validate_boolean_and_empty_schemas():
    assert validate(True, {"anything": [1]})
    assert validate({}, None)
    assert validate([], "x")
    _fails(False, 1, "$: no value is allowed here")


def test_validate_schema_as_json_string():
    schema_text = encode(PERSON)
    assert validate(schema_text, {"name": "Ann"})
    assert validate(schema_text.encode(), {"name": "Ann"})
    _fails(schema_text, {"name": 1}, "$.name: expected string, got number")


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ("{not json", 3, "invalid schema: invalid JSON at line 1 column 2"),
        (5, 3, "invalid schema: expected a table"),
        (None, 3, "invalid schema: expected a table"),
        ({"type": "strnig"}, 3, "invalid schema: unknown type 'strnig'"),
        ({"pattern": "("}, "s", "invalid schema: bad pattern"),
        ({"minimum": "3"}, 3, "invalid schema: minimum must be a number"),
        ({"multipleOf": 0}, 3, "invalid schema: multipleOf must be > 0"),
        ({"properties": {"a": 5}}, {"a": 1}, "invalid schema at $.a: expected object or boolean"),
        ({"properties": "x"}, {"a": 1}, "invalid schema: properties must be an object"),
        ({"required": [["a"]]}, {}, "invalid schema: required must list property names"),
    ],
)
def test_validate_invalid_schema(schema, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate(schema, value)


def test_invalid_schema_is_not_swallowed_by_any_of():
    with pytest.raises(ValueError, match="unknown type"):
        validate({"anyOf": [{"type": "bogus"}, {}]}, 1)


def test_validate_string():
    assert validate_string(PERSON, '{"name": "Ann", "age": 3}') is True
    assert validate_string(encode(PERSON), b'{"name": "Ann"}') is True
    assert validate_string({"type": "object"}, "{}")
    with pytest.raises(ValueError, match=re.escape("$.age: must be >= 0, got -2")):
        validate_string(PERSON, '{"name": "Ann", "age": -2}')
    with pytest.raises(ValueError, match="invalid JSON at line 1 column 10"):
        validate_string(PERSON, '{"name": }')
    with pytest.raises(ValueError, match="invalid schema"):
        validate_string(42, "{}")

"""Lua <-> Python value conversion: integers vs floats, nil holes, non-UTF-8 strings."""

from __future__ import annotations

import pytest

from wippy_py.errors import ErrorValue
from wippy_py.lua import LuaVM


@pytest.fixture(scope="module")
def vm() -> LuaVM:
    return LuaVM()


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, 1, -7, 2**62, 1.0, -0.0, 2.5, "text", "ünïcødé", b"\xff\xfe",
     [], [1, 2, 3], {"a": 1, "b": [1.5, "x"]}, {1: "a", 3: "c"}, {"x": {"y": {"z": 1}}}],
)
def test_round_trip(vm: LuaVM, value: object) -> None:
    back = vm.to_py(vm.to_lua(value))
    assert back == value
    assert type(back) is type(value)


def test_integer_float_subtypes_are_kept(vm: LuaVM) -> None:
    t = vm.eval_trusted("{1, 1.0, 3 // 2, 3 / 2}")
    assert [type(x) for x in vm.to_py(t)] == [int, float, int, float]


def test_nil_holes_keep_their_keys(vm: LuaVM) -> None:
    assert vm.to_py(vm.eval_trusted("{1, nil, 3}")) == {1: 1, 3: 3}


def test_mixed_table_is_a_map(vm: LuaVM) -> None:
    assert vm.to_py(vm.eval_trusted("{10, 20, x = 'y'}")) == {1: 10, 2: 20, "x": "y"}


def test_non_utf8_string_stays_bytes(vm: LuaVM) -> None:
    assert vm.to_py(vm.eval_trusted("'ok\\255'")) == b"ok\xff"


def test_functions_cannot_be_converted(vm: LuaVM) -> None:
    with pytest.raises(ValueError, match="function"):
        vm.to_py(vm.eval_trusted("{f = function() end}"))


def test_error_objects_convert_both_ways(vm: LuaVM) -> None:
    error = ErrorValue("nope", "NotFound", True, {"id": 3})
    back = vm.to_py(vm.to_lua(error))
    assert (back.message, back.kind, back.retryable, back.details) == ("nope", "NotFound", True, {"id": 3})


def test_pairs_order_is_fixed_across_runtimes() -> None:
    source = "(function() local t = {} for i = 1, 50 do t['k' .. i] = i end local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ',') end)()"
    orders = {LuaVM().eval_trusted(source) for _ in range(3)}
    assert len(orders) == 1

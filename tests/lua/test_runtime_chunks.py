"""The runtime's own chunks (kernel, host glue): loaded from bytecode compiled once per
process, they keep their names and line numbers; host modules are built on first use."""

from __future__ import annotations

import pytest
from lupa import lua55

from wippy_py.lua import LuaVM

GLUE = """local py, K = ...
return {fail = function()

  error("boom")
end, twice = function(x) return py.double(x) end}
"""


def test_a_host_module_from_bytecode_keeps_its_name_and_lines() -> None:
    module = LuaVM().build_module("probe", GLUE, {"double": lambda x: x * 2})
    assert module.twice(21) == 42
    with pytest.raises(lua55.LuaError, match=r"host:probe:4: boom"):
        module.fail()


def test_two_runtimes_share_the_compiled_glue_but_not_its_state() -> None:
    first = LuaVM().build_module("probe", GLUE, {"double": lambda x: x * 2})
    second = LuaVM().build_module("probe", GLUE, {"double": lambda x: x * 3})
    assert (first.twice(2), second.twice(2)) == (4, 6)


def test_glue_that_does_not_compile_names_the_module() -> None:
    from wippy_py.errors import LuaLoadError

    with pytest.raises(LuaLoadError, match="host module broken"):
        LuaVM().build_module("broken", "return {", {})


def test_an_unknown_module_lists_every_module_though_most_are_built_lazily(lua_app) -> None:
    from wippy_py.process import SpawnError

    with pytest.raises(SpawnError) as caught:
        lua_app("return {main = function() return 1 end}", modules=("funcs", "nosuch"))
    message = caught.value.error.message
    assert "unknown module 'nosuch'" in message
    listed = message.split("available modules: ")[1].split(", ")
    assert listed == ["ctx", "funcs", "io", "json", "logger", "time", "uuid", "workflow"]


def test_lazily_built_modules_work_in_every_entry_that_lists_them(lua_app) -> None:
    result = lua_app("""
        local json = require("json")
        local uuid = require("uuid")
        return {main = function()
          return json.encode({n = #uuid.v4()})
        end}
    """, modules=("json", "uuid"))
    assert result.error is None
    assert result.value == '{"n":36}'

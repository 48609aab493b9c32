"""The sandbox: what user code cannot reach, and the instruction and memory limits."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("python", "nil"),
        ("debug", "nil"),
        ("package", "nil"),
        ("collectgarbage", "nil"),
        ("dofile", "nil"),
        ("loadfile", "nil"),
        ("os.exit", "nil"),
        ("os.execute", "nil"),
        ("os.getenv", "nil"),
        ("os.remove", "nil"),
        ("string.dump", "nil"),
        ("getmetatable('')", "false"),
        ("getmetatable(_G)", "false"),
        ("io", "nil"),
    ],
)
def test_dangerous_globals_are_absent(lua_app, expr: str, expected: str) -> None:
    result = lua_app(f"return {{ main = function() return tostring({expr}) end }}", modules=())
    assert result.error is None
    assert result.value == expected


def test_python_objects_expose_no_attributes(lua_app) -> None:
    # A Time value carries a Python object inside; reaching through it must fail.
    source = """
    return { main = function()
        local handle = time.now()["\\0h"]
        assert(type(handle) == "userdata")
        local ok, err = pcall(function() return handle.__class__ end)
        local ok2 = pcall(function() return handle.__init__.__globals__ end)
        return tostring(ok) .. "," .. tostring(ok2) .. "," .. tostring(err)
    end }
    """
    result = lua_app(source, modules=("time",))
    assert result.value.startswith("false,false,")
    assert "not allowed" in result.value


def test_binary_load_is_refused(lua_app) -> None:
    source = """
    return { main = function()
        local f, err = load("\\27Lua garbage")
        local g = load("return 1 + 1")
        local ok = pcall(load, "return 1", "x", "b")
        return tostring(f) .. "|" .. tostring(err) .. "|" .. g() .. "|" .. tostring(ok)
    end }
    """
    result = lua_app(source, modules=())
    assert result.value == "nil|load: binary chunks are not allowed|2|false"


def test_shared_libraries_are_read_only(lua_app) -> None:
    source = """
    return { main = function()
        local ok, err = pcall(function() string.upper = nil end)
        return tostring(ok) .. " " .. tostring(err) .. " " .. ("x"):upper()
    end }
    """
    result = lua_app(source, modules=())
    assert result.value.startswith("false ")
    assert "read-only table 'string'" in result.value
    assert result.value.endswith(" X")


def test_require_of_unlisted_module_fails(lua_app) -> None:
    source = 'return { main = function() local http = require("http") end }'
    result = lua_app(source, modules=("json",))
    assert result.error is not None
    assert "module 'http' not found" in result.error.message
    assert "app:main" in result.error.message


def test_runaway_loop_fails_only_that_process(lua_app) -> None:
    source = """
    local funcs = require("funcs")
    return { main = function()
        local r, err = funcs.call("app:spin")
        -- the host keeps running: this process continues after the spinner died
        return err:message()
    end }
    """
    spin = """
    return { spin = function()
        -- pcall must not swallow the kill either
        while true do pcall(function() while true do end end) end
    end }
    """
    result = lua_app(
        source,
        modules=("funcs",),
        extra_yaml="""
        - name: spin
          kind: function.lua
          source: file://spin.lua
          method: spin
        """,
        files={"spin.lua": spin},
        instruction_budget=2_000_000,
    )
    assert result.error is None
    assert "instruction budget exceeded" in result.value


def test_memory_bomb_fails_with_a_memory_error(lua_app) -> None:
    source = """
    local funcs = require("funcs")
    return { main = function()
        local _, err = funcs.call("app:bomb")
        local t = {}
        for i = 1, 1000 do t[i] = i end   -- the runtime is still usable
        return err:message() .. " / " .. #t
    end }
    """
    bomb = """
    return { bomb = function()
        local parts = {}
        local s = string.rep("x", 1024 * 1024)
        for i = 1, 100000 do parts[i] = s .. i end
    end }
    """
    result = lua_app(
        source,
        modules=("funcs",),
        extra_yaml="""
        - name: bomb
          kind: function.lua
          source: file://bomb.lua
          method: bomb
        """,
        files={"bomb.lua": bomb},
        memory_limit=64 * 1024 * 1024,
    )
    assert result.error is None
    assert "not enough memory" in result.value
    assert result.value.endswith("/ 1000")


def test_processes_have_separate_globals(lua_app) -> None:
    source = """
    local funcs = require("funcs")
    return { main = function()
        counter = 41
        local seen = funcs.call("app:peek")
        return tostring(seen) .. " " .. counter
    end }
    """
    peek = "return { peek = function() return counter end }"
    result = lua_app(
        source,
        extra_yaml="""
        - name: peek
          kind: function.lua
          source: file://peek.lua
          method: peek
        """,
        files={"peek.lua": peek},
        modules=("funcs",),
    )
    assert result.value == "nil 41"

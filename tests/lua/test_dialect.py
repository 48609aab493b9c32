"""Tests for wippy_py.lua._dialect.strip_types: Wippy's type layer -> plain Lua 5.5."""

from __future__ import annotations

import time
from typing import Any

import lupa.lua55 as lupa
import pytest

from wippy_py.lua._dialect import DialectError, strip_types


def _check_shape(src: str, out: str) -> None:
    """The output keeps every newline and every column of the input."""
    assert len(out) == len(src)
    assert [len(line) for line in out.split("\n")] == [len(line) for line in src.split("\n")]
    for a, b in zip(src, out, strict=True):
        assert a == b or b == " ", (a, b)


def run(src: str) -> Any:
    """Strip ``src``, check the shape of the result and execute it with Lua 5.5."""
    out = strip_types(src)
    _check_shape(src, out)
    return lupa.LuaRuntime().execute(out)


# -- 1. parameter annotations ---------------------------------------------------------------


def test_parameter_annotations() -> None:
    src = """
function f(a: number, b: {string}?, ...: any)
    return a + #b + select('#', ...)
end
return f(1, {"x"}, 1, 2)
"""
    assert run(src) == 4


def test_parameter_annotations_in_every_function_form() -> None:
    src = """
local obj = {a = {b = {}}}
local function g(x: number, y: string | nil): number return x * 2 end
function obj.a.b:m(x: Channel<Message>, self2: process.Message?) return self == obj.a.b end
local anon = function(x: T, cb: (number, string) -> boolean) return x + 1 end
local h = function(x: <T>(T) -> T, y: | "a" | "b", z: typeof(obj)) return y end
return g(2, nil), obj.a.b:m(nil, nil), anon(1, nil), h(nil, "a", nil)
"""
    assert run(src) == (4, True, 2, "a")


def test_parameter_annotation_keeps_columns() -> None:
    out = strip_types("local function f(a: number, b: string) end")
    assert out == "local function f(a        , b        ) end"


# -- 2. return annotations ------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        "number",
        "(number, string?)",
        "Channel<Message>",
        "{name: string}",
        "...number",
        "() -> ()",
        "Map<string, List<number>>",
        "(number) -> (string, ...any)",
        "process.Message | nil",
        "{[string]: {number}}?",
    ],
)
def test_return_annotations(annotation: str) -> None:
    src = f"""
local function f(x: number): {annotation}
    return x + 1
end
local t = {{}}
function t:m(): {annotation} return 7 end
return f(1), t:m(), (function(): {annotation} return 3 end)()
"""
    assert run(src) == (2, 7, 3)


# -- 3. generic parameter lists -------------------------------------------------------------


def test_generic_function_definitions() -> None:
    src = """
function first<T, U>(x: T, y: U): T
    return x
end
local function map<K, V>(t: {[K]: V}, fn: (V) -> V): {[K]: V}
    local out = {}
    for k, v in pairs(t) do out[k] = fn(v) end
    return out
end
local function pack<T...>(...: T...): ...T return ... end
return first(1, 2), map({a = 2}, function(v: number): number return v * 10 end).a, pack(5)
"""
    assert run(src) == (1, 20, 5)


# -- 4. local declarations ------------------------------------------------------------------


def test_local_annotations() -> None:
    src = """
local x: number = 1
local a: string, b: {number} = "a", {2}
local ch: Channel<Message>? = nil
local m: Map<string, List<number>>= 4
local q: Foo<Bar> = 5
local u: number
u = 6
return x, a, b[1], ch, m, q, u
"""
    assert run(src) == (1, "a", 2, None, 4, 5, 6)


def test_local_attribs_are_kept() -> None:
    src = """
local x <const> = 1
local y: number <const> = 2
local <const> p, q = 3, 4
local closed = false
do
    local c <close> = setmetatable({}, {__close = function() closed = true end})
end
return x + y + p + q, closed
"""
    out = strip_types(src)
    assert "local x <const> = 1" in out
    assert "local y         <const> = 2" in out
    assert run(src) == (10, True)


# -- 5. type declarations -------------------------------------------------------------------


def test_type_declarations() -> None:
    src = """
type Id = string
export type Pair<T, U = number> = {first: T, second: U}
type Job = {
    id: string,
    payload: {[string]: any}?,
    handler: (Job) -> (boolean, string?),
}
export type Fn = <T>(T) -> T
type Union =
    | "a"
    | "b"
local type = type
return type(1)
"""
    out = strip_types(src)
    assert out.count("\n") == src.count("\n")
    assert "local type = type" in out
    assert run(src) == "number"


def test_type_as_identifier_is_kept() -> None:
    src = """
local t = {type = "x"}
t.type = "y"
local x = type
foo = 1
local function type2(type) return type end
local kind = type(t) == "table" and t.type
return kind, x(1), foo, type2("z")
"""
    assert strip_types(src) == src
    assert run(src) == ("y", "number", 1, "z")


def test_type_statement_after_statement() -> None:
    src = """
local n = 1
type T = number
if n then type U = string end
return n
"""
    assert run(src) == 1


# -- 6. casts -------------------------------------------------------------------------------


def test_as_casts() -> None:
    src = """
local result = {value = 5}
local v = result.value as Event
local w = (v as any) + 1
local t = {a = v as number, b = "s" as string, c = {1} as {number}}
local f = function() return 1 end
local r = f() as number
local z = nil as Channel<Message>?
return v, w, t.a, t.b, t.c[1], r, z
"""
    assert run(src) == (5, 6, 5, "s", 1, 1, None)


def test_luau_double_colon_casts() -> None:
    src = """
local x = 3
local y = (x :: any) + 1
local z = x :: number
local i = 0
::top::
i = i + 1
if i < 3 then goto top end
return y, z, i
"""
    out = strip_types(src)
    assert "::top::" in out
    assert run(src) == (4, 3, 3)


def test_as_as_identifier_is_kept() -> None:
    src = """
local as = 1
as = as + 1
local t = {as = as}
local function f(x) return x end
local r = f(as)
as = {}
as.x = 1
as["y"] = 2
local g = function(...) return ... end
as = g
as(1)
as"s"
return r, t.as
"""
    assert strip_types(src) == src
    assert run(src) == (2, 2)


# -- 7. for-loop annotations ----------------------------------------------------------------


def test_for_loop_annotations() -> None:
    src = """
local sum = 0
for i: number = 1, 10 do sum = sum + i end
for k: string, v: number in pairs({a = 1, b = 2}) do sum = sum + v end
for _, v: any in ipairs({5}) do sum = sum + v end
return sum
"""
    assert run(src) == 63


# -- line numbers ---------------------------------------------------------------------------


def test_line_numbers_are_preserved() -> None:
    src = """type Big = {
    a: number,
    b: {
        c: string,
    },
}
local function f(x: Big,
                 y: number): (number,
                              string?)
    error("boom")
end
f(nil, 1)
"""
    with pytest.raises(lupa.LuaError, match=r":10: boom"):
        run(src)


def test_error_in_plain_code_after_annotations_keeps_line() -> None:
    src = "local x: {\n  a: number\n} = nil\nlocal y = x.a\n"
    with pytest.raises(lupa.LuaError, match=r":4:"):
        run(src)


# -- plain Lua is untouched -----------------------------------------------------------------

PLAIN_SNIPPETS = [
    "return type(1), type('x') == 'string'",
    "local type = 1\nreturn type",
    "local t = {type = 1}\nt.type = 2\nreturn t.type, t['type']",
    "local as = 1\nas = 2\nlocal function f(x) return x end\nreturn f(as)",
    "local obj = {n = 1}\nfunction obj:method(a) return self.n + a end\nreturn obj:method(2)",
    "local i = 0\n::label::\ni = i + 1\nif i < 3 then goto label end\nreturn i",
    "for i = 1, 3 do\n  if i == 2 then goto continue end\n  ::continue::\nend\nreturn 1",
    "local x <const> = 5\nlocal y <close> = nil\nreturn x",
    "local s = 'a: number'\nlocal d = \"function f(x: T): U as V\"\nreturn s, d",
    "local s = [==[\nlocal x: number = 1 ]] type T = U\n]==]\nreturn s",
    "--[[ local x: number = 1\ntype T = {a: string} ]]\n-- local y: T = 1 as T\nreturn 1",
    "--[=[ x ]] y ]=] return 1",
    "local o = {}\nfunction o:a() return self end\nfunction o:b() return self end\n"
    "function o:c() return 3 end\nreturn o:a():b():c()",
    "local k, v = 'k', 2\nlocal t = {a = 1, [k] = v, 3; 4}\nreturn t.a, t.k",
    "local x, y, z = false, 1, 2\nreturn x and y or z",
    "return 0x1F, 0xA.8p1, 1e10, 3.14, .5, 1E-2, 0x.1P-4, 7 // 2, 1 << 4 >> 2, 5 ~ 3",
    'local s = \'a\\z\n     b\' .. "\\"q\\"" .. \'\\\'\' .. "x\\\ny"\nreturn s',
    "local a, b = 1, 2\nif a<b and b>a and a<=b and b>=a and a~=b then return ... end",
    "local t = setmetatable({}, {__index = function(t, k) return k end})\n"
    "return t.as, t.type, #'abc', -1, ~0",
    "local f = function(...) local a, b = ... return a end\nreturn f(1, 2)",
    "x = type\ny = 1\nreturn x ~= nil, y",
    "local export = {}\nexport.type = 1\nexport = {type = 2}\nreturn export.type",
    "local global = 1\nglobal = 2\nreturn global",
    "local s = [[\n]] .. [=[]]]=]\nreturn s",
    "return {f = function(a, b) return a end}, nil, true;",
]


@pytest.mark.parametrize("src", PLAIN_SNIPPETS)
def test_plain_lua_is_unchanged(src: str) -> None:
    assert strip_types(src) == src
    lupa.LuaRuntime().execute(src)


def test_shebang_is_ignored() -> None:
    src = "#!/usr/bin/env lua as type x = 1\nlocal n: number = 1\nreturn n"
    assert strip_types(src).startswith("#!/usr/bin/env lua as type x = 1\nlocal n        ")


# -- realistic example ----------------------------------------------------------------------

WIPPY_EXAMPLE = """\
type Message = process.Message
type Job = {
    id: string,
    payload: {[string]: any}?,
}
local function handle(job: Job, ch: Channel<Message>): (boolean, string?)
    local count: integer = 0
    local v = job.payload as {[string]: any}
    return true, nil
end
local function main(): integer
    local ok, err = handle({id = "1"}, nil)
    return 0
end
return { main = main }
"""


def test_wippy_example() -> None:
    module = run(WIPPY_EXAMPLE)
    assert module.main() == 0
    out = strip_types(WIPPY_EXAMPLE)
    lines = out.split("\n")
    assert lines[5] == "local function handle(job     , ch                  )                    "
    assert lines[6] == "    local count          = 0"
    assert lines[7] == "    local v = job.payload                   "
    assert lines[10] == "local function main()         "
    assert all(not line.strip() for line in lines[:5])


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "line"),
    [
        ("local a = 1\nlocal x: {number = 1\n", 2),
        ("\n\nfunction f(x: ) end", 3),
        ("local x: Foo<number = 1", 1),
        ("type T = (number}\n", 1),
        ("local y = 1\ntype T\n  <U> number", 3),
    ],
)
def test_dialect_errors(src: str, line: int) -> None:
    with pytest.raises(DialectError, match=rf"^line {line}: cannot parse type annotation") as e:
        strip_types(src)
    assert e.value.line == line
    assert isinstance(e.value, ValueError)


# -- performance ----------------------------------------------------------------------------


def test_500_lines_strip_fast() -> None:
    src = WIPPY_EXAMPLE.replace("return { main = main }\n", "") * 34
    assert src.count("\n") >= 476
    best = min(_timed(src) for _ in range(3))
    assert best < 0.05


def _timed(src: str) -> float:
    start = time.perf_counter()
    strip_types(src)
    return time.perf_counter() - start


# -- tokenizer edge cases -------------------------------------------------------------------


def test_tokenizer_stays_in_sync_after_tricky_literals() -> None:
    src = (
        'local s = \'a\\z\n     b: number\' .. "\\"as T" .. [==[ ]] x: T ]==]\n'
        "--[[ local y: T\n]] local n: number = 0x1p4 -- as T\n"
        "local m: number = 1e2 .. 'x' local k = n :: number\n"
        "return s, n, m, k"
    )
    out = strip_types(src)
    assert out.count(": number'") == 1
    assert run(src) == ('ab: number"as T ]] x: T ', 16.0, "100.0x", 16.0)


def test_lua_55_forms() -> None:
    src = """
local<const> x: number = 1
global g: number = 2
global function gf(a: number): number return a end
local <close> c: any = nil
return x + g + gf(3)
"""
    assert run(src) == 6


def test_type_statement_after_label_and_as_on_next_line() -> None:
    src = """
local v = {1}
goto skip
::skip::
type T = number
local w = v
    as Array<number>
return w[1]
"""
    assert run(src) == 1
    # `as` starting a line before `(`, `{` or a string is a call on a variable named `as`.
    assert strip_types("f()\nas {1}\n") == "f()\nas {1}\n"


def test_unfinished_literals_are_left_for_lua_to_report() -> None:
    src = "local x: number = 1\nlocal s = [[ abc\nlocal y: T = 2\n"
    assert strip_types(src).endswith("local s = [[ abc\nlocal y: T = 2\n")
    with pytest.raises(lupa.LuaError, match=r":4: unfinished long string"):
        run(src)
    with pytest.raises(lupa.LuaError, match=r":2: unfinished string"):
        run("local x: number = 1\nlocal s = 'abc\nlocal y: T = 2\n")

"""funcs.call / funcs.async / executors, and the return convention of entries."""

from __future__ import annotations

FUNCS_YAML = """
- name: echo
  kind: function.lua
  source: file://lib.lua
  method: echo
- name: fail_string
  kind: function.lua
  source: file://lib.lua
  method: fail_string
- name: fail_error
  kind: function.lua
  source: file://lib.lua
  method: fail_error
- name: raise
  kind: function.lua
  source: file://lib.lua
  method: raise
- name: ctx_reader
  kind: function.lua
  source: file://lib.lua
  method: ctx_reader
  modules: [ctx]
- name: mutate
  kind: function.lua
  source: file://lib.lua
  method: mutate
- name: worker
  kind: process.lua
  source: file://lib.lua
  method: echo
"""

LIB = """
local function echo(...) return ... end
local function fail_string() return nil, "plain failure" end
local function fail_error()
    return nil, errors.new({message = "no stock", kind = errors.NOT_FOUND, retryable = true})
end
local function raise() error("exploded") end
local function ctx_reader() return ctx.get("tenant") end
local function mutate(t) t.x = 99; return t end
return { echo = echo, fail_string = fail_string, fail_error = fail_error, raise = raise,
         ctx_reader = ctx_reader, mutate = mutate }
"""


def run(lua_app, body: str):
    source = "local funcs = require('funcs')\nreturn { main = function()\n" + body + "\nend }"
    return lua_app(source, modules=("funcs", "json"), extra_yaml=FUNCS_YAML, files={"lib.lua": LIB})


def test_call_passes_positional_arguments_and_returns_the_result(lua_app) -> None:
    result = run(lua_app, 'return funcs.call("app:echo", {a = 1, b = {2.5, "x"}})')
    assert result.error is None
    assert result.value == {"a": 1, "b": [2.5, "x"]}


def test_integer_and_float_survive_a_call(lua_app) -> None:
    result = run(lua_app, 'local v = funcs.call("app:echo", 1.0); return math.type(v)')
    assert result.value == "float"


def test_bare_name_is_invalid(lua_app) -> None:
    result = run(lua_app, 'local r, e = funcs.call("echo"); return {r, e:kind(), e:message()}')
    assert result.value[2] == "Invalid"  # r is nil: a hole at key 1
    assert "namespace required" in result.value[3]


def test_missing_entry_is_not_found(lua_app) -> None:
    result = run(lua_app, 'local r, e = funcs.call("app:nope"); return e:kind() .. ":" .. e:message()')
    assert result.value == "NotFound:function app:nope not found"


def test_calling_a_process_entry_is_invalid(lua_app) -> None:
    result = run(lua_app, 'local r, e = funcs.call("app:worker"); return e:kind()')
    assert result.value == "Invalid"


def test_string_failure_becomes_internal_non_retryable(lua_app) -> None:
    result = run(
        lua_app,
        'local r, e = funcs.call("app:fail_string")\n'
        "return {tostring(r), e:kind(), e:message(), tostring(e:retryable())}",
    )
    assert result.value == ["nil", "Internal", "plain failure", "false"]


def test_structured_error_keeps_kind_and_retryable(lua_app) -> None:
    result = run(
        lua_app,
        'local r, e = funcs.call("app:fail_error")\n'
        "return {e:kind(), e:message(), e:retryable(), errors.is(e, errors.NOT_FOUND)}",
    )
    assert result.value == ["NotFound", "no stock", True, True]


def test_lua_error_in_a_function_reaches_the_caller_as_nil_err(lua_app) -> None:
    result = run(lua_app, 'local r, e = funcs.call("app:raise"); return e:message()')
    assert "exploded" in result.value
    assert "lib.lua" in result.value or "[raise]" in result.value


def test_arguments_are_copied(lua_app) -> None:
    result = run(
        lua_app,
        'local t = {x = 1}\nlocal r = funcs.call("app:mutate", t)\nreturn {t.x, r.x}',
    )
    assert result.value == [1, 99]


def test_async_future_delivers_a_payload(lua_app) -> None:
    result = run(
        lua_app,
        'local f = funcs.async("app:echo", 7)\n'
        "local p, ok = f:response():receive()\n"
        "local r = f:result()\n"
        "return {p:data(), ok, f:is_complete(), r:data()}",
    )
    assert result.value == [7, True, True, 7]


def test_async_error_is_reported_by_the_future(lua_app) -> None:
    result = run(
        lua_app,
        'local f = funcs.async("app:fail_error")\n'
        "f:response():receive()\n"
        "local e, has = f:error()\n"
        "return {e:kind(), has}",
    )
    assert result.value == ["NotFound", True]


def test_async_of_missing_entry_returns_nil_err(lua_app) -> None:
    result = run(lua_app, 'local f, e = funcs.async("app:nope"); return {f == nil, e:kind()}')
    assert result.value == [True, "NotFound"]


def test_executor_context_reaches_ctx(lua_app) -> None:
    result = run(
        lua_app,
        'local ex = funcs.new():with_context({tenant = "acme"})\n'
        'return ex:call("app:ctx_reader")',
    )
    assert result.value == "acme"


def test_missing_context_key_is_not_found(lua_app) -> None:
    result = run(lua_app, 'local v, e = funcs.call("app:ctx_reader"); return tostring(v)')
    assert result.value == "nil"


def test_errors_module_constructors(lua_app) -> None:
    result = run(
        lua_app,
        'local e = errors.new("boom")\n'
        'local w = errors.wrap(errors.new({message = "inner", kind = errors.TIMEOUT}), "outer")\n'
        "return {e:message(), e:kind(), tostring(e:retryable()), w:message(), w:kind(),\n"
        "        errors.is(w, errors.TIMEOUT), errors.INVALID, errors.RATE_LIMITED, tostring(w)}",
    )
    assert result.value == [
        "boom", "", "nil", "outer: inner", "Timeout", True, "Invalid", "RateLimited", "outer: inner",
    ]

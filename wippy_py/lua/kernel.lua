-- The kernel of the shared Lua runtime: sandbox base, error objects, the wrapped
-- coroutine library, the instruction budget and the step function the Python
-- dispatcher calls. It runs once per runtime, before any user code, with the
-- full standard library; it keeps private references to what it needs and
-- hands user code only the allow-listed pieces.
--
-- Protocol between a thread and the dispatcher loop (K.run, sched.lua): a
-- blocking host call yields (RT, {opcode, args..., n=}) where RT is a private
-- sentinel; a thread parked on channels yields (RT, PARK); a thread body ends
-- by returning (END, {ok, results..., n=}) (ok=false: error object); anything
-- else is a bare coroutine.yield() outside any user coroutine.
local H = ...  -- configuration from Python: budget_ticks, hook_count

local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_status, co_running, co_close = coroutine.status, coroutine.running, coroutine.close
local co_isyieldable = coroutine.isyieldable
local sethook, traceback = debug.sethook, debug.traceback
local raw_pcall, raw_xpcall, raw_error = pcall, xpcall, error
local raw_load, raw_setmetatable, raw_getmetatable = load, setmetatable, getmetatable
local raw_type, raw_select, raw_tostring, raw_next = type, select, tostring, next
local raw_rawget, raw_rawset, raw_pairs = rawget, rawset, pairs
local string_dump = string.dump

local K = {}
local ERR_MT_REF = {}
local RT = raw_setmetatable({}, { __name = "runtime-yield" })
local END = {}
K.RT, K.END = RT, END
local pack = table.pack

---------------------------------------------------------------------------
-- Payloads and messages. A message indexes into its payload data for keys
-- that are not its methods, so `msg.approved` reads the payload field.
-- Internal fields use keys with a NUL byte, which user data never collides with.
---------------------------------------------------------------------------
local PAYLOAD = {}
local PAYLOAD_MT = { __name = "payload", __index = PAYLOAD, __metatable = "payload" }
local function new_payload(v) return raw_setmetatable({ ["\0v"] = v }, PAYLOAD_MT) end
K.new_payload = new_payload
function PAYLOAD.data(p) return p["\0v"] end
function PAYLOAD.get_format() return "lua/any" end
function PAYLOAD.unmarshal(p) return p["\0v"] end
function PAYLOAD.transcode(p) return p end
K.payload_module = { new = new_payload }

local MSG = {}
-- A message is {"\0t" = topic, "\0f" = from, "\0p" = payload} or, sent with
-- several payloads, {"\0t", "\0f", "\0m" = the table of them, "\0n" = count}.
-- Keys that are not methods read the payload table's fields (MSG_MT); a message
-- whose payload is not a table has nothing to read through, so it gets the plain
-- method table (MSG_MT_PLAIN), which spares a metamethod call per method.
local MSG_MT = { __name = "message", __metatable = "message" }
local MSG_MT_PLAIN = { __name = "message", __metatable = "message", __index = MSG }
local function message_data(m)
  local data = raw_rawget(m, "\0p")  -- rawget: a nil payload must not recurse
  if data == nil then data = raw_rawget(m, "\0m") end
  return data
end
K.message_data = message_data
MSG_MT.__index = function(m, key)
  local method = MSG[key]
  if method ~= nil then return method end
  local data = message_data(m)
  if raw_type(data) == "table" then return data[key] end
  return nil
end
function MSG.topic(m) return m["\0t"] end
function MSG.from(m) return m["\0f"] end
function MSG.payload(m)
  local data = m["\0p"]  -- absent: __index answers nil (or nil from "\0m")
  if data ~= nil then return raw_setmetatable({ ["\0v"] = data }, PAYLOAD_MT) end
  data = raw_rawget(m, "\0m")
  if data == nil then return nil end  -- a message sent without payload
  -- Sent with several payloads: a table of Payloads (Wippy), which also answers
  -- :data() with the table of values, like a single Payload of that table.
  local payloads = {}
  for i = 1, raw_rawget(m, "\0n") do payloads[i] = new_payload(data[i]) end
  return raw_setmetatable(payloads, { __index = { data = function() return data end } })
end
-- count: the number of payloads when the sender passed several (data is then a
-- table of them); nil or false for one.
function K.new_message(topic, from, data, count)
  if count then
    return raw_setmetatable({ ["\0t"] = topic, ["\0f"] = from, ["\0m"] = data,
      ["\0n"] = count }, MSG_MT)
  end
  return raw_setmetatable({ ["\0t"] = topic, ["\0f"] = from, ["\0p"] = data },
    raw_type(data) == "table" and MSG_MT or MSG_MT_PLAIN)
end
K.MSG_MT, K.MSG_MT_PLAIN = MSG_MT, MSG_MT_PLAIN

-- Deep copy of a value sent to another process; functions and threads are refused.
local function deep_copy(v, seen)
  local kind = raw_type(v)
  if kind ~= "table" then
    if kind == "function" or kind == "thread" or kind == "userdata" then
      raw_error("cannot send a " .. kind .. " to another process", 3)
    end
    return v
  end
  seen = seen or {}
  local done = seen[v]
  if done then return done end
  local mt = raw_getmetatable(v)
  local c = {}
  seen[v] = c
  for k, x in raw_next, v do
    c[deep_copy(k, seen)] = deep_copy(x, seen)
  end
  if mt == "error" then raw_setmetatable(c, ERR_MT_REF[1])
  elseif mt == "payload" then raw_setmetatable(c, PAYLOAD_MT)
  elseif mt == "message" then
    raw_setmetatable(c, raw_type(message_data(c)) == "table" and MSG_MT or MSG_MT_PLAIN)
  end
  return c
end
K.copy = deep_copy

-- Copies every argument of a call (positional arguments keep their places).
function K.copy_all(...)
  local n = raw_select("#", ...)
  if n == 0 then return end
  if n == 1 then return deep_copy((...)) end
  local t = { ... }
  for i = 1, n do t[i] = deep_copy(t[i]) end
  return table.unpack(t, 1, n)
end

-- Packs the payload arguments of a send: none -> nil, one -> it, several -> a table.
function K.pack_payload(...)
  local n = raw_select("#", ...)
  if n == 0 then return nil end
  if n == 1 then return deep_copy((...)) end
  return deep_copy({ ... })
end

---------------------------------------------------------------------------
-- Instruction budget: a count hook on every coroutine (hooks are per thread
-- and not inherited). The dispatcher resets the counter before every resume
-- (SLICE, shared with sched.lua); once the budget is spent the slice is marked
-- exceeded and the sandboxed pcall/xpcall/resume re-raise, so user code cannot
-- swallow the kill.
---------------------------------------------------------------------------
local BUDGET_MSG = "instruction budget exceeded: the process ran too long without yielding"
    .. " (an endless loop?)"
local tick_limit, hook_count = H.budget_ticks, H.hook_count
-- ticks, exceeded, and the coroutine resumed last (K.where looks at it)
local SLICE = { 0, false, false }
K.SLICE = SLICE

local function budget_hook()
  local ticks = SLICE[1] + 1
  SLICE[1] = ticks
  if ticks > tick_limit then
    SLICE[2] = true
    raw_error(BUDGET_MSG, 2)
  end
end

local function arm(co)
  sethook(co, budget_hook, "", hook_count)
  return co
end

function K.set_budget(limit)
  tick_limit = limit
end

---------------------------------------------------------------------------
-- Error objects: Wippy's structured errors (err:kind(), err:message(), ...).
---------------------------------------------------------------------------
local ERR = {}
local ERR_MT = { __name = "error", __index = ERR, __metatable = "error" }
ERR_MT_REF[1] = ERR_MT
ERR_MT.__tostring = function(e) return e.m end

local function new_error(message, kind, retryable, details, stack)
  return raw_setmetatable({ m = message, k = kind or "", r = retryable, d = details, s = stack },
    ERR_MT)
end
K.new_error = new_error

local function is_error(v)
  return raw_type(v) == "table" and raw_getmetatable(v) == "error"
end
K.is_error = is_error

function K.error_fields(e)
  return e.m, e.k, e.r, e.d, e.s
end

function ERR.kind(e) return e.k end
function ERR.message(e) return e.m end
function ERR.retryable(e) return e.r end
function ERR.details(e) return e.d end
function ERR.stack(e) return e.s or "" end

local errors = {
  UNKNOWN = "Unknown", NOT_FOUND = "NotFound", ALREADY_EXISTS = "AlreadyExists",
  INVALID = "Invalid", PERMISSION_DENIED = "PermissionDenied", UNAVAILABLE = "Unavailable",
  INTERNAL = "Internal", CANCELED = "Canceled", CONFLICT = "Conflict", TIMEOUT = "Timeout",
  RATE_LIMITED = "RateLimited",
}

function errors.new(spec)
  if raw_type(spec) == "string" then
    return new_error(spec, "", nil, nil, traceback("", 2))
  end
  if raw_type(spec) ~= "table" then
    raw_error("errors.new expects a message string or a table {message=, kind=, ...}", 2)
  end
  local message = spec.message
  if raw_type(message) ~= "string" then
    raw_error("errors.new: 'message' must be a string", 2)
  end
  local retryable = spec.retryable
  if retryable ~= nil and raw_type(retryable) ~= "boolean" then
    raw_error("errors.new: 'retryable' must be a boolean", 2)
  end
  return new_error(message, spec.kind or "", retryable, spec.details, traceback("", 2))
end

function errors.wrap(err, context)
  if err == nil then return nil end
  if not is_error(err) then
    return new_error(context .. ": " .. raw_tostring(err), "", nil, nil, traceback("", 2))
  end
  return new_error(context .. ": " .. err.m, err.k, err.r, err.d, err.s)
end

function errors.is(err, kind)
  return is_error(err) and err.k == kind
end

function errors.call_stack(err)
  if is_error(err) then return err.s or "" end
  return ""
end

-- Converts anything raised or returned as an error into an error object.
local function to_error(e, stack)
  if is_error(e) then return e end
  if raw_type(e) == "string" then return new_error(e, "", nil, nil, stack) end
  if raw_type(e) == "table" then return new_error(raw_tostring(e), "", nil, e, stack) end
  -- a Python exception raised by a host function arrives as userdata
  return new_error(raw_tostring(e), "", nil, nil, stack)
end
K.to_error = to_error

---------------------------------------------------------------------------
-- Sandboxed pcall/xpcall: never let user code swallow the budget kill.
---------------------------------------------------------------------------
local function reraise_if_exceeded(ok, ...)
  if not ok and SLICE[2] then raw_error(BUDGET_MSG, 0) end
  return ok, ...
end

local function safe_pcall(f, ...)
  return reraise_if_exceeded(raw_pcall(f, ...))
end

local function safe_xpcall(f, handler, ...)
  return reraise_if_exceeded(raw_xpcall(f, function(e)
    if SLICE[2] then return e end
    return handler(e)
  end, ...))
end

---------------------------------------------------------------------------
-- The user-visible coroutine library: runtime yields (tagged RT) issued inside a
-- user coroutine are forwarded to the process thread and the answer is passed
-- back down, so blocking host calls work inside user coroutines too.
---------------------------------------------------------------------------
local function forward(co, ok, first, ...)
  if ok and first == RT and co_status(co) == "suspended" then
    return forward(co, co_resume(co, co_yield(RT, ...)))
  end
  if not ok and SLICE[2] then raw_error(BUDGET_MSG, 0) end
  return ok, first, ...
end

local ucoroutine = {}
function ucoroutine.create(f)
  return arm(co_create(f))
end
function ucoroutine.resume(co, ...)
  return forward(co, co_resume(co, ...))
end
function ucoroutine.wrap(f)
  local co = arm(co_create(f))
  return function(...)
    local function unwrap(ok, ...)
      if not ok then raw_error((...), 0) end
      return ...
    end
    return unwrap(forward(co, co_resume(co, ...)))
  end
end
ucoroutine.yield = co_yield
ucoroutine.status = co_status
ucoroutine.running = co_running
ucoroutine.isyieldable = co_isyieldable
ucoroutine.close = co_close

---------------------------------------------------------------------------
-- Threads and the step function.
---------------------------------------------------------------------------
local function handler(e)
  if SLICE[2] then return new_error(BUDGET_MSG, "Internal", false, nil, traceback("", 2)) end
  return to_error(e, traceback(raw_type(e) == "string" and e or "", 2))
end

-- Threads cross into Python boxed in a table: lupa turns a not-yet-started
-- coroutine into a function object on the way out.
-- The box is the thread record of sched.lua: {co, tid, P, state, gen, a, b, c}.
-- A thread runs fn(...) under xpcall and ends with (END, {ok, results...}).
-- Its body is one shared function and its arguments arrive with the first resume
-- (a = PACKED, b = the packed arguments): a closure per thread would keep a
-- closure and an upvalue per argument alive for the thread's lifetime (~350 bytes
-- per idle process).
local PACKED = {}
K.PACKED = PACKED

local function thread_body(fn, ...)
  return END, pack(raw_xpcall(fn, handler, ...))
end

function K.new_thread(fn, ...)
  return { arm(co_create(thread_body)), false, false, 0, 0, PACKED, pack(fn, ...), nil }
end

-- A process thread first instantiates its entry (running the chunk body under
-- the budget, in the process's own environment), then calls the entry point.
local function process_main(factory, env_mt, method, ...)
  local fn, err = K.instantiate(factory, env_mt, method)
  if not fn then raw_error(new_error(err, "NotFound", false), 0) end
  return fn(...)
end

function K.new_process_thread(factory, env_mt, method, ...)
  return { arm(co_create(thread_body)), false, false, 0, 0, PACKED,
    pack(process_main, factory, env_mt, method, ...), nil }
end

-- The error object of a thread whose failure escaped its xpcall handler.
K.thread_failed = handler

-- "file:line" of the innermost user frame of the thread being stepped (host glue
-- and kernel frames are skipped); "" when there is none. Workflows journal it.
local getinfo = debug.getinfo
function K.where()
  local co = SLICE[3]
  if not co then return "" end
  for level = 0, 40 do
    local info = getinfo(co, level, "Sl")
    if info == nil then return "" end
    if info.source:byte(1) == 64 then  -- "@": a user chunk
      return info.source:sub(2) .. ":" .. info.currentline
    end
  end
  return ""
end

function K.yield_op(...)
  return co_yield(RT, pack(...))
end

function K.status(co)
  return co_status(co)
end

---------------------------------------------------------------------------
-- The sandbox: read-only library proxies and the base environment.
---------------------------------------------------------------------------
local function readonly(name, t)
  return raw_setmetatable({}, {
    __index = t,
    __newindex = function() raw_error("attempt to modify the read-only table '" .. name .. "'", 2) end,
    __pairs = function() return raw_next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
end
K.readonly = readonly

-- string.dump is removed from the shared string table itself: the string
-- metatable (s:method()) reaches that table directly.
string.dump = nil
getmetatable("").__metatable = false

local safe_string = readonly("string", string)
local safe_table = readonly("table", table)
local safe_utf8 = readonly("utf8", utf8)

local safe_os = {
  time = os.time, clock = os.clock, date = os.date, difftime = os.difftime,
}

local function safe_load(chunk, name, mode, env)
  if mode ~= nil and mode ~= "t" then
    raw_error("load: only text chunks are allowed (mode 't')", 2)
  end
  if raw_type(chunk) == "string" and chunk:byte(1) == 27 then
    return nil, "load: binary chunks are not allowed"
  end
  return raw_load(chunk, name, "t", env or K.new_env(K.BASE_MT))
end

local BASE = {
  assert = assert, error = raw_error, ipairs = ipairs, next = raw_next, pairs = raw_pairs,
  pcall = safe_pcall, xpcall = safe_xpcall, select = raw_select, tonumber = tonumber,
  tostring = raw_tostring, type = raw_type, rawequal = rawequal, rawget = raw_rawget,
  rawset = raw_rawset, rawlen = rawlen, setmetatable = raw_setmetatable,
  getmetatable = raw_getmetatable, unpack = table.unpack, load = safe_load,
  string = safe_string, table = safe_table, utf8 = safe_utf8,
  coroutine = ucoroutine, errors = readonly("errors", errors),
  _VERSION = _VERSION,
}
K.BASE = BASE
K.errors = errors
K.ucoroutine = ucoroutine
K.safe_os = safe_os

-- Finishes the base once Python has added math/os replacements and globals.
function K.seal_base(extra)
  for k, v in raw_pairs(extra) do BASE[k] = v end
  BASE.coroutine = readonly("coroutine", ucoroutine)
  K.BASE_MT = { __index = BASE }
end

function K.new_env(mt)
  local env = raw_setmetatable({}, mt)
  raw_rawset(env, "_G", env)
  return env
end

-- An environment metatable for one entry: the base, `require`, and the modules
-- the entry lists (also reachable as globals, besides require("name")).
function K.entry_env_mt(require_fn, modules)
  local entry_base = { require = require_fn }
  for name, module in raw_pairs(modules) do entry_base[name] = module end
  raw_setmetatable(entry_base, { __index = BASE, __metatable = false })
  return { __index = entry_base, __metatable = false }
end

-- Compiles a chunk as a factory: the returned function takes an environment and
-- runs the chunk body with it as _ENV. The prototype is shared; each call makes
-- fresh closures and module-level locals (one instance per process).
function K.compile(source, chunkname)
  return raw_load("local _ENV = ...; " .. source, chunkname, "t", {})
end

-- Runs a factory in a fresh environment and resolves the entry point.
function K.instantiate(factory, env_mt, method)
  local env = K.new_env(env_mt)
  local exports = factory(env)
  if method == nil or method == "" then
    if raw_type(exports) == "function" then return exports end
    return nil, "the chunk returned no function and the entry has no method"
  end
  if raw_type(exports) == "function" then return exports end
  if raw_type(exports) ~= "table" then
    return nil, "method '" .. method .. "' not found: the chunk returned "
        .. raw_type(exports) .. ", not a table of functions"
  end
  local fn = exports[method]
  if raw_type(fn) ~= "function" then
    return nil, "method '" .. method .. "' not found in the table the chunk returned"
  end
  return fn
end

-- Instantiates a library (its chunk must return a table or a function) under the
-- instruction budget; a library body may not block.
function K.instantiate_library(factory, env_mt)
  local env = K.new_env(env_mt)
  local co = arm(co_create(factory))
  SLICE[1] = 0
  local ok, result = co_resume(co, env)
  if co_status(co) ~= "dead" then
    return nil, "a library may not block while it loads"
  end
  if not ok then return nil, raw_tostring(result) end
  return result
end

-- Wraps Python callables in Lua closures so user code never holds the userdata.
function K.wrap_host(fn)
  return function(...) return fn(...) end
end

function K.make_table(n) return {} end

return K

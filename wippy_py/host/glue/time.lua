-- The `time` module. Time, Duration and Location are Lua tables with
-- metatables; a Time or Location holds an inert Python handle, a Duration its
-- integer nanoseconds. Only `sleep` yields to the dispatcher; timers and
-- tickers deliver into channels from the scheduler's timer heap.
local py, K = ...
local yield_op = K.yield_op
local raw_setmetatable, raw_getmetatable, raw_error = setmetatable, getmetatable, error
local raw_type, raw_tostring, math_type, floor = type, tostring, math.type, math.floor

local T, D, L, TM, TK = {}, {}, {}, {}, {}
local T_MT = { __name = "time", __index = T, __metatable = "time" }
local D_MT = { __name = "duration", __index = D, __metatable = "duration" }
local L_MT = { __name = "location", __index = L, __metatable = "location" }
local TM_MT = { __name = "timer", __index = TM, __metatable = "timer" }
local TK_MT = { __name = "ticker", __index = TK, __metatable = "ticker" }

local function wrap_t(h) return raw_setmetatable({ ["\0h"] = h }, T_MT) end
local function wrap_d(ns) return raw_setmetatable({ ["\0d"] = ns }, D_MT) end
local function wrap_l(h) return raw_setmetatable({ ["\0h"] = h }, L_MT) end
K.wrap_time = wrap_t

local function invalid(message) return K.new_error(message, "Invalid", false) end

-- A duration argument: integer (or float) nanoseconds, a Go string, or a Duration.
-- Returns ns, or nil and an Invalid error.
local function to_ns(d)
  local mt = math_type(d)
  if mt == "integer" then return d end
  if mt == "float" then
    if d ~= d or d == 1 / 0 or d == -1 / 0 then return nil, invalid("invalid duration: " .. d) end
    return floor(d + 0.5)
  end
  if raw_type(d) == "string" then return py.parse_duration(d) end
  if raw_getmetatable(d) == "duration" then return d["\0d"] end
  return nil, invalid("invalid duration: expected nanoseconds, a string like \"1s\" or a "
    .. "Duration, got " .. raw_type(d))
end

-- For functions without an error return a bad duration is a programmer error.
local function must_ns(d, fname)
  local ns, err = to_ns(d)
  if ns == nil then raw_error("time." .. fname .. ": " .. err:message(), 3) end
  return ns
end

local function th(t, fname)
  if raw_getmetatable(t) ~= "time" then
    raw_error((fname or "time method") .. ": expected a Time, got " .. raw_type(t), 3)
  end
  return t["\0h"]
end

local function lh(loc, fname)
  if loc == nil then return nil end
  if raw_getmetatable(loc) ~= "location" then
    raw_error(fname .. ": expected a Location (time.utc, time.load_location(...))", 3)
  end
  return loc["\0h"]
end

---------------------------------------------------------------------------
-- Time methods
---------------------------------------------------------------------------
function T.add(t, d) return wrap_t(py.t_add(th(t, "add"), must_ns(d, "add"))) end
function T.sub(t, u) return wrap_d(py.t_sub(th(t, "sub"), th(u, "sub"))) end
function T.add_date(t, y, m, d)
  return wrap_t(py.t_add_date(th(t, "add_date"), y or 0, m or 0, d or 0))
end
function T.before(t, u) return py.t_cmp(th(t, "before"), th(u, "before")) < 0 end
function T.after(t, u) return py.t_cmp(th(t, "after"), th(u, "after")) > 0 end
function T.equal(t, u) return py.t_cmp(th(t, "equal"), th(u, "equal")) == 0 end
function T.compare(t, u) return py.t_cmp(th(t, "compare"), th(u, "compare")) end
function T.format(t, layout)
  if raw_type(layout) ~= "string" then raw_error("format: layout must be a string", 2) end
  return py.t_format(th(t, "format"), layout)
end
function T.format_rfc3339(t) return py.t_get(th(t, "format_rfc3339"), "format_rfc3339") end
function T.string(t) return py.t_get(th(t, "string"), "string") end
function T.utc(t) return wrap_t(py.t_in(th(t, "utc"), py.utc())) end
function T.in_local(t) return wrap_t(py.t_in(th(t, "in_local"), py.localtz())) end
function T.in_location(t, loc)
  local h = lh(loc, "in_location")
  if h == nil then raw_error("in_location: expected a Location", 2) end
  return wrap_t(py.t_in(th(t, "in_location"), h))
end
function T.location(t) return wrap_l(py.t_location(th(t, "location"))) end
function T.round(t, d) return wrap_t(py.t_round(th(t, "round"), must_ns(d, "round"), false)) end
function T.truncate(t, d)
  return wrap_t(py.t_round(th(t, "truncate"), must_ns(d, "truncate"), true))
end
for _, name in ipairs({ "unix", "unix_milli", "unix_micro", "unix_nano", "date", "clock",
  "year", "month", "day", "hour", "minute", "second", "nanosecond", "weekday", "year_day",
  "is_zero", "iso_week", "zone" }) do
  T[name] = function(t) return py.t_get(th(t, name), name) end
end
T_MT.__tostring = function(t) return py.t_get(t["\0h"], "string") end
T_MT.__eq = function(a, b)
  return raw_getmetatable(a) == "time" and raw_getmetatable(b) == "time"
      and py.t_cmp(a["\0h"], b["\0h"]) == 0
end
T_MT.__lt = function(a, b) return py.t_cmp(th(a, "<"), th(b, "<")) < 0 end
T_MT.__le = function(a, b) return py.t_cmp(th(a, "<="), th(b, "<=")) <= 0 end

---------------------------------------------------------------------------
-- Duration and Location methods
---------------------------------------------------------------------------
local function dns(d)
  if raw_getmetatable(d) ~= "duration" then raw_error("expected a Duration", 3) end
  return d["\0d"]
end
for _, name in ipairs({ "hours", "minutes", "seconds", "milliseconds", "microseconds",
  "nanoseconds", "string" }) do
  D[name] = function(d) return py.d_get(dns(d), name) end
end
function D.round(d, m) return wrap_d(py.d_round(dns(d), must_ns(m, "round"), false)) end
function D.truncate(d, m) return wrap_d(py.d_round(dns(d), must_ns(m, "truncate"), true)) end
function D.abs(d) return wrap_d(py.d_abs(dns(d))) end
D_MT.__tostring = function(d) return py.d_get(d["\0d"], "string") end
D_MT.__eq = function(a, b)
  return raw_getmetatable(a) == "duration" and raw_getmetatable(b) == "duration"
      and a["\0d"] == b["\0d"]
end
D_MT.__lt = function(a, b) return dns(a) < dns(b) end
D_MT.__le = function(a, b) return dns(a) <= dns(b) end

function L.string(loc) return py.l_name(loc["\0h"]) end
L.name = L.string
L_MT.__tostring = function(loc) return py.l_name(loc["\0h"]) end

---------------------------------------------------------------------------
-- Timers and tickers
---------------------------------------------------------------------------
local function timer_channel(t)
  local ch = t["\0c"]
  if ch == nil then
    ch = K.wrap_channel(py.timer_channel(t["\0h"]))
    t["\0c"] = ch
  end
  return ch
end
TM.response, TM.channel = timer_channel, timer_channel
function TM.stop(t) return py.timer_stop(t["\0h"]) end
function TM.reset(t, d)
  local ns, err = to_ns(d)
  if ns == nil then return false, err end
  if ns <= 0 then return false, invalid("timer:reset: duration must be positive") end
  return py.timer_reset(t["\0h"], ns)
end
TK.response, TK.channel = timer_channel, timer_channel
function TK.stop(t) return py.timer_stop(t["\0h"]) end

---------------------------------------------------------------------------
-- The module
---------------------------------------------------------------------------
local time = {}
for k, v in pairs(py.constants) do time[k] = v end
time.utc = wrap_l(py.utc())
time.localtz = wrap_l(py.localtz())

function time.now() return wrap_t(py.now()) end

function time.sleep(d)
  yield_op("time.sleep", must_ns(d, "sleep"))
end

function time.after(d)
  return K.wrap_channel(py.after(must_ns(d, "after")))
end

function time.timer(d)
  local ns, err = to_ns(d)
  if ns == nil then return nil, err end
  if ns <= 0 then return nil, invalid("time.timer: duration must be positive") end
  return raw_setmetatable({ ["\0h"] = py.timer_new(ns, false) }, TM_MT)
end

function time.ticker(d)
  local ns, err = to_ns(d)
  if ns == nil then return nil, err end
  if ns <= 0 then return nil, invalid("time.ticker: duration must be positive") end
  return raw_setmetatable({ ["\0h"] = py.timer_new(ns, true) }, TK_MT)
end

function time.parse_duration(value)
  local ns, err = to_ns(value)
  if ns == nil then return nil, err end
  return wrap_d(ns)
end

function time.date(year, month, day, hour, min, sec, nsec, loc)
  return wrap_t(py.date(year, month, day, hour or 0, min or 0, sec or 0, nsec or 0,
    lh(loc, "time.date")))
end

function time.unix(sec, nsec) return wrap_t(py.unix(sec, nsec or 0)) end

function time.parse(layout, value, loc)
  if raw_type(layout) ~= "string" or raw_type(value) ~= "string" then
    return nil, invalid("time.parse: layout and value must be strings")
  end
  local h, err = py.parse(layout, value, lh(loc, "time.parse"))
  if h == nil then return nil, err end
  return wrap_t(h)
end

function time.load_location(name)
  if raw_type(name) ~= "string" then return nil, invalid("time.load_location: name must be a string") end
  local h, err = py.load_location(name)
  if h == nil then return nil, err end
  return wrap_l(h)
end

function time.fixed_zone(name, offset)
  if raw_type(name) ~= "string" or math_type(offset) ~= "integer" then
    raw_error("time.fixed_zone expects (name: string, offset_seconds: integer)", 2)
  end
  return wrap_l(py.fixed_zone(name, offset))
end

return time

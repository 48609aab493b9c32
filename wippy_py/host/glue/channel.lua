-- The `channel` global. Non-blocking attempts run inline in Python; only a
-- send or receive that must wait yields to the dispatcher.
local py, K = ...
local yield_op = K.yield_op
local raw_setmetatable, raw_error = setmetatable, error

local CH = {}
local CH_MT = { __name = "channel", __index = CH, __metatable = "channel" }
local CASE_MT = { __name = "case", __metatable = "case" }

local function wrap(h)
  local ch = raw_setmetatable({ ["\0h"] = h }, CH_MT)
  py.bind(h, ch)
  return ch
end

local function handle(ch)
  local h = type(ch) == "table" and ch["\0h"]
  if not h then raw_error("expected a channel", 3) end
  return h
end

function CH.send(ch, value)
  local h = handle(ch)
  local state = py.try_send(h, value)
  if state == 1 then return true end
  if state == 2 then raw_error("send on closed channel", 2) end
  local r = yield_op("chan.send", h, value)
  if r == "__closed__" then raw_error("send on closed channel", 2) end
  return true
end

function CH.receive(ch)
  local h = handle(ch)
  local ready, value, ok = py.try_receive(h)
  if ready then return value, ok end
  return yield_op("chan.recv", h)
end

function CH.close(ch)
  py.close(handle(ch))
end

function CH.case_send(ch, value)
  return raw_setmetatable({ ch = ch, send = true, value = value }, CASE_MT)
end

function CH.case_receive(ch)
  return raw_setmetatable({ ch = ch, send = false }, CASE_MT)
end

local channel = {}
K.wrap_channel = wrap

function channel.new(size)
  if size ~= nil and (math.type(size) ~= "integer" or size < 0) then
    raw_error("channel.new: size must be a non-negative integer", 2)
  end
  return wrap(py.new(size or 0))
end

local function result(cases, index, value, ok)
  if index == 0 then return { default = true, ok = true } end
  return { channel = cases[index].ch, value = value, ok = ok }
end

function channel.select(cases)
  if type(cases) ~= "table" then raw_error("channel.select expects a table of cases", 2) end
  local handles, sends, values = {}, {}, {}
  for i = 1, #cases do
    local c = cases[i]
    if getmetatable(c) ~= "case" then
      raw_error("channel.select: case " .. i .. " is not a case (use ch:case_receive())", 2)
    end
    handles[i] = handle(c.ch)
    sends[i] = c.send
    values[i] = c.value
  end
  local index, value, ok = py.try_select(handles, sends, values, #cases)
  if index == -1 then raw_error("send on closed channel", 2) end
  if index ~= nil then return result(cases, index, value, ok) end
  if cases.default then return result(cases, 0) end
  if #cases == 0 then raw_error("channel.select: no cases and no default", 2) end
  index, value, ok = yield_op("chan.select", handles, sends, values, #cases)
  if index == -1 then raw_error("send on closed channel", 2) end
  return result(cases, index, value, ok)
end

return channel

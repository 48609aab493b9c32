-- The `channel` global, in Lua over the channel core (lua/chan.lua): a send or
-- receive that must wait parks the thread there, without a trip to Python.
local _, K = ...
local chan = K.chan
local state_of, public_of, new_state = chan.state, chan.public, chan.make
local try_send, try_receive, close = chan.try_send, chan.try_receive, chan.close
local park_select = chan.park_select
local SENT, CLOSED = chan.SENT, chan.CLOSED
local raw_setmetatable, raw_error, raw_type, raw_getmetatable =
  setmetatable, error, type, getmetatable

local CH = {}
local CH_MT = K.CH_MT
CH_MT.__index = CH
local CASE_MT = { __name = "case", __metatable = "case" }

local function state(ch)
  local S = raw_type(ch) == "table" and state_of(ch)
  if not S then raw_error("expected a channel", 3) end
  return S
end

CH.send = chan.send
CH.receive = chan.receive

function CH.close(ch)
  close(state(ch))
end

function CH.case_send(ch, value)
  return raw_setmetatable({ ch = ch, send = true, value = value }, CASE_MT)
end

function CH.case_receive(ch)
  return raw_setmetatable({ ch = ch, send = false }, CASE_MT)
end

local channel = {}

function channel.new(size)
  if size ~= nil and (math.type(size) ~= "integer" or size < 0) then
    raw_error("channel.new: size must be a non-negative integer", 2)
  end
  return public_of(new_state(size or 0))
end

local function result(cases, index, value, ok)
  return { channel = cases[index].ch, value = value, ok = ok }
end

function channel.select(cases)
  if raw_type(cases) ~= "table" then raw_error("channel.select expects a table of cases", 2) end
  local n = #cases
  local states, sends, values = {}, {}, {}
  for i = 1, n do
    local c = cases[i]
    if raw_getmetatable(c) ~= "case" then
      raw_error("channel.select: case " .. i .. " is not a case (use ch:case_receive())", 2)
    end
    states[i] = state(c.ch)
    sends[i] = c.send
    values[i] = c.value
  end
  -- The first ready case, in order.
  for i = 1, n do
    local S = states[i]
    if sends[i] then
      local r = try_send(S, values[i])
      if r == SENT then return result(cases, i, nil, true) end
      if r == CLOSED then raw_error("send on closed channel", 2) end
    else
      local ready, value, ok = try_receive(S)
      if ready then return result(cases, i, value, ok) end
    end
  end
  if cases.default then return { default = true, ok = true } end
  if n == 0 then raw_error("channel.select: no cases and no default", 2) end
  local index, value, ok = park_select(states, sends, values, n)
  if index == -1 then raw_error("send on closed channel", 2) end
  return result(cases, index, value, ok)
end

return channel

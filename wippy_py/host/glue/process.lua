-- The `process` global: identity, messaging, spawning, links, monitors, names,
-- options and the spawner builder. Mailboxes (inbox, events, listen routing,
-- messages kept until a subscription takes them) live in the process records of
-- lua/sched.lua and are routed by lua/chan.lua, so a send between two actors
-- stays in Lua; sends that involve a workflow (its Python hooks journal them),
-- names, dead PIDs and bad arguments go to Python. `exec` (waits for the child)
-- and the rare self-kill yield to the dispatcher. Also installs coroutine.spawn
-- and the event constructors the Python side uses (K.pev_*).
local py, K = ...
local yield_op = K.yield_op
local pack, copy, copy_all = K.pack_payload, K.copy, K.copy_all
local raw_setmetatable, raw_error, raw_type, raw_pcall = setmetatable, error, type, pcall
local raw_pairs, raw_select, raw_next = pairs, select, next
local sbyte = string.byte
local py_send, py_spawn = py.send, py.spawn
local ALL, NOW, cur, route, flush = K.ALL, K.NOW, K.cur, K.route, K.flush
local TOPIC_OK, user_topic, new_message = K.TOPIC_OK, K.user_topic, K.new_message
local MSG_MT, MSG_MT_PLAIN = K.MSG_MT, K.MSG_MT_PLAIN
-- Process record fields of lua/sched.lua, as compile-time constants.
local PID <const>, ACTOR <const>, WF <const>, INBOX <const>, EVENTS <const>,
  TOPICS <const> = 1, 2, 5, 6, 7, 8
local PF = K.PF
assert(PF.PID == PID and PF.ACTOR == ACTOR and PF.WF == WF and PF.INBOX == INBOX
  and PF.EVENTS == EVENTS and PF.TOPICS == TOPICS)
local chan = K.chan
local ch_make, ch_public, ch_state, ch_close, ch_put =
  chan.make, chan.public, chan.state, chan.close, chan.put
local EVENTS_TOPIC = "@pid/events"


local EXIT, LINK_DOWN, CANCEL = "pid.exit", "pid.link.down", "pid.cancel"

-- The PID of the running process (its record is current while it runs).
local function self_pid()
  local P = cur()
  if P then return P[PID] end
  return py.pid()
end

local function caller(what)
  local P = cur()
  if P == nil then raw_error("process." .. what .. " can only be called from a process", 3) end
  return P
end

local function topics_of(P)
  local topics = P[TOPICS]
  if not topics then
    topics = {}
    P[TOPICS] = topics
  end
  return topics
end

local process = {}

process.pid = self_pid
process.id = self_pid

local UNSENDABLE = { ["function"] = true, thread = true, userdata = true }

-- A send from an actor to an actor (a PID) is routed here, in Lua (the hot path
-- of every actor program, hence written out); anything else (names, dead PIDs,
-- workflows on either side, bad topics) goes to Python.
function process.send(dest, topic, ...payloads)  -- (a Lua 5.5 vararg table: no
  local data, count                                -- allocation, no select() call)
  local mt = MSG_MT_PLAIN  -- the message's metatable (K.new_message explains)
  local n = payloads.n
  if n == 1 then
    data = payloads[1]
    local kind = raw_type(data)
    if kind == "table" then
      data, mt = copy(data), MSG_MT
    elseif UNSENDABLE[kind] then
      data = pack(data)  -- raises the "cannot send" error
    end
  else
    data = pack(...)
    if n > 1 then count = n end
  end
  local P = ALL[dest]
  if P ~= nil and P[ACTOR] and (TOPIC_OK[topic] or user_topic(topic)) then
    local me = NOW[1]
    if me and not me[WF] then
      local msg  -- K.new_message, written out for the common case (one payload)
      if count then
        msg = new_message(topic, me[PID], data, count)
      else
        msg = raw_setmetatable({ ["\0t"] = topic, ["\0f"] = me[PID], ["\0p"] = data }, mt)
      end
      local inbox = P[INBOX]
      if inbox and not P[TOPICS] then ch_put(inbox, msg) else route(P, topic, nil, msg) end
      return true
    end
  end
  return py_send(dest, topic, data, count)
end

-- A spawn whose start a remote engine (Temporal) has yet to accept comes back with
-- `pending`: the caller waits for the answer, so a refused start is a spawn error.
local function started(pid, err, pending)
  if pending then return yield_op("process.started", pid) end
  return pid, err
end

local function spawn(mode)
  return function(id, host, ...)
    return started(py_spawn(id, host, mode, nil, nil, nil, nil, copy_all(...)))
  end
end
process.spawn = spawn(0)
process.spawn_monitored = spawn(1)
process.spawn_linked = spawn(2)
process.spawn_linked_monitored = spawn(3)

function process.exec(id, host, ...)
  local pid, err = started(py_spawn(id, host, 0, nil, nil, nil, nil, copy_all(...)))
  if pid == nil then return nil, err end
  return yield_op("process.wait", pid)
end

-- Continue-as-new: only workflows may upgrade (the current run ends and a new run
-- of `id` (default: the same entry) starts with the given input).
function process.upgrade(id, ...)
  return yield_op("process.upgrade", id, copy_all(...))
end

-- A call that may end the calling process (terminating itself or a linked peer)
-- stops the caller at once: it yields, and the dispatcher drops the dead thread.
local function stop_if_dead(ok, err, dead)
  if dead then yield_op("process.dead") end
  return ok, err
end

function process.terminate(dest) return stop_if_dead(py.terminate(dest)) end
function process.cancel(dest, reason)
  if reason ~= nil and raw_type(reason) ~= "string" then
    raw_error("process.cancel: reason must be a string", 2)
  end
  return py.cancel(dest, reason)
end
function process.monitor(dest) return py.monitor(dest) end
function process.unmonitor(dest) return py.unmonitor(dest) end
function process.link(dest) return py.link(dest) end
function process.unlink(dest) return py.unlink(dest) end
function process.get_options() return { trap_links = py.get_trap_links() } end
function process.set_options(options)
  if raw_type(options) ~= "table" then
    return false, K.new_error("set_options expects a table like {trap_links = true}", "Invalid",
      false)
  end
  for key, value in raw_pairs(options) do
    if key ~= "trap_links" then
      return false, K.new_error("unknown process option '" .. tostring(key)
        .. "' (known: trap_links)", "Invalid", false)
    end
    if raw_type(value) ~= "boolean" then
      return false, K.new_error("option trap_links must be a boolean", "Invalid", false)
    end
  end
  if options.trap_links ~= nil then py.set_trap_links(options.trap_links) end
  return true
end

-- Subscriptions: unbounded channels; inbox() and events() return the same
-- channel on every call.
function process.inbox()
  local P = caller("inbox")
  local S = P[INBOX]
  if not S then
    S = ch_make(-1)
    P[INBOX] = S
    flush(P)
  end
  return ch_public(S)
end

function process.events()
  local P = caller("events")
  local S = P[EVENTS]
  if not S then
    S = ch_make(-1)
    P[EVENTS] = S
    topics_of(P)[EVENTS_TOPIC] = { S, false }
    flush(P)
  end
  return ch_public(S)
end

local function invalid(message) return nil, K.new_error(message, "Invalid", false) end

function process.listen(topic, options)
  local as_message = false
  if options ~= nil then
    if raw_type(options) ~= "table" then raw_error("process.listen: options must be a table", 2) end
    as_message = options.message == true
  end
  local P = caller("listen")
  if raw_type(topic) ~= "string" or topic == "" then
    return invalid("listen: topic must be a non-empty string")
  end
  if sbyte(topic, 1) == 64 then return invalid("listen: cannot listen to @ topics") end
  local topics = topics_of(P)
  if topics[topic] then
    return invalid("listen: already listening on topic '" .. topic
      .. "' (unlisten the other channel first)")
  end
  local S = ch_make(-1)
  topics[topic] = { S, as_message }
  flush(P)
  return ch_public(S)
end

function process.unlisten(ch)
  local S = raw_type(ch) == "table" and ch_state(ch)
  if not S then raw_error("process.unlisten expects a channel returned by process.listen", 2) end
  local topics = caller("unlisten")[TOPICS]
  if not topics then return false end
  for topic, sub in raw_next, topics do
    if sub[1] == S and topic ~= EVENTS_TOPIC then
      topics[topic] = nil
      ch_close(S)
      return true
    end
  end
  return false
end

process.event = K.readonly("process.event", { EXIT = EXIT, LINK_DOWN = LINK_DOWN, CANCEL = CANCEL })

local registry = { LOCAL = 0, EVENTUAL = 1, CONSISTENT = 2, STRONG = 3 }
function registry.register(name, pid, scope) return py.reg_register(name, pid, scope) end
function registry.lookup(name) return py.reg_lookup(name) end
function registry.unregister(name, scope) return py.reg_unregister(name, scope) end
process.registry = K.readonly("process.registry", registry)

---------------------------------------------------------------------------
-- The spawner builder: immutable; every method returns a new spawner.
---------------------------------------------------------------------------
local SP = {}
local SP_MT = { __name = "spawner", __index = SP, __metatable = "spawner" }

local function spawner(context, options, name, messages)
  return raw_setmetatable({ ["\0c"] = context, ["\0o"] = options, ["\0n"] = name,
    ["\0m"] = messages }, SP_MT)
end

local function merged(base, extra, what)
  if raw_type(extra) ~= "table" then raw_error(what .. " expects a table", 3) end
  local out = {}
  if base then for k, v in raw_pairs(base) do out[k] = v end end
  for k, v in raw_pairs(extra) do out[k] = copy(v) end
  return out
end

local function check(s)
  if getmetatable(s) ~= "spawner" then
    raw_error("expected a spawner (use process.with_context{...}:method(...))", 3)
  end
  return s
end

function SP.with_context(s, values)
  check(s)
  return spawner(merged(s["\0c"], values, "with_context"), s["\0o"], s["\0n"], s["\0m"])
end
function SP.with_options(s, options)
  check(s)
  return spawner(s["\0c"], merged(s["\0o"], options, "with_options"), s["\0n"], s["\0m"])
end
function SP.with_actor(s) return check(s) end
function SP.with_scope(s) return check(s) end
function SP.with_name(s, name)
  check(s)
  if raw_type(name) ~= "string" or name == "" then
    raw_error("with_name expects a non-empty string", 2)
  end
  return spawner(s["\0c"], s["\0o"], name, s["\0m"])
end
function SP.with_message(s, topic, ...)
  check(s)
  if raw_type(topic) ~= "string" or topic == "" then
    raw_error("with_message expects a topic string", 2)
  end
  if topic:byte(1) == 64 then raw_error("cannot send to @ topics", 2) end
  local out = {}
  local old = s["\0m"]
  if old then for i = 1, #old do out[i] = old[i] end end
  out[#out + 1] = { topic, pack(...) }
  return spawner(s["\0c"], s["\0o"], s["\0n"], out)
end

local function spawn_with(mode)
  return function(s, id, host, ...)
    check(s)
    return started(py_spawn(id, host, mode, s["\0c"], s["\0n"], s["\0m"], s["\0o"],
                            copy_all(...)))
  end
end
SP.spawn = spawn_with(0)
SP.spawn_monitored = spawn_with(1)
SP.spawn_linked = spawn_with(2)
SP.spawn_linked_monitored = spawn_with(3)

function process.with_context(values) return SP.with_context(spawner(), values) end
function process.with_options(options) return SP.with_options(spawner(), options) end

---------------------------------------------------------------------------
-- Events, built here so that their values are copies owned by the receiver.
---------------------------------------------------------------------------
local function safe_copy(v)
  local ok, c = raw_pcall(copy, v)
  if ok then return c end
  return nil
end

function K.pev_exit(from, at, value, err)
  return { kind = EXIT, from = from, at = at,
    result = { value = safe_copy(value), error = safe_copy(err) } }
end
function K.pev_link_down(from, at, value, err)
  return { kind = LINK_DOWN, from = from, at = at,
    result = { value = safe_copy(value), error = safe_copy(err) } }
end
function K.pev_cancel(from, reason, at)
  return { kind = CANCEL, from = from, reason = reason, at = at }
end

---------------------------------------------------------------------------
-- coroutine.spawn(fn, ...): a scheduler-managed thread of the calling process.
---------------------------------------------------------------------------
K.ucoroutine.spawn = function(fn, ...)
  if raw_type(fn) ~= "function" then raw_error("coroutine.spawn expects a function", 2) end
  py.spawn_coroutine(fn, ...)
end

return process

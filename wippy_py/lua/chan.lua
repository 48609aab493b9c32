-- Channels and mailboxes, on the run queue of sched.lua.
--
-- A channel's state is {size, closed, buffer, receivers, senders, public, rbox,
-- rgen}. User code holds the public object, which maps to the state through a
-- weak-keyed table, so the queues (and the thread boxes in them) are out of its
-- reach. A blocked thread is registered as (box, gen, case, value): live while
-- the box is parked with that gen (each park takes a new gen), so the other
-- cases of a select go stale by themselves once one fired. The oldest plain
-- receiver sits in the rbox/rgen slot when the receivers queue is empty (the
-- usual inbox:receive()), which saves the queue work on every message.
-- A woken thread is resumed with three values: a plain receive gets (value, ok),
-- a plain send (true) or (false) when the channel was closed, a select case
-- (index, value, ok), or (-1) for a send on a closed channel.
--
-- Mailboxes (Wippy's deliverMessage): a message goes to the exact listen()
-- subscription of its topic, else to the inbox (not "@" topics), else it is kept
-- in arrival order until a subscription that takes it appears (flush).
local K = ...

local co_yield = coroutine.yield
local raw_error, raw_setmetatable, raw_type = error, setmetatable, type
local sbyte, tmove = string.byte, table.move
local RT, PARK, PARK_RECV = K.RT, K.PARK, K.PARK_RECV
local new_message, message_data = K.new_message, K.message_data
local wake, NOW = K.wake, K.NOW
-- Record fields of sched.lua, as compile-time constants (checked against K.BOX, K.PF).
local ST <const>, GEN <const>, PARKED <const> = 4, 5, 2
local INBOX <const>, TOPICS <const>, QUEUED <const>, GONE <const> = 6, 8, 9, 10
assert(K.BOX.ST == ST and K.BOX.GEN == GEN and K.BOX.PARKED == PARKED)
assert(K.PF.INBOX == INBOX and K.PF.TOPICS == TOPICS and K.PF.QUEUED == QUEUED
  and K.PF.GONE == GONE)

local SIZE <const>, CLOSED <const>, BUF <const>, RECV <const> = 1, 2, 3, 4
local SEND <const>, PUB <const>, RBOX <const>, RGEN <const> = 5, 6, 7, 8

local CHS = raw_setmetatable({}, { __mode = "k" })  -- public object -> state
local CH_MT = { __name = "channel", __metatable = "channel" }  -- methods: glue
K.CH_MT = CH_MT

local function make(size)
  local public = raw_setmetatable({}, CH_MT)
  local S = { size, false, false, false, false, public, false, false }
  CHS[public] = S
  return S
end

---------------------------------------------------------------------------
-- Queues: {h=, t=} with the items at h..t (values), or 4 slots per waiter.
---------------------------------------------------------------------------
local function buf_push(S, v)
  local q = S[BUF]
  if not q then
    q = { h = 1, t = 0 }
    S[BUF] = q
  end
  local h, t = q.h, q.t + 1
  if h > 64 and h > t - h then  -- more consumed slots than values: re-base
    tmove(q, h, t - 1, 1)
    for j = t - h + 1, t - 1 do q[j] = nil end
    t, q.h = t - h + 1, 1
  end
  q[t], q.t = v, t
end

-- An emptied buffer is dropped: `if S[BUF]` is then the whole emptiness test.
local function buf_pop(S, q)
  local h = q.h
  local v = q[h]
  if h >= q.t then S[BUF] = false else q[h], q.h = nil, h + 1 end
  return v
end

local function buf_len(q) return q and q.t - q.h + 1 or 0 end

local function compact(q)
  local j = 0
  for i = q.h, q.t, 4 do
    local box, gen, case, v = q[i], q[i + 1], q[i + 2], q[i + 3]
    q[i], q[i + 1], q[i + 2], q[i + 3] = nil, nil, nil, nil
    if box[ST] == PARKED and box[GEN] == gen then
      q[j + 1], q[j + 2], q[j + 3], q[j + 4] = box, gen, case, v
      j = j + 4
    end
  end
  q.h, q.t = 1, j
end

local function reg_push(S, which, box, gen, case, v)
  local q = S[which]
  if not q then
    q = { h = 1, t = 0 }
    S[which] = q
  end
  local t = q.t
  q[t + 1], q[t + 2], q[t + 3], q[t + 4] = box, gen, case, v
  q.t = t + 4
  -- A select loop leaves stale registrations on the cases that did not fire:
  -- prune whenever the queue doubles (amortised O(1)).
  local n = (t + 5 - q.h) // 4
  if n >= 32 and n & (n - 1) == 0 then compact(q) end
end

local function pop_live(q)
  local h, t = q.h, q.t
  while h <= t do
    local box, gen, case, v = q[h], q[h + 1], q[h + 2], q[h + 3]
    q[h], q[h + 1], q[h + 2], q[h + 3] = nil, nil, nil, nil
    h = h + 4
    if box[ST] == PARKED and box[GEN] == gen then
      if h > t then q.h, q.t = 1, 0 else q.h = h end
      return box, case, v
    end
  end
  q.h, q.t = 1, 0
  return nil
end

---------------------------------------------------------------------------
-- Channel operations
---------------------------------------------------------------------------
local function take_receiver(S)
  local rb = S[RBOX]
  if rb then
    S[RBOX] = false
    if rb[ST] == PARKED and rb[GEN] == S[RGEN] then return rb, 0 end
  end
  local r = S[RECV]
  if r and r.t >= r.h then return pop_live(r) end
  return nil
end

local function hand_over(box, case, v)
  if case == 0 then wake(box, v, true) else wake(box, case, v, true) end
end

local function sender_done(box, case)
  if case == 0 then wake(box, true) else wake(box, case, nil, true) end
end

local SENT <const>, WOULD_BLOCK <const>, IS_CLOSED <const> = 1, 0, 2

local function try_send(S, v)
  if S[CLOSED] then return IS_CLOSED end
  local box, case = take_receiver(S)
  if box then
    hand_over(box, case, v)
    return SENT
  end
  local size = S[SIZE]
  if size < 0 or buf_len(S[BUF]) < size then
    buf_push(S, v)
    return SENT
  end
  return WOULD_BLOCK
end

local function try_receive(S)
  local q = S[BUF]
  if q then
    local v = buf_pop(S, q)
    local s = S[SEND]
    if s and s.t >= s.h and S[SIZE] > buf_len(S[BUF]) then
      -- a slot of a full buffer was freed: move one blocked sender's value in
      local box, case, sv = pop_live(s)
      if box then
        buf_push(S, sv)
        sender_done(box, case)
      end
    end
    return true, v, true
  end
  local s = S[SEND]
  if s and s.t >= s.h then
    local box, case, v = pop_live(s)
    if box then
      sender_done(box, case)
      return true, v, true
    end
  end
  if S[CLOSED] then return true, nil, false end
  return false
end

-- Appends from the runtime (messages, events, timers): never blocks. (K.put, in
-- sched.lua, handles a waiting plain receiver itself and calls this otherwise.)
local function slow_put(S, v)
  if S[CLOSED] then return end
  local rb = S[RBOX]
  if rb then
    S[RBOX] = false
    if rb[ST] == PARKED and rb[GEN] == S[RGEN] then
      wake(rb, v, true)
      return
    end
  end
  local r = S[RECV]
  if r and r.t >= r.h then
    local box, case = pop_live(r)
    if box then
      hand_over(box, case, v)
      return
    end
  end
  buf_push(S, v)
end
K.set_slow_paths(slow_put, function(S, box, gen) reg_push(S, RECV, box, gen, 0, nil) end)
local put = K.put

local function close(S)
  if S[CLOSED] then return end
  S[CLOSED] = true
  while true do
    local box, case = take_receiver(S)
    if not box then break end
    if case == 0 then wake(box, nil, false) else wake(box, case, nil, false) end
  end
  local s = S[SEND]
  while s do
    local box, case = pop_live(s)
    if not box then break end
    if case == 0 then wake(box, false) else wake(box, -1) end
  end
  S[RECV], S[SEND] = false, false
end

-- The running thread's box, with the generation of the park it is about to make.
local function park_box()
  local box = NOW[2]
  if not box then raw_error("a channel operation would block outside a process", 3) end
  local gen = box[GEN] + 1
  box[GEN] = gen
  return box, gen
end

-- ch:receive() and ch:send(v). A receive that must wait yields the channel to
-- K.run, which registers the thread (sched.lua: park_receiver).
local function receive(ch)
  local S = CHS[ch]
  if not S then raw_error("expected a channel", 2) end
  if S[BUF] or S[SEND] or S[CLOSED] then
    local ready, v, ok = try_receive(S)
    if ready then return v, ok end
  end
  -- Outside a process thread the yield fails ("outside a coroutine") or is refused
  -- (a library may not block while it loads); K.run resumes with (value, ok).
  return co_yield(RT, PARK_RECV, S)
end

local function send(ch, v)
  local S = CHS[ch]
  if not S then raw_error("expected a channel", 2) end
  local r = try_send(S, v)
  if r == SENT then return true end
  if r == IS_CLOSED then raw_error("send on closed channel", 2) end
  local box, gen = park_box()
  reg_push(S, SEND, box, gen, 0, v)
  if not co_yield(RT, PARK) then raw_error("send on closed channel", 2) end
  return true
end

-- Parks on every case of a select (states[i], sends[i], values[i], i = 1..n);
-- returns (index, value, ok) or -1 (a send on a channel that was closed).
local function park_select(states, sends, values, n)
  local box, gen = park_box()
  for i = 1, n do
    if sends[i] then reg_push(states[i], SEND, box, gen, i, values[i])
    else reg_push(states[i], RECV, box, gen, i, nil) end
  end
  local index, v, ok = co_yield(RT, PARK)
  return index, v, ok
end

K.chan = {
  make = make, state = function(public) return CHS[public] end,
  public = function(S) return S[PUB] end,
  try_send = try_send, try_receive = try_receive, put = put, close = close,
  receive = receive, send = send, park_select = park_select,
  SENT = SENT, WOULD_BLOCK = WOULD_BLOCK, CLOSED = IS_CLOSED,
}

-- The Python Channel handle works on public objects.
function K.ch_make(size) return make(size)[PUB] end
function K.ch_deliver(public, v) put(CHS[public], v) end
function K.ch_close(public) close(CHS[public]) end
function K.ch_pending(public) return buf_len(CHS[public][BUF]) end
function K.ch_drain(public) CHS[public][BUF] = false end
function K.wrap_channel(public)
  if CHS[public] == nil then raw_error("internal error: not a channel", 2) end
  return public
end

---------------------------------------------------------------------------
-- Mailboxes
---------------------------------------------------------------------------
-- `data` is what a raw listen() channel gets when there is no Message (events).
local function route(P, topic, data, msg)
  if P[GONE] then return end
  local topics = P[TOPICS]
  if topics then
    local sub = topics[topic]
    if sub then
      if sub[2] then put(sub[1], msg)
      elseif msg ~= nil then put(sub[1], message_data(msg))
      else put(sub[1], data) end
      return
    end
  end
  local inbox = P[INBOX]
  if inbox and sbyte(topic, 1) ~= 64 then  -- "@": internal topics never reach the inbox
    put(inbox, msg)
    return
  end
  local queued = P[QUEUED]
  if not queued then
    queued = { n = 0 }
    P[QUEUED] = queued
  end
  local n = queued.n + 1
  queued[n], queued.n = { topic, data, msg }, n
end
K.route = route

-- A message: routed straight to the inbox when the process has no listen()
-- subscription (the common case). `count`: the number of payloads when the
-- sender passed several.
local function post(P, topic, from, data, count)
  local msg = new_message(topic, from, data, count)
  local inbox = P[INBOX]
  if inbox and not P[TOPICS] and sbyte(topic, 1) ~= 64 then
    put(inbox, msg)
  else
    route(P, topic, nil, msg)
  end
  return true
end
K.post = post

-- From Python, by PID: a message (host sends, sends that went through Python) and
-- a lifecycle event (`data`, on the internal topic @pid/events).
local proc_of = K.proc_of
function K.post_to(pid, topic, from, data, count) post(proc_of(pid), topic, from, data, count) end
function K.route_to(pid, topic, data) route(proc_of(pid), topic, data, nil) end

-- A subscription appeared: re-route what was waiting, keeping the order of
-- what still has nowhere to go.
function K.flush(P)
  local queued = P[QUEUED]
  if not queued then return end
  P[QUEUED] = false
  for i = 1, queued.n do
    local item = queued[i]
    route(P, item[1], item[2], item[3])
  end
end

-- Topics a process may send to (non-empty strings, not "@..."), cached: the
-- send fast path looks TOPIC_OK up first and calls K.user_topic on a miss.
local TOPIC_OK, n_topics = {}, 0
K.TOPIC_OK = TOPIC_OK
function K.user_topic(topic)
  if raw_type(topic) ~= "string" or topic == "" or sbyte(topic, 1) == 64 then return false end
  if n_topics >= 4096 then  -- bounded: clear in place (the glue holds the table)
    for k in next, TOPIC_OK do TOPIC_OK[k] = nil end
    n_topics = 0
  end
  TOPIC_OK[topic], n_topics = true, n_topics + 1
  return true
end

return K
